import TesseraProtocol
import TesseraStorage

/// The client credentials grant (RFC 6749 §4.4): the client acts for itself, so `sub` is its id
/// (RFC 9068 §2.2). A refresh token is added only when the client is registered for `refresh_token`.
struct ClientCredentialsGrant: EvidenceHandler {
    let grantType: GrantType = .clientCredentials

    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    {
        try context.resourceCheck.requireNamed(request.resources, client: client.record)
        // RFC 8707 resources and the rights' locations (RFC 9396 §2), as at the GNAP door: the token's audience, and
        // so the audiences the decision is asked about (review round 11, J1: locations are audiences too).
        let asked = try context.resourceCheck.audience(
            for: request.resources,
            locations: ResourceCheck.locations(of: request.rights.authorizationDetails)
        )
        // One question for both checks below (each fills in its own rights): the party is built once (issue 22).
        let question = request.question(.token, by: ClientIdentity(.oauth(client)), audiences: context.resourceCheck.named(asked))
        let scope = try context.scopeCheck.grantedScope(
            requested: request.rights.scope,
            offered: Scope(client.record.scopes),
            question: question
        )
        var grant = TokenIssuer.Grant(
            grantID: TokenIssuer.sortableIdentifier(),
            clientID: client.id,
            subject: client.id,
            scope: scope,
            audience: [],
            includeRefreshToken: client.record.grantTypes.contains(.refreshToken)
        )
        grant.confirmation = key?.confirmation
        grant.refreshTokenBinding = key?.jkt
        if let requested = request.rights.authorizationDetails {
            grant.authorizationDetails = try context.authorizationDetails.grant(
                requested,
                to: .init(clientID: client.id, subject: client.id)
            )
        }
        try context.scopeCheck.refuseForbiddenTypes(of: grant.authorizationDetails, question: question)
        // The granted rights' locations: within those asked about (granting drops entries' locations, never adds one).
        grant.audience = try context.resourceCheck.audience(
            for: request.resources,
            locations: ResourceCheck.locations(of: grant.authorizationDetails)
        )
        let minted = try await context.issuer.mint(grant)
        try await context.tokens.record(minted.issuance)
        return minted.response
    }
}
