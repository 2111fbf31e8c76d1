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
        let approved: ApprovedAuthorization
        do { approved = try Self.approval(record, presented: (presentedRedirectURI, presentedVerifier), client) } catch {
            // A failed redemption burns the code (a wrong verifier is not retried).
            try await spend(hash, at: now, context: context)
            throw error
        }
        // What the request narrows the approval to (RFC 8707 §2.2, RFC 9396 §6.1), refused as at a refresh: before anything
        // is spent. Only the client holding the verifier gets here, and it may send the request again corrected, as a
        // refused refresh leaves its refresh token unrotated.
        let narrowed = try Self.narrowing(approved, by: request, context)
        let minted: (issuance: TokenIssuance, response: TokenResponse)
        do {
            minted = try await tokens(for: record, approved, narrowed: narrowed, request, client, key, context)
        } catch {
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

    /// The approval a code holds, if the request presenting it is its client's (RFC 6749 §4.1.3, RFC 7636 §4.6).
    static func approval(
        _ record: AuthorizationCodeRecord,
        presented: (redirectURI: String?, verifier: String?),
        _ client: AuthenticatedClient
    ) throws(OAuthError) -> ApprovedAuthorization {
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
        return approved
    }

    /// The approved audience (the authorization request's resources and the approved entries' `locations`, RFC 9396 §2)
    /// and what the request narrows the access token to: each `resource` one of that audience (RFC 8707 §2.2), each
    /// `authorization_details` entry covered by an approved one (RFC 9396 §6.1, compared as at a refresh, §7).
    /// - Returns: the approved audience, the access token's, and its entries (`nil` when the request names none).
    /// - Throws: ``OAuthError`` `invalid_target` or `invalid_authorization_details` naming what the approval lacks.
    private static func narrowing(
        _ approved: ApprovedAuthorization,
        by request: AccessRequest,
        _ context: GrantContext
    ) throws(OAuthError) -> Narrowing {
        let approvedAudience = try context.resourceCheck.audience(
            for: approved.request.resources,
            locations: ResourceCheck.locations(of: approved.authorizationDetails)
        )
        let audience = try context.resourceCheck.narrowed(to: request.resources, within: approvedAudience)
        guard let requested = request.rights.authorizationDetails else { return (approvedAudience, audience, nil) }
        guard let held = approved.authorizationDetails else {
            throw .invalidAuthorizationDetails(
                "the authorization code holds no authorization_details; a token request may only narrow the approved ones (RFC 9396 §6.1)"
            )
        }
        return (approvedAudience, audience, try context.authorizationDetails.narrow(requested, within: held))
    }

    typealias Narrowing = (approvedAudience: [String], audience: [String], details: [JSONValue]?)

    /// The tokens a code's approval yields: the access token as the request narrows it (``narrowing(_:by:_:)``), the
    /// refresh token for everything approved (RFC 8707 §2.2, RFC 9396 §7).
    private func tokens(
        for record: AuthorizationCodeRecord,
        _ approved: ApprovedAuthorization,
        narrowed: Narrowing,
        _ request: AccessRequest,
        _ client: AuthenticatedClient,
        _ key: ProvenKey?,
        _ context: GrantContext
    ) async throws -> (issuance: TokenIssuance, response: TokenResponse) {
        let (approvedAudience, audience) = (narrowed.approvedAudience, narrowed.audience)
        // The person approved this scope; policy is asked again as the code is redeemed, so an
        // owner's forbid added since then takes the scope out (the response names what is granted). A scope or a rich
        // authorization type taken from the client since then is not issued either, as at a refresh (review round 13,
        // L4; J6, J13).
        let registered = Set(client.record.scopes)
        if let details = approved.authorizationDetails { try context.authorizationDetails.check(details, clientID: client.id) }
        let question = request.question(.redeem, by: ClientIdentity(.oauth(client)), user: approved.subject, audiences: approvedAudience)
        let scope = try context.scopeCheck.grantedScope(
            requested: nil,
            offered: Scope(approved.scope.filter(registered.contains)),
            question: question
        )
        try context.scopeCheck.refuseForbiddenTypes(of: approved.authorizationDetails, question: question)
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
        // A token that keeps the scope keeps the approved Cedar entries of each type it leaves out (review round 10, H8).
        grant.authorizationDetails =
            narrowed.details.map { CedarGrantCarry.carry(from: approved.authorizationDetails, into: $0, keepsScope: !scope.isEmpty) }
            ?? approved.authorizationDetails
        grant.refreshAuthorizationDetails = approved.authorizationDetails
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
