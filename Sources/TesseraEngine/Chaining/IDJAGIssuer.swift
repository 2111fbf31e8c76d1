import Foundation
import TesseraProtocol

/// The IdP role of draft-ietf-oauth-identity-assertion-authz-grant (§4.3): a token exchange
/// (RFC 8693) with `requested_token_type=urn:ietf:params:oauth:token-type:id-jag` turns the ID token
/// the client holds into an Identity Assertion JWT Authorization Grant for one resource AS.
///
/// Rules: the client is authenticated; the subject token is an ID token issued to it
/// (``IDJAGSubjectValidator``); `audience` names exactly one peer with ``IDJAGTrust`` settings and
/// each `resource` is in that peer's table, and one is named when the table lists any (`invalid_target`,
/// EMA §7.6); the one decision point (`Action::"exchange"`, `context.requestedTokenType` id-jag;
/// `chaining.peers[].id_jag` translated into policies, docs/policy.md; `chaining.id_jag_policy_file`
/// translated too, reading the ID token's
/// facts from `context.chaining`) permits this client an ID-JAG for that peer and resources
/// (`invalid_target`) and each requested scope (`invalid_scope`); then, when the peer's `step_up`
/// asks for it, the sign-in is fresh and strong enough (``IDJAGStepUp``, `insufficient_user_authentication`).
/// The ID-JAG is `typ: oauth-id-jag+jwt` (§3.1) with `iss`, `sub`, `aud`, `client_id` (the client's
/// identifier at the resource AS, §5), `jti`, `iat`, `exp` (≤ 300 s, never after the ID token's), the granted `resource`,
/// `scope` and `authorization_details` (§4.3.3 rule 4: what this AS granted, after narrowing; also in
/// the response), and `cnf.jkt` when the request proved a DPoP key (§8.6). The response is `N_A` with
/// `issued_token_type` id-jag and never a refresh token (§4.3.4).
struct IDJAGIssuer: Sendable {
    let issuer: TokenIssuer
    let trust: TrustConfiguration
    let subjects: IDJAGSubjectValidator

    /// OpenID Connect authentication claims an ID-JAG carries over from the ID token (draft §3.1).
    static let authenticationClaims = ["auth_time", "acr", "amr"]

