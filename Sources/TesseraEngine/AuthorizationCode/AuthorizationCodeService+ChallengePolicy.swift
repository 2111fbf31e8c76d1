import TesseraProtocol

extension AuthorizationCodeService {
    /// The client-challenge policy's outright refusals (a `forbid` without `@challenge`), met at the
    /// authorization endpoint and PAR so that a person is not asked to consent to what the token endpoint
    /// would refuse (review round 10, H2). Challenges are raised at the token endpoint, on the code's rights.
    /// - Parameters:
    ///   - request: the validated authorization request.
    ///   - client: the client, with its metadata document if it has one.
    /// - Throws: ``OAuthError`` `unauthorized_client` naming the policy's reason.
    func refuseByChallengePolicy(_ request: OAuthAuthorizationRequest, client: AuthenticatedClient) throws(OAuthError) {
        guard let challenges else { return }
        let rights = ChallengedRights(
            scope: request.scope,
            resources: request.resources,
            authorizationDetails: request.authorizationDetails
        )
        if let refusal = challenges.refusal(of: rights, client: client) { throw refusal }
    }
}
