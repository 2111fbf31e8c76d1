import TesseraProtocol
import TesseraStorage

/// The refresh token grant (RFC 6749 §6) with rotation: every use returns a new refresh token and
/// a second use of an old one revokes the whole family (RFC 9700 §4.14.2).
struct RefreshTokenGrant: EvidenceHandler {
    let grantType: GrantType = .refreshToken

    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    {
        guard case .refreshToken(let presented) = request.evidence else { throw OAuthError.invalidRequest("a refresh token is required") }
        let hash = TokenIssuer.hashToken(presented)
        let now = context.now()
        guard let record = try await context.tokens.refreshToken(hash: hash), record.clientID == client.id else {
            throw OAuthError.invalidGrant("refresh token is unknown, or was issued to another client")
        }
        if record.usedAt != nil {
            try await context.tokens.revokeGrant(id: record.grantID, at: now)
            throw OAuthError.invalidGrant("refresh token was already used; every token of its grant is now revoked")
        }
        guard record.isActive(at: now) else { throw OAuthError.invalidGrant("refresh token has expired or was revoked") }
        // RFC 9449 §5: a bound refresh token is only usable with a DPoP proof — from the same key for a
        // public client; a confidential client may prove another key. Never without one: the grant's
        // tokens were key-bound, so the new ones are too (RFC 9700 §4.8).
        if let boundKey = record.jkt {
            guard let proven = key?.jkt else {
                throw OAuthError(.invalidDPoPProof, "this refresh token's grant is bound to a DPoP key; send a DPoP proof (RFC 9449 §5)")
            }
            guard client.record.authMethod != .none || ConstantTime.equals(Array(proven.utf8), Array(boundKey.utf8)) else {
                throw OAuthError.invalidGrant("this refresh token is bound to a different DPoP key")
            }
        }

        // The token's audience (RFC 8707 §2.2), inherited or narrowed, asked about whether or not the request names it: an
        // owner's forbid on it written since the family began holds here too (review round 11, J2).
        let audience = try context.resourceCheck.narrowed(to: request.resources, within: record.audience)
        let question = request.question(
            .refresh,
            by: ClientIdentity(.oauth(client)),
            user: record.subject == client.id ? nil : record.subject,
            audiences: context.resourceCheck.named(audience)
        )
        // The family's scope as far as the client is still registered for it: an operator who takes a scope from the
        // client takes it from every family the client holds, at its next refresh (review round 11, J6; RFC 6749 §6).
        let registered = Set(client.record.scopes)
        let grantScope = Scope(record.scope.split(separator: " ").map(String.init).filter(registered.contains))
        let scope = try context.scopeCheck.grantedScope(
            requested: request.rights.scope,
            offered: grantScope,
            ceiling: .init(scope: grantScope, refusal: "scope not allowed for this client: "),
            question: question
        )
        // RFC 9396 §7: the grant's details are remembered with the refresh token; a refresh
        // request may ask for a subset of them for this access token, never for more.
        let grantDetails: [JSONValue]?
        do { grantDetails = try TokenIssuer.decodeDetails(record.authorizationDetails) } catch {
            throw OAuthError.serverError("the stored authorization_details of this grant cannot be read")
        }
        var details = grantDetails
        if let requested = request.rights.authorizationDetails {
            guard let grantDetails else {
                throw OAuthError.invalidAuthorizationDetails("this grant holds no authorization_details; a refresh may only narrow")
            }
            // A token that keeps the scope keeps the grant's Cedar entries of each type it leaves out (review round 10, H8).
            details = CedarGrantCarry.carry(
                from: grantDetails,
                into: try context.authorizationDetails.narrow(requested, within: grantDetails),
                keepsScope: !scope.isEmpty
            )
        }
        // The family's types as the configuration stands now (`clients`, members, schema): a type the operator has taken
        // from the client ends at its next refresh (review round 11, J6).
        if let details { try context.authorizationDetails.check(details, clientID: client.id) }
        try context.scopeCheck.refuseForbiddenTypes(of: details, question: question)
        var grant = TokenIssuer.Grant(
            grantID: record.grantID,
            clientID: client.id,
            subject: record.subject,
            scope: scope,
            audience: audience,
            includeRefreshToken: true,
            refreshScope: grantScope
        )
        grant.confirmation = key?.confirmation
        grant.refreshTokenBinding = key?.jkt ?? record.jkt
        grant.authorizationDetails = details
        grant.refreshAuthorizationDetails = grantDetails
        grant.parent = TokenParent(.refresh)
        let minted = try await context.issuer.mint(grant)
        var issuance = minted.issuance
        issuance.refreshToken?.audience = record.audience
        switch try await context.tokens.rotateRefreshToken(hash: hash, at: now, replacement: issuance) {
        case .rotated:
            return minted.response
        case .reuseDetected:
            throw OAuthError.invalidGrant("refresh token was already used; every token of its grant is now revoked")
        case .invalid:
            throw OAuthError.invalidGrant("refresh token has expired or was revoked")
        }
    }
}