    func issue(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context grantContext: GrantContext
    ) async throws -> TokenResponse {
        guard case .subjectToken(let presented) = request.evidence else { throw OAuthError.invalidRequest("a subject token is required") }
        let subjectToken = try Evidence.require(presented.token, "subject_token")
        let subjectType = try Evidence.require(presented.tokenType, "subject_token_type")
        guard subjectType == TokenTypeIdentifier.idToken else {
            throw OAuthError.invalidRequest(
                "an ID-JAG is minted from an ID token: subject_token_type must be \(TokenTypeIdentifier.idToken) (draft-ietf-oauth-identity-assertion-authz-grant §4.3.1)"
            )
        }
        if presented.actorToken != nil || presented.actorTokenType != nil {
            throw OAuthError.invalidRequest("actor_token is not processed when minting an ID-JAG")
        }
        let audiences = request.audiences
        guard audiences.count == 1, let audience = audiences.first else {
            throw OAuthError.invalidRequest(
                "an ID-JAG request names exactly one 'audience': the issuer of the resource authorization server (§4.3.1)"
            )
        }
        guard let peer = trust.idJAGAudience(audience), let settings = peer.idJAG else {
            throw OAuthError.invalidTarget(
                "audience '\(FormParameters.printableValue(audience))' is not a resource authorization server this server issues ID-JAGs for"
            )
        }
        let resources = request.resources.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if let unknown = resources.first(where: { !settings.resources.contains($0) }) {
            throw OAuthError.invalidTarget(
                "resource '\(FormParameters.printableValue(unknown))' is not a resource of '\(peer.name)' that ID-JAGs may name (MCP Enterprise-Managed Authorization §7.6)"
            )
        }
        // A table that lists resources binds every ID-JAG for the peer, one naming none too: that one would be redeemed
        // for the resource AS's default audience, in no table (§4.3.3; RFC 8707 §2 "missing"; ninth review, G3). Not the
        // single listed resource either: an ID-JAG asserts only what its client asked for.
        if resources.isEmpty, !settings.resources.isEmpty {
            throw OAuthError.invalidTarget(
                "an ID-JAG for '\(peer.name)' must name its 'resource', one of those listed for it (RFC 8707 §2; MCP Enterprise-Managed Authorization §7.6)"
            )
        }

        let identity = try await subjects.validate(subjectToken, client: client.id)
        guard let subject = peer.outbound.subject(of: identity) else {
            throw OAuthError.invalidGrant("the subject cannot be mapped to an identity at '\(peer.name)'")
        }
        // An ID token carries no authorization, so its scope is no ceiling: policy decides each scope.
        let scope = request.rights.scope ?? Scope([String]())
        var question = AccessQuestion(
            party: .init(oauth: client.record),
            operation: .exchange,
            rights: scope.tokens,
            audiences: [peer.issuer] + resources,
            user: subject,
            door: .oauth,
            grantType: GrantType.tokenExchange.rawValue
        )
        question.requestedTokenType = TokenTypeIdentifier.idJAG
        question.chaining = [
            "audience": .string(peer.issuer), "resource": .array(resources.map(JSONValue.string)), "subject": .string(subject),
            "subject_issuer": identity["iss"] ?? .null, "claims": .object(identity.values), "peer": .string(peer.name),
        ]
        let decision = grantContext.scopeCheck.decisions.decide(question)
        guard decision.refusedAudiences.isEmpty else {
            throw OAuthError.invalidTarget(
                "policy does not allow client '\(client.id)' an ID-JAG for '\(peer.name)'\(resources.isEmpty ? "" : " and this resource")"
            )
        }
        if let refused = decision.denials.first(where: { $0.kind == .right })?.right {
            throw OAuthError.invalidScope(
                "policy does not allow client '\(client.id)' the scope '\(refused)' in an ID-JAG for '\(peer.name)'"
            )
        }
        // §4.3.3 rules 3–4: `authorization_details` as every grant processes them (the types this AS knows, the
        // Cedar profile's narrowing, the owner's forbid on a type), and the granted entries go into the ID-JAG.
        let details = try grantedDetails(
            request.rights.authorizationDetails,
            client: client,
            subject: subject,
            question: question,
            peer: peer.name,
            context: grantContext
        )
        // Last: only a sign-in too old or too weak is left, so a new one would succeed (step-up branch).
        if let requirement = settings.stepUp { try IDJAGStepUp.check(requirement, identity: identity, now: subjects.now()) }

        var claims = peer.outbound.transcribedClaims(of: identity)
        for name in Self.authenticationClaims { if let value = identity[name] { claims[name] = value } }
        claims["sub"] = .string(subject)
        claims["client_id"] = .string(settings.clientIDs[client.id] ?? client.id)
        if resources.count == 1 {
            claims["resource"] = .string(resources[0])
        } else if !resources.isEmpty {
            claims["resource"] = .array(resources.map(JSONValue.string))
        }
        if let jkt = key?.jkt { claims["cnf"] = .object(["jkt": .string(jkt)]) }
        return try await issuer.mintAssertion(
            .init(
                kind: .idJAG,
                claims: claims,
                audience: peer.issuer,
                scope: scope,
                clientID: client.id,
                subject: subject,
                authorizationDetails: details,
                // Never outliving the ID token it is minted from (as every derived token, DerivedTokenRules.expiry):
                // its `exp` was checked by the validator, whichever trusted issuer signed it.
                expiresNoLaterThan: identity.numericDate("exp").map { Date(timeIntervalSince1970: Double($0)) }
            )
        )
    }

    /// The `authorization_details` an ID-JAG carries (draft §4.3.3 rules 3–4, RFC 9396 §2): the requested
    /// entries validated against the types this AS knows, Cedar policy sets narrowed by each type's delegation
    /// policies for the client and the subject the ID-JAG names, then each entry's type asked of the one
    /// decision point as its scopes are: a type needs a permit (`chaining.peers[].id_jag.scopes` lists the scopes
    /// and types an ID-JAG for the peer may carry, docs/mcp.md), and an owner's `forbid … resource ==
    /// Scope::"<type>"` refuses it, as at every door.
    /// - Parameters:
    ///   - requested: the request's entries, if any.
    ///   - client: the authenticated client.
    ///   - subject: the `sub` the ID-JAG carries for the resource AS.
    ///   - question: the issuance question asked of the scope.
    ///   - peer: the peer's name, for the refusal.
    ///   - context: the grant context.
    /// - Returns: the granted entries, `nil` when none were requested.
    /// - Throws: ``OAuthError`` `invalid_authorization_details` (RFC 9396 §5) naming the entry, the type or the policy.
    private func grantedDetails(
        _ requested: [JSONValue]?,
        client: AuthenticatedClient,
        subject: String,
        question: AccessQuestion,
        peer: String,
        context: GrantContext
    ) throws(OAuthError) -> [JSONValue]? {
        guard let requested else { return nil }
        let granted = try context.authorizationDetails.grant(requested, to: .init(clientID: client.id, subject: subject))
        try context.scopeCheck.requirePermittedTypes(of: granted, question: question) { type in
            "policy does not allow client '\(client.id)' the authorization_details type '\(FormParameters.printableValue(type))' in an ID-JAG for '\(peer)' (chaining.peers[].id_jag.scopes lists the scopes and types it may carry)"
        }
        return granted
    }
}
