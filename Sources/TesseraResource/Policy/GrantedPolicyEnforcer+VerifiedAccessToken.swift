public import Cedar
import TesseraProtocol

extension GrantedPolicyEnforcer.Grant {
    /// The grant carried by a token ``OAuthResourceServer`` verified: its `authorization_details`,
    /// cached by issuer and `jti` (or, without a `jti`, by a hash of the details).
    public init(token: VerifiedAccessToken) {
        if let jti = token.jti {
            self.init(cacheKey: token.issuer + " " + jti, authorizationDetails: token.authorizationDetails)
        } else {
            self.init(authorizationDetails: token.authorizationDetails)
        }
    }
}

extension GrantedPolicyEnforcer {
    /// Decides `request` against the Cedar policies `token` grants (and the RS's own policies).
    public func authorize(_ request: AuthorizationRequest, entities: EntityStore = EntityStore(), token: VerifiedAccessToken) -> Decision {
        authorize(request, entities: entities, grant: Grant(token: token))
    }
}

extension GrantedPolicyEnforcer.Decision {
    /// The refusal for a denied decision (RFC 6750 §3.1: 403 `insufficient_scope`, the reason as
    /// `error_description`), on the scheme the token came with; `nil` when allowed.
    /// Answer it with `OAuthResourceMiddleware.response(for:)` or your framework's equivalent.
    public func refusal(for token: VerifiedAccessToken, realm: String? = nil) -> ResourceRefusal? {
        guard !isAllowed else { return nil }
        let error = OAuthError(.insufficientScope, reason ?? "the token's granted policies do not allow this request")
        var parameters: [(name: String, value: String)] = []
        if let realm { parameters.append(("realm", realm)) }
        parameters.append(("error", error.code.rawValue))
        parameters.append(("error_description", error.message))
        return ResourceRefusal(
            status: 403,
            error: error,
            challenges: [AuthenticationChallenge(scheme: token.kind.rawValue, parameters: parameters)]
        )
    }
}
