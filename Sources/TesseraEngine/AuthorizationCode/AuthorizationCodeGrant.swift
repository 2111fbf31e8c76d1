import Foundation
import TesseraProtocol
import TesseraStorage

/// The authorization code grant at the token endpoint (RFC 6749 §4.1.3) with PKCE verification
/// (RFC 7636 §4.6). A code is redeemed once; a second use revokes every token issued from it
/// (RFC 6749 §4.1.2). With the `openid` scope the response also carries an ID token.
struct AuthorizationCodeGrant: EvidenceHandler {
    let grantType: GrantType = .authorizationCode
    let store: any AuthorizationCodeStore

    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    {
        guard case .authorizationCode(let code, let presentedRedirectURI, let presentedVerifier) = request.evidence else {
            throw OAuthError.invalidRequest("an authorization code is required")
        }
        guard code.utf8.count <= 128 else { throw OAuthError.invalidGrant("the authorization code is unknown, expired or already used") }
        let now = context.now()
        let hash = TokenIssuer.hashToken(code)
        guard let record = try await store.code(hash: hash, at: now) else {
            try await spend(hash, at: now, context: context)
            throw OAuthError.invalidGrant("the authorization code is unknown, expired or already used")
        }
        let minted: (issuance: TokenIssuance, response: TokenResponse)
        do {
            minted = try await tokens(for: record, request, presented: (presentedRedirectURI, presentedVerifier), client, key, context)
        } catch {
            // A failed redemption burns the code (a wrong verifier is not retried).
            try await spend(hash, at: now, context: context)
            throw error
        }
        // Spent in the commit that records its tokens: a replay finds it used only once they are there to revoke (J5).
        guard try await context.tokens.record(minted.issuance, redeemingCode: hash, at: now) else {
            try await spend(hash, at: now, context: context)
            throw OAuthError.invalidGrant("the authorization code is unknown, expired or already used")
        }
        return minted.response
    }

    /// Spends a code without issuing; one already spent is a replay: every token issued from it is revoked (RFC 6749 §4.1.2).
    private func spend(_ hash: String, at now: Date, context: GrantContext) async throws {
        guard case .replayed(let used) = try await store.redeemCode(hash: hash, at: now) else { return }
        try await context.tokens.revokeGrant(id: used.grantID, at: now)
        throw OAuthError.invalidGrant("the authorization code was already used; the tokens issued from it are now revoked")
    }

    /// The tokens a code's approval yields, checked against the request presenting it (RFC 6749 §4.1.3, RFC 7636 §4.6).
    private func tokens(
        for record: AuthorizationCodeRecord,
        _ request: AccessRequest,
        presented: (redirectURI: String?, verifier: String?),
        _ client: AuthenticatedClient,
        _ key: ProvenKey?,
        _ context: GrantContext
    ) async throws -> (issuance: TokenIssuance, response: TokenResponse) {
        guard record.clientID == client.id else { throw OAuthError.invalidGrant("the authorization code was issued to another client") }
        let approved: ApprovedAuthorization
        do { approved = try JSONDecoder().decode(ApprovedAuthorization.self, from: Data(record.payload.utf8)) } catch {
            throw OAuthError.serverError("the stored authorization cannot be read")
        }
        guard let redirectURI = presented.redirectURI, redirectURI == approved.request.redirectURI else {
            throw OAuthError.invalidGrant("redirect_uri must be the one used in the authorization request (RFC 6749 §4.1.3)")
        }
        // The registration of the day (review round 13, L6): a redirect URI the operator, or the client itself (RFC 7592),
        // removed after the request was made may have received the code, never its tokens (RFC 6749 §4.1.3, RFC 9700 §4.1).
        guard RedirectURIMatch.accepts(redirectURI, for: client.record) else {
            throw OAuthError.invalidGrant("redirect_uri is no longer registered for this client; start a new authorization request")
        }
        guard let verifier = presented.verifier else {
            throw OAuthError.invalidRequest("code_verifier is required (RFC 7636 §4.5)")
        }
        guard approved.request.verifies(verifier) else {
            throw OAuthError.invalidGrant("code_verifier does not match the code_challenge (RFC 7636 §4.6)")
        }
        // RFC 8707 resources and the approved rights' locations (RFC 9396 §2), as at the GNAP door; a `resource` sent
        // here narrows the access token to some of them (RFC 8707 §2.2), the refresh token keeps them all.
        let approvedAudience = try context.resourceCheck.audience(
            for: approved.request.resources,
            locations: ResourceCheck.locations(of: approved.authorizationDetails)
        )
        let audience = try context.resourceCheck.narrowed(to: request.resources, within: approvedAudience)
        // The person approved this scope; policy is asked again as the code is redeemed, so an
        // owner's forbid added since then takes the scope out (the response names what is granted). A scope or a rich
        // authorization type taken from the client since then is not issued either, as at a refresh (review round 13,
        // L4; J6, J13).
        let registered = Set(client.record.scopes)
        if let details = approved.authorizationDetails { try context.authorizationDetails.check(details, clientID: client.id) }
        let scope = try context.scopeCheck.grantedScope(
            requested: nil,
            offered: Scope(approved.scope.filter(registered.contains)),
            question: request.question(.redeem, by: ClientIdentity(.oauth(client)), user: approved.subject, audiences: approvedAudience)
        )
        try context.scopeCheck.refuseForbiddenTypes(
            of: approved.authorizationDetails,
            question: request.question(.redeem, by: ClientIdentity(.oauth(client)), user: approved.subject, audiences: approvedAudience)
        )
        var grant = TokenIssuer.Grant(
            grantID: record.grantID,
            clientID: client.id,
            subject: approved.subject,
            scope: scope,
            audience: audience,
            includeRefreshToken: client.record.grantTypes.contains(.refreshToken)
        )
        grant.confirmation = key?.confirmation
        grant.refreshTokenBinding = key?.jkt
        grant.authorizationDetails = approved.authorizationDetails
        grant.parent = approved.consentID.map { TokenParent(.consent, $0) }
        var minted = try await context.issuer.mint(grant)
        minted.issuance.refreshToken?.audience = approvedAudience
        var response = minted.response
        if scope.tokens.contains("openid") {
            // In the code's grant, beside its tokens: whatever revokes the grant (a withdrawn consent, a replayed code,
            // a revoked refresh family) ends the ID token's use as an identity assertion too (eighth review, F4).
            let idToken = try await context.issuer.mintIDToken(
                subject: approved.subject,
                audience: client.id,
                nonce: approved.request.nonce,
                authTime: approved.authTime,
                grant: (record.grantID, grant.parent)
            )
            response.idToken = idToken.token
            minted.issuance.companions.append(idToken.record)
        }
        return (minted.issuance, response)
    }
}
