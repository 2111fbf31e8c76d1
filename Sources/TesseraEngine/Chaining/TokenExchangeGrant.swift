import Foundation
import TesseraProtocol
import TesseraStorage

/// The token exchange grant (RFC 8693): a `subject_token` (and, for delegation, an `actor_token`)
/// exchanged for an access token of ours or — when the target is a peer AS — a JWT authorization
/// grant for that AS (draft-ietf-oauth-identity-chaining §2.3).
///
/// Rules: the client is authenticated and entitled to present the subject token (identity
/// chaining §5.3); scopes only narrow (§2.5); an unknown or untrusted target is `invalid_target`
/// (RFC 8693 §2.2.2); nothing exchanged carries a refresh token.
struct TokenExchangeGrant: GrantHandler {
    let grantType: GrantType = .tokenExchange
    let validator: ExchangeTokenValidator
    let minter: AuthorizationGrantMinter
    let trust: TrustConfiguration
    /// Redeems grants at peers configured with `redeem` (Appendix B.2); `nil` when no HTTP client is available.
    let redeemer: GrantRedeemer?

    private enum Target {
        case peer(TrustConfiguration.Peer)
        case local([String])
    }

    func handle(_ request: TokenRequest, client: AuthenticatedClient, context: GrantContext) async throws -> TokenResponse {
        guard client.method != .none else {
            throw OAuthError.invalidClient("token exchange needs an authenticated client")
        }
        let form = request.parameters
        let subjectToken = try form.require("subject_token")
        let subjectType = try form.require("subject_token_type")
        let actorToken = form["actor_token"]
        let actorType = form["actor_token_type"]
        if (actorToken == nil) != (actorType == nil) {
            throw OAuthError.invalidRequest("actor_token and actor_token_type go together (RFC 8693 §2.1)")
        }
        let target = try resolveTarget(audiences: form.all("audience"), resources: request.resources, context: context)
        let issuedType = try issuedTokenType(requested: form["requested_token_type"], target: target)

        let subject = try await validator.validate(subjectToken, type: subjectType, role: "subject_token")
        var actingParty: PresentedToken?
        if let actorToken, let actorType {
            actingParty = try await validator.validate(actorToken, type: actorType, role: "actor_token")
        }
        let actor = try delegation(subject: subject, actingParty: actingParty, client: client)

        let scope: Scope
        if let requested = request.scope {
            scope = try Scope(parsing: requested)
            let extra = scope.subtracting(subject.scope)
            guard extra.isEmpty else {
                throw OAuthError.invalidScope("scope exceeds the subject token's scope: \(extra.description)")
            }
        } else {
            scope = subject.scope
        }

        switch target {
        case .peer(let peer):
            if request.authorizationDetails != nil {
                throw OAuthError.invalidAuthorizationDetails(
                    "authorization_details are not carried into a JWT authorization grant for a peer AS; ask the peer AS for them"
                )
            }
            let minted = try await minter.mint(
                .init(peer: peer, subject: subject, client: client, scope: scope, actor: actor, confirmation: request.confirmation)
            )
            guard issuedType == TokenTypeIdentifier.accessToken else { return minted }
            // Appendix B.2: we present the grant ourselves and hand over the peer's access token.
            guard let redeemer else { throw OAuthError.temporarilyUnavailable("this server cannot reach peer '\(peer.name)' to redeem the grant") }
            return try await redeemer.redeem(grant: minted.accessToken, scope: scope, peer: peer, bound: request.confirmation)
        case .local(let audience):
            var grant = TokenIssuer.Grant(
                grantID: TokenIssuer.sortableIdentifier(),
                clientID: client.id,
                subject: subject.subject,
                scope: scope,
                audience: audience,
                includeRefreshToken: false
            )
            grant.actor = actor
            grant.confirmation = request.confirmation
            if let requested = request.authorizationDetails {
                // RFC 9396 §6: decided (and Cedar sets narrowed) for the token's subject, as for every grant.
                grant.authorizationDetails = try context.authorizationDetails.grant(requested, to: .init(clientID: client.id, subject: subject.subject))
            }
            let minted = try await context.issuer.mint(grant)
            try await context.tokens.record(minted.issuance)
            var response = minted.response
            response.issuedTokenType = issuedType
            return response
        }
    }

