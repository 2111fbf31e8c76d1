import TesseraProtocol
import TesseraStorage

extension RefreshTokenGrant {
    /// The refresh family's rights (its scope, audiences and `authorization_details`), read without rotating
    /// the refresh token: the new refresh token carries all of them whatever the request narrows for the access
    /// token (RFC 6749 §6, RFC 9396 §7), so they are what the policy judges. A refresh token the grant will
    /// refuse carries nothing.
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: the family's rights, or ``ChallengedRights/nothing``.
    /// - Throws: store failures.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights {
        guard case .refreshToken(let presented) = request.evidence,
            let record = try await context.tokens.refreshToken(hash: TokenIssuer.hashToken(presented)),
            record.clientID == client.id, record.usedAt == nil, record.isActive(at: context.now())
        else { return .nothing }
        // Unreadable stored details: the grant answers server_error; judged as the family's scope alone until then.
        let details = try? TokenIssuer.decodeDetails(record.authorizationDetails)
        return ChallengedRights(
            scope: record.scope.split(separator: " ").map(String.init),
            resources: record.audience,
            authorizationDetails: details
        )
    }
}
