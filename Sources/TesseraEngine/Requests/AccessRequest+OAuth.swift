public import TesseraProtocol

extension AccessRequest {
    /// The OAuth door's translation of a token request (RFC 6749 §3.2) into the engine's words: `scope`
    /// (RFC 6749 §3.3) and `authorization_details` (RFC 9396 §6) are the rights, `resource` (RFC 8707
    /// §2) and `audience` (RFC 8693 §2.1) where they are used, and the grant type's parameters the
    /// evidence.
    /// - Parameters:
    ///   - form: the token request's form, as sent.
    ///   - grantType: its `grant_type`.
    ///   - authorizationDetails: its `authorization_details`, already parsed and checked for shape.
    /// - Throws: ``OAuthError`` `invalid_scope` for a malformed `scope`, `invalid_request` for a
    ///   missing required parameter.
    public init(
        oauth form: FormParameters,
        grantType: GrantType,
        authorizationDetails: [JSONValue]?
    )
        throws(OAuthError)
    {
        let evidence: Evidence
        switch grantType {
        case .clientCredentials: evidence = .client
        case .authorizationCode:
            evidence = .authorizationCode(
                code: try form.require("code"),
                redirectURI: form["redirect_uri"],
                verifier: form["code_verifier"]
            )
        case .refreshToken: evidence = .refreshToken(try form.require("refresh_token"))
        case .tokenExchange:
            evidence = .subjectToken(
                .init(
                    token: form["subject_token"],
                    tokenType: form["subject_token_type"],
                    actorToken: form["actor_token"],
                    actorTokenType: form["actor_token_type"],
                    requestedTokenType: form["requested_token_type"]
                )
            )
        case .jwtBearer: evidence = .jwtGrant(assertion: try form.require("assertion"))
        default: evidence = .unsupported(grantType.rawValue)
        }
        self.init(
            rights: Rights(
                scope: try form["scope"].map { scope throws(OAuthError) in try Scope(parsing: scope) },
                authorizationDetails: authorizationDetails
            ),
            resources: form.all("resource"),
            audiences: form.all("audience"),
            subject: grantType == .clientCredentials ? .client : .evidence,
            evidence: evidence,
            kind: grantType.rawValue,
            presented: form
        )
        if let session = form[ChallengeRequirement.sessionParameter] {
            challengeAnswer = ClientChallengeAnswer(session: session, evidence: form[ChallengeRequirement.evidenceParameter])
        }
    }
}
