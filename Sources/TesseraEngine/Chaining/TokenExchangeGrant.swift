import Foundation
import TesseraProtocol
import TesseraStorage

/// The token exchange grant (RFC 8693): a `subject_token` (and, for delegation, an `actor_token`)
/// exchanged for an access token of ours or — when the target is a peer AS — a JWT authorization
/// grant for that AS (draft-ietf-oauth-identity-chaining §2.3), minted by the one issuer.
///
/// Rules: the client is authenticated and entitled to present the subject token (identity
/// chaining §5.3); the new token never exceeds the subject token (RFC 8693 §2.1, §5; RFC 9700
/// §4.8) — scope, audience and `authorization_details` only narrow, and a key-bound subject token
/// needs a proof of its key and yields a token bound to the proven key (``DerivedTokenRules``); an
/// unknown or untrusted target is `invalid_target` (RFC 8693 §2.2.2); nothing exchanged carries a
/// refresh token.
struct TokenExchangeGrant: EvidenceHandler {
    let grantType: GrantType = .tokenExchange
    let validator: ExchangeTokenValidator
    let trust: TrustConfiguration
    /// Redeems grants at peers configured with `redeem` (Appendix B.2); `nil` when no HTTP client is available.
    let redeemer: GrantRedeemer?
    /// Mints ID-JAGs (`requested_token_type` id-jag, draft-ietf-oauth-identity-assertion-authz-grant §4.3).
    let idJAG: IDJAGIssuer

    private enum Target {
        case peer(TrustConfiguration.Peer)
        /// Our own resources: the audience asked for, or `nil` when the request names none.
        case local([String]?)
    }

    /// Who presents the subject token: its holder (or an impersonator) as its own, or a delegate
    /// that becomes the new token's `act` (RFC 8693 §1.1).
    private struct Delegation {
        var actor: ActorClaim?
        var delegated: Bool
    }

    /// What an exchange will issue, decided and not yet minted.
    private enum Plan {
        /// An ID-JAG (``IDJAGIssuer``), which decides on the request's own rights.
        case idJAG
        /// A JWT authorization grant for a peer AS, redeemed there when `issuedType` is an access token.
        case peer(TokenIssuer.Assertion, TrustConfiguration.Peer, issuedType: String, bound: Confirmation?)
        /// A token of ours.
        case local(TokenIssuer.Grant, issuedType: String)
    }

    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    {
        switch try await plan(request, client: client, key: key, context: context) {
        case .idJAG:
            return try await idJAG.issue(request, client: client, key: key, context: context)
        case .peer(let assertion, let peer, let issuedType, let bound):
            let minted = try await context.issuer.mintAssertion(assertion)
            guard issuedType == TokenTypeIdentifier.accessToken else { return minted }
            // Appendix B.2: we present the grant ourselves and hand over the peer's access token.
            guard let redeemer else {
                throw OAuthError.temporarilyUnavailable("this server cannot reach peer '\(peer.name)' to redeem the grant")
            }
            return try await redeemer.redeem(grant: minted.accessToken, scope: assertion.scope, peer: peer, bound: bound)
        case .local(let grant, let issuedType):
            let minted = try await context.issuer.mint(grant)
            try await context.tokens.record(minted.issuance)
            var response = minted.response
            response.issuedTokenType = issuedType
            return response
        }
    }

    /// What the exchange will issue — without `scope`, the subject token's scope and `authorization_details` — for
    /// the client-challenge policy (review round 10, H2); the subject token is read, nothing is issued or spent.
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: the token's rights; for an ID-JAG, the request's.
    /// - Throws: the refusal the exchange would answer.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws
        -> ChallengedRights
    {
        switch try await plan(request, client: client, key: key, context: context) {
        case .idJAG: .presented(request)
        case .peer(let assertion, _, _, _):
            ChallengedRights(scope: assertion.scope.tokens, resources: [assertion.audience], authorizationDetails: nil)
        case .local(let grant, _): .issued(grant)
        }
    }