    /// The acting party the new token names, after checking the client may present the subject
    /// token (RFC 8693 §1.1, §4.1, §4.4; identity chaining §5.3).
    private func delegation(subject: PresentedToken, actingParty: PresentedToken?, client: AuthenticatedClient) throws -> ActorClaim? {
        guard let actingParty else {
            if subject.belongs(to: client.id) { return subject.actor }
            if subject.mayBeActedFor(by: client.id, issuer: nil) {
                return ActorClaim(sub: client.id, clientID: client.id, prior: subject.actor)
            }
            if trust.impersonationClients.contains(client.id) { return subject.actor }
            throw OAuthError.invalidRequest("subject_token was not issued to this client, and this client may not act for its subject")
        }
        guard actingParty.belongs(to: client.id) else {
            throw OAuthError.invalidRequest("actor_token was not issued to this client")
        }
        guard subject.belongs(to: client.id) || subject.mayBeActedFor(by: actingParty.subject, issuer: actingParty.issuer)
            || trust.delegationClients.contains(client.id)
        else {
            throw OAuthError.invalidRequest("the subject_token's may_act does not name the actor, and this client may not delegate for it")
        }
        return ActorClaim(sub: actingParty.subject, iss: actingParty.issuer, clientID: client.id, prior: subject.actor)
    }

    /// `resource` and `audience` (RFC 8693 §2.1, RFC 8707): one peer AS, or targets of ours.
    private func resolveTarget(audiences: [String], resources: [String], context: GrantContext) throws -> Target {
        let targets = audiences + resources
        guard targets.count <= 10 else { throw OAuthError.invalidTarget("at most 10 resource and audience values per request") }
        let peers = targets.compactMap { trust.peer(forTarget: $0) }
        if let peer = peers.first {
            guard peers.count == targets.count, peers.allSatisfy({ $0.name == peer.name }) else {
                throw OAuthError.invalidTarget("a grant for another domain names exactly one peer authorization server and nothing else")
            }
            return .peer(peer)
        }
        for audience in audiences where !context.resourceCheck.defaultAudience.contains(audience) {
            throw OAuthError.invalidTarget("audience '\(FormParameters.printableValue(audience))' is neither a trusted peer nor this server")
        }
        return .local(try context.resourceCheck.audience(for: resources))
    }

    /// `requested_token_type` (RFC 8693 §2.1): a JWT grant for a peer; an access token (a JWT) here.
    private func issuedTokenType(requested: String?, target: Target) throws -> String {
        switch (target, requested) {
        case (.peer, nil), (.peer, TokenTypeIdentifier.jwt?): return TokenTypeIdentifier.jwt
        case (.peer(let peer), TokenTypeIdentifier.accessToken?) where peer.redeem != nil: return TokenTypeIdentifier.accessToken
        case (.peer(let peer), let other?):
            let supported = peer.redeem == nil ? TokenTypeIdentifier.jwt : "\(TokenTypeIdentifier.jwt), \(TokenTypeIdentifier.accessToken)"
            throw OAuthError.invalidRequest("requested_token_type '\(FormParameters.printableValue(other))' is not issued for peer '\(peer.name)' (supported: \(supported))")
        case (.local, nil), (.local, TokenTypeIdentifier.accessToken?): return TokenTypeIdentifier.accessToken
        case (.local, TokenTypeIdentifier.jwt?): return TokenTypeIdentifier.jwt
        case (.local, let other?):
            throw OAuthError.invalidRequest("requested_token_type '\(FormParameters.printableValue(other))' is not supported (supported: access_token, jwt)")
        }
    }
}