    /// Every check and decision of the exchange (RFC 8693 §2.1), nothing minted.
    private func plan(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> Plan {
        guard client.method != .none else {
            throw OAuthError.invalidClient("token exchange needs an authenticated client")
        }
        guard case .subjectToken(let presented) = request.evidence else { throw OAuthError.invalidRequest("a subject token is required") }
        // An ID-JAG is a profile of its own: an identity assertion in, the issuance policy deciding the access.
        if presented.requestedTokenType == TokenTypeIdentifier.idJAG { return .idJAG }
        let subjectToken = try Evidence.require(presented.token, "subject_token")
        let subjectType = try Evidence.require(presented.tokenType, "subject_token_type")
        let actorToken = presented.actorToken
        let actorType = presented.actorTokenType
        if (actorToken == nil) != (actorType == nil) {
            throw OAuthError.invalidRequest("actor_token and actor_token_type go together (RFC 8693 §2.1)")
        }
        let target = try resolveTarget(audiences: request.audiences, resources: request.resources, context: context)
        let issuedType = try issuedTokenType(requested: presented.requestedTokenType, target: target)

        let subject = try await validator.validate(subjectToken, type: subjectType, role: "subject_token")
        var actingParty: PresentedToken?
        if let actorToken, let actorType {
            actingParty = try await validator.validate(actorToken, type: actorType, role: "actor_token")
        }
        let presenter = try delegation(subject: subject, actingParty: actingParty, client: client)
        // Never outliving what it derives from (DerivedTokenRules): a self-exchange cannot extend a token.
        let expiresNoLaterThan = DerivedTokenRules.expiry(of: [subject, actingParty])
        let actor = presenter.actor
        // The holder proves the subject token's key; a delegate proves its own (its actor token's,
        // when bound). Either way a bound parent yields a bound token.
        let confirmation = try DerivedTokenRules.confirmation(
            required: presenter.delegated ? actingParty?.confirmation : subject.confirmation,
            parentBound: subject.confirmation != nil || actingParty?.confirmation != nil,
            proven: key?.confirmation,
            role: presenter.delegated && actingParty?.confirmation != nil ? "actor_token" : "subject_token"
        )

        // A token of ours: the audience asked for, within the subject token's, else the subject token's own. A trusted
        // issuer's JWT is addressed to this AS, not to our resource servers: its parent audience is our default one
        // (docs/chaining.md, "Derived tokens"). Asked about whether named or inherited (review round 11, J2).
        var localAudience: [String]?
        if case .local(let requested) = target {
            localAudience = try DerivedTokenRules.audience(
                requested: requested,
                within: subject.isOurs ? subject.audience : context.resourceCheck.defaultAudience
            )
        }
        let question = request.question(
            .exchange,
            by: ClientIdentity(.oauth(client)),
            user: subject.subject == client.id ? nil : subject.subject,
            audiences: localAudience.map(context.resourceCheck.named) ?? request.audiences + request.resources
        )
        // The receiving client's registration caps what it gets, whatever the subject token holds: an impersonation or
        // delegation client registered for `read` is not issued `admin` (RFC 8693 §2.1, RFC 6749 §3.3; review round 13,
        // L5), as a refresh (J6) and a jwt-bearer redemption cap theirs.
        let registered = Scope(client.record.scopes)
        if let requested = request.rights.scope, case let unregistered = requested.subtracting(registered), !unregistered.isEmpty {
            throw OAuthError.invalidScope("scope not allowed for this client: \(unregistered.description)")
        }
        let offered = Scope(subject.scope.tokens.filter(Set(registered.tokens).contains))
        let scope = try context.scopeCheck.grantedScope(
            requested: request.rights.scope,
            offered: offered,
            ceiling: .init(scope: subject.scope, refusal: "scope exceeds the subject token's scope: "),
            question: question
        )

        switch target {
        case .peer(let peer):
            if request.rights.authorizationDetails != nil {
                throw OAuthError.invalidAuthorizationDetails(
                    "authorization_details are not carried into a JWT authorization grant for a peer AS; ask the peer AS for them"
                )
            }
            // A JWT authorization grant (identity chaining §2.3.3): the transcribed subject and claims, the
            // redeeming `client_id` (RFC 7523 §3), `act` where delegated, `requested_cnf` for a proven key.
            guard let mapped = peer.outbound.subject(of: subject.claims) else {
                throw OAuthError.invalidRequest("the subject cannot be mapped to an identity in peer '\(peer.name)'")
            }
            var claims = peer.outbound.transcribedClaims(of: subject.claims)
            claims["sub"] = .string(mapped)
            // Appendix B.2: this AS redeems the grant itself, as the peer's client `redeem.client_id`.
            let redeeming = issuedType == TokenTypeIdentifier.accessToken ? (peer.redeem?.clientID ?? client.id) : client.id
            claims["client_id"] = .string(redeeming)
            if let actor { claims["act"] = JWTClaimSet.jsonValue(actor) }
            if let jkt = confirmation?.jkt { claims["requested_cnf"] = .object(["jkt": .string(jkt)]) }
            let assertion = TokenIssuer.Assertion(
                kind: .authorizationGrant,
                claims: claims,
                audience: peer.issuer,
                scope: scope,
                clientID: client.id,
                subject: subject.subject,
                parent: DerivedTokenRules.parent(subject),
                actorParent: actingParty.flatMap(DerivedTokenRules.parent),
                expiresNoLaterThan: expiresNoLaterThan
            )
            return .peer(assertion, peer, issuedType: issuedType, bound: confirmation)
        case .local:
            let audience = localAudience ?? context.resourceCheck.defaultAudience
            var grant = TokenIssuer.Grant(
                grantID: TokenIssuer.sortableIdentifier(),
                clientID: client.id,
                subject: subject.subject,
                scope: scope,
                audience: audience,
                includeRefreshToken: false
            )
            grant.actor = actor
            grant.confirmation = confirmation
            grant.parent = DerivedTokenRules.parent(subject)
            // A delegated token dies with its actor token too (RFC 8693 §4.1; eighth review, F7).
            grant.actorParent = actingParty.flatMap(DerivedTokenRules.parent)
            grant.expiresNoLaterThan = expiresNoLaterThan
            // RFC 9396 §7 as for a refresh: the subject token's details, or a narrowing of them (a Cedar
            // set only keeps policies the subject token's set holds); never details it does not carry.
            if let requested = request.rights.authorizationDetails {
                guard let held = subject.authorizationDetails else {
                    throw OAuthError.invalidAuthorizationDetails(
                        "the subject_token carries no authorization_details; an exchanged token may only narrow its subject token's (RFC 8693 §2.1)"
                    )
                }
                // A token that keeps the scope keeps the subject token's Cedar entries of each type it leaves out (H8).
                grant.authorizationDetails = CedarGrantCarry.carry(
                    from: held,
                    into: try context.authorizationDetails.narrow(requested, within: held),
                    keepsScope: !scope.isEmpty
                )
            } else {
                grant.authorizationDetails = subject.authorizationDetails
            }
            // The entries go to this client now: its types must still be ones it may hold (`clients`, members, schema),
            // as for a request of its own (review round 11, J13: an impersonation client received a type it may not ask for).
            if let details = grant.authorizationDetails { try context.authorizationDetails.check(details, clientID: client.id) }
            try context.scopeCheck.refuseForbiddenTypes(of: grant.authorizationDetails, question: question)
            return .local(grant, issuedType: issuedType)
        }
    }

    /// The acting party the new token names, after checking the client may present the subject
    /// token (RFC 8693 §1.1, §4.1, §4.4; identity chaining §5.3).
    private func delegation(subject: PresentedToken, actingParty: PresentedToken?, client: AuthenticatedClient) throws -> Delegation {
        guard let actingParty else {
            if subject.belongs(to: client.id) { return Delegation(actor: subject.actor, delegated: false) }
            if subject.mayBeActedFor(by: client.id, issuer: nil) {
                return Delegation(actor: ActorClaim(sub: client.id, clientID: client.id, prior: subject.actor), delegated: true)
            }
            if trust.impersonationClients.contains(client.id) { return Delegation(actor: subject.actor, delegated: false) }
            throw OAuthError.invalidRequest("subject_token was not issued to this client, and this client may not act for its subject")
        }
        guard actingParty.belongs(to: client.id) else {
            throw OAuthError.invalidRequest("actor_token was not issued to this client")
        }
        guard
            subject.belongs(to: client.id) || subject.mayBeActedFor(by: actingParty.subject, issuer: actingParty.issuer)
                || trust.delegationClients.contains(client.id)
        else {
            throw OAuthError.invalidRequest("the subject_token's may_act does not name the actor, and this client may not delegate for it")
        }
        return Delegation(
            actor: ActorClaim(sub: actingParty.subject, iss: actingParty.issuer, clientID: client.id, prior: subject.actor),
            delegated: true
        )
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
            throw OAuthError.invalidTarget(
                "audience '\(FormParameters.printableValue(audience))' is neither a trusted peer nor this server"
            )
        }
        if !resources.isEmpty { return .local(try context.resourceCheck.audience(for: resources)) }
        if !audiences.isEmpty { return .local(audiences.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }) }
        return .local(nil)
    }

    /// `requested_token_type` (RFC 8693 §2.1): a JWT grant for a peer; an access token (a JWT) here.
    private func issuedTokenType(requested: String?, target: Target) throws -> String {
        // A peer with an `id_jag:` block is reached through ID-JAGs only, under that block's rules (draft-ietf-oauth-
        // identity-assertion-authz-grant §4.3.3): a plain JWT grant for it would carry the same identity assertion
        // past its client, scope and resource allow-lists (eighth review, F6).
        if case .peer(let peer) = target, peer.idJAG != nil {
            throw OAuthError.invalidTarget(
                "peer '\(peer.name)' is configured for ID-JAGs (chaining.peers[].id_jag): ask for requested_token_type \(TokenTypeIdentifier.idJAG) with an ID token; no other token is issued for it (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3)"
            )
        }
        switch (target, requested) {
        case (.peer, nil), (.peer, TokenTypeIdentifier.jwt?): return TokenTypeIdentifier.jwt
        case (.peer(let peer), TokenTypeIdentifier.accessToken?) where peer.redeem != nil: return TokenTypeIdentifier.accessToken
        case (.peer(let peer), let other?):
            let supported = peer.redeem == nil ? TokenTypeIdentifier.jwt : "\(TokenTypeIdentifier.jwt), \(TokenTypeIdentifier.accessToken)"
            throw OAuthError.invalidRequest(
                "requested_token_type '\(FormParameters.printableValue(other))' is not issued for peer '\(peer.name)' (supported: \(supported))"
            )
        case (.local, nil), (.local, TokenTypeIdentifier.accessToken?): return TokenTypeIdentifier.accessToken
        case (.local, TokenTypeIdentifier.jwt?): return TokenTypeIdentifier.jwt
        case (.local, let other?):
            throw OAuthError.invalidRequest(
                "requested_token_type '\(FormParameters.printableValue(other))' is not supported (supported: access_token, jwt)"
            )
        }
    }
}
