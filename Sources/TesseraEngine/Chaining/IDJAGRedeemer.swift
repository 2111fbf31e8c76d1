import Foundation
import TesseraProtocol
import TesseraStorage

/// The resource AS role of draft-ietf-oauth-identity-assertion-authz-grant (§4.4): the jwt-bearer
/// grant (RFC 7523 §2.1) with an ID-JAG (`typ: oauth-id-jag+jwt`) as its assertion.
///
/// The client must have authenticated (`invalid_client`: draft §8, EMA §7.7). Then checks, in
/// order, each refusal `invalid_grant` naming what failed (RFC 7523 §3.1): not our own
/// ID-JAG (§8: an IdP never redeems what it issued); an `iss` that is a trusted IdP (a peer with
/// ``IDJAGTrust`` settings and keys); its `alg` and signature; `aud` exactly our issuer, a string or
/// a one-element array (§4.4.1, audience injection); `exp` (≤ the accepted lifetime), `nbf`,
/// `iat`, `sub`, `jti`; `client_id` = the authenticated client (§4.4.1); the `cnf` key proven
/// (§8.6); `resource` within the peer's table (naming none when it lists any is `invalid_target`) and covering the requested ones
/// (EMA §7.6). The `jti` is spent in the commit that records the access token (single use per issuer, durable,
/// until `exp`; EMA §7.4.2). The subject is
/// mapped as for chaining, the scope is the ID-JAG's ∩ the requested ∩ the client's ∩ the peer's
/// cap ∩ the chaining policy, the `authorization_details` at most the ID-JAG's (narrowed by the request
/// and by this AS's own types and policies), the access token's `aud` is the granted resource (EMA §5.1),
/// and no refresh token is issued (§4.4.2).
struct IDJAGRedeemer: Sendable {
    let issuer: String
    let trust: TrustConfiguration
    let keys: TrustKeys

    /// Every check and decision of the redemption, the `jti` not yet spent (``Redemption``).
    func resolve(
        _ jws: CompactJWS,
        request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> Redemption {
        // Draft §8: ID-JAGs are for confidential clients; EMA §7.7: client authentication MUST be enforced.
        guard client.method != .none else {
            throw OAuthError.invalidClient(
                "redeeming an ID-JAG needs an authenticated client (draft-ietf-oauth-identity-assertion-authz-grant §8)"
            )
        }
        let claims: JWTClaimSet
        do { claims = try JWTClaimSet(payload: jws.payload) } catch { throw OAuthError.invalidGrant("ID-JAG claims: \(error.message)") }
        guard let grantIssuer = claims.string("iss") else { throw OAuthError.invalidGrant("ID-JAG has no 'iss'") }
        guard grantIssuer != issuer else {
            throw OAuthError.invalidGrant(
                "the ID-JAG was issued by this server; an IdP does not redeem its own ID-JAGs (draft-ietf-oauth-identity-assertion-authz-grant §8)"
            )
        }
        guard let peer = trust.idJAGIssuer(grantIssuer), let settings = peer.idJAG else {
            throw OAuthError.invalidGrant(
                "ID-JAG issuer '\(FormParameters.printableValue(grantIssuer))' is not a trusted identity provider"
            )
        }
        guard peer.algorithms.contains(JWSAlgorithm(rawValue: jws.header.alg)) else {
            throw OAuthError.invalidGrant(
                "ID-JAG algorithm '\(FormParameters.printableValue(jws.header.alg))' is not allowed for '\(peer.name)'"
            )
        }
        let verifier = try await keys.verifier(
            owner: peer.issuer,
            jwks: peer.jwks,
            jwksURI: peer.jwksURI,
            metadataURL: peer.metadataURL,
            kid: jws.header.kid,
            code: .invalidGrant
        )
        do { _ = try verifier.verify(jws) } catch { throw OAuthError.invalidGrant("ID-JAG signature rejected: \(error.message)") }

        guard claims.audience == [issuer], Self.audienceShapeIsValid(claims["aud"]) else {
            throw OAuthError.invalidGrant("ID-JAG 'aud' must be exactly this server's issuer identifier (§4.4.1)")
        }
        let (jti, exp) = try checkTimes(claims, now: context.now())
        guard let named = claims.string("client_id") else { throw OAuthError.invalidGrant("ID-JAG has no 'client_id'") }
        guard ConstantTime.equals(Array(named.utf8), Array(client.id.utf8)) else {
            throw OAuthError.invalidGrant(
                "ID-JAG 'client_id' is not the authenticated client; only the client it was issued for redeems it (§4.4.1)"
            )
        }
        let confirmation = try confirmation(claims, proven: key?.confirmation)
        let audience = try grantedResources(
            claims,
            requested: request.resources,
            settings: settings,
            client: client.record,
            context: context
        )
        // Spent in the same commit as the token's record, after every check: nobody can burn the ID-JAG without
        // redeeming it, and it is spent exactly when it yields a token (one commit per redemption, issue 22).
        let spend = SingleUseSpend(
            namespace: "id_jag:\(peer.issuer)",
            value: jti,
            expiresAt: Date(timeIntervalSince1970: Double(exp) + trust.clockSkew),
            now: context.now()
        )

        guard let subject = peer.inbound.subject(of: claims) else {
            throw OAuthError.invalidGrant("the ID-JAG's subject cannot be mapped to a subject of this domain")
        }
        // Asked about the token's audience, the ID-JAG's `resource` when the request names none (review round 11, J1).
        var question = request.question(
            .redeem,
            by: ClientIdentity(.oauth(client)),
            user: subject,
            audiences: context.resourceCheck.named(audience)
        )
        question.peer = peer.name
        // chaining.policy_file, translated, reads the ID-JAG's facts from context.chaining.
        question.chaining = [
            "issuer": .string(peer.issuer), "subject": .string(subject), "client_id": claims["client_id"] ?? .string(""),
            "redeeming_client": .string(client.id), "claims": .object(claims.values),
            "actor": claims.decode("act", as: ActorClaim.self).map { .string($0.sub) } ?? .string(""),
        ]
        // The peer's cap (chaining.peers[].scopes) and any owner's forbid narrow it, as the intersection did;
        // chaining.policy_file refuses.
        let offered = try grantedScope(request.rights.scope, claims: claims, client: client)
        try context.scopeCheck.decisions.refusePeerGrant(question, offered: offered, file: trust.policy?.source)
        // A scope the client asked for by name and policy refuses is `invalid_scope`, as for a plain grant (JWTBearerGrant).
        let scope = try context.scopeCheck.grantedScope(
            requested: request.rights.scope == nil ? nil : offered,
            offered: offered,
            question: question
        )
        let details = try grantedDetails(
            claims,
            requested: request.rights.authorizationDetails,
            keepsScope: !scope.isEmpty,
            party: .init(clientID: client.id, subject: subject),
            question: question,
            context: context
        )
        var grant = TokenIssuer.Grant(
            grantID: TokenIssuer.sortableIdentifier(),
            clientID: client.id,
            subject: subject,
            scope: scope,
            audience: audience,
            includeRefreshToken: false
        )
        if claims["act"] != nil {
            guard let actor = claims.decode("act", as: ActorClaim.self) else {
                throw OAuthError.invalidGrant("ID-JAG has a malformed 'act' claim")
            }
            grant.actor = actor
        }
        grant.confirmation = confirmation
        grant.authorizationDetails = details
        grant.additionalClaims = peer.inbound.transcribedClaims(of: claims)
        return Redemption(grant: grant, spend: spend, replayed: "ID-JAG 'jti' was already used: an ID-JAG is redeemed once")
    }

    /// `aud` as a string or an array of exactly one string (§4.4.1).
    private static func audienceShapeIsValid(_ value: JSONValue?) -> Bool {
        switch value {
        case .string?: true
        case .array(let items)?: items.count == 1
        default: false
        }
    }

    /// RFC 7523 §3 items 4–7 and the `jti` the profile requires. Returns the `jti` and `exp`.
    private func checkTimes(_ claims: JWTClaimSet, now date: Date) throws -> (String, Int) {
        guard let subject = claims.string("sub"), !subject.isEmpty else { throw OAuthError.invalidGrant("ID-JAG has no 'sub'") }
        let current = date.timeIntervalSince1970
        guard let exp = claims.numericDate("exp") else { throw OAuthError.invalidGrant("ID-JAG has no 'exp'") }
        guard Double(exp) + trust.clockSkew > current else { throw OAuthError.invalidGrant("ID-JAG has expired") }
        guard Double(exp) - current <= trust.maximumGrantLifetime + trust.clockSkew else {
            throw OAuthError.invalidGrant("ID-JAG 'exp' is too far in the future (at most \(Int(trust.maximumGrantLifetime)) s)")
        }
        if let nbf = claims.numericDate("nbf"), Double(nbf) > current + trust.clockSkew {
            throw OAuthError.invalidGrant("ID-JAG is not valid yet ('nbf')")
        }
        guard let iat = claims.numericDate("iat") else { throw OAuthError.invalidGrant("ID-JAG has no 'iat'") }
        guard Double(iat) <= current + trust.clockSkew else { throw OAuthError.invalidGrant("ID-JAG 'iat' is in the future") }
        guard Double(exp - iat) <= trust.maximumGrantLifetime else {
            throw OAuthError.invalidGrant("ID-JAG lifetime exceeds \(Int(trust.maximumGrantLifetime)) s")
        }
        guard let jti = claims.string("jti"), PresentedIdentifier.isCanonical(jti, as: .tokenID) else {
            throw OAuthError.invalidGrant(
                "ID-JAG needs a 'jti' of at most 256 bytes of text without control characters (single use, EMA §7.4.2)"
            )
        }
        return (jti, exp)
    }

    /// §8.6: a `cnf` ID-JAG is redeemed only with a proof of that key, and the token stays bound to
    /// it; without `cnf`, a proven key binds the new token.
    private func confirmation(_ claims: JWTClaimSet, proven: Confirmation?) throws -> Confirmation? {
        guard claims["cnf"] != nil else { return proven }
        guard let bound = claims.decode("cnf", as: Confirmation.self)?.jkt, !bound.isEmpty else {
            throw OAuthError.invalidGrant("ID-JAG 'cnf' must carry a 'jkt' (a DPoP key): no other binding can be proven here")
        }
        guard let key = proven?.jkt else {
            throw OAuthError.invalidGrant(
                "the ID-JAG is bound to a DPoP key ('cnf'); proof of possession is required: redeem it with a DPoP proof of that key"
            )
        }
        guard ConstantTime.equals(Array(key.utf8), Array(bound.utf8)) else {
            throw OAuthError.invalidGrant("the key proven with this request is not the ID-JAG's 'cnf' key")
        }
        return proven
    }

    /// The access token's audience (EMA §5.1): the requested resources, each named by the ID-JAG;
    /// else the ID-JAG's; each in the peer's table. An ID-JAG without `resource` is `invalid_target` when the peer's
    /// table lists resources (RFC 8707 §2); with an empty table it yields our default audience, or `invalid_target`
    /// when the client must name its resources (``ResourceIndicatorRequirement``).
    private func grantedResources(
        _ claims: JWTClaimSet,
        requested: [String],
        settings: IDJAGTrust,
        client: ClientRecord,
        context: GrantContext
    ) throws -> [String] {
        let named: [String]
        switch claims["resource"] {
        case nil: named = []
        case .string(let value)?: named = [value]
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }) && !items.isEmpty: named = items.compactMap(\.stringValue)
        default: throw OAuthError.invalidGrant("ID-JAG 'resource' must be a URI or an array of URIs")
        }
        // Listed resources bind every ID-JAG from this IdP: one naming none gets no token for our default audience,
        // which is in no table (RFC 8707 §2 "missing"; ninth review, G3).
        if named.isEmpty, !settings.resources.isEmpty {
            throw OAuthError.invalidTarget(
                "the ID-JAG names no 'resource', and this server issues tokens from this IdP's ID-JAGs only for the resources listed for it (RFC 8707 §2)"
            )
        }
        if let unknown = named.first(where: { !settings.resources.contains($0) }) {
            throw OAuthError.invalidGrant(
                "ID-JAG 'resource' '\(FormParameters.printableValue(unknown))' is not a resource this server issues tokens for from this IdP"
            )
        }
        if let beyond = requested.first(where: { !named.contains($0) }) {
            throw OAuthError.invalidGrant(
                named.isEmpty
                    ? "the ID-JAG names no 'resource', so it cannot be redeemed for '\(FormParameters.printableValue(beyond))'"
                    : "resource '\(FormParameters.printableValue(beyond))' is not the ID-JAG's 'resource'"
            )
        }
        let targets = requested.isEmpty ? named : requested
        try context.resourceCheck.requireNamed(targets, client: client)
        do { return try context.resourceCheck.audience(for: targets) } catch { throw OAuthError.invalidGrant(error.message) }
    }

    /// The access token's `authorization_details` (§4.4.1: processed by policy, MAY be narrowed; RFC 9396 §7 as
    /// for any derived token): the requested entries, each a narrowing of one the ID-JAG carries (a Cedar set
    /// keeps only policies the ID-JAG's set holds), else the ID-JAG's; never details it does not carry. Then
    /// decided here as every grant decides them: the types this AS knows (an unknown one is refused), each
    /// Cedar set narrowed by this AS's delegation policies for the mapped subject, and each entry's type
    /// asked of the one decision point (an owner's forbid, or this peer's `scopes` cap, refuses it).
    /// - Parameters:
    ///   - claims: the verified ID-JAG's claims.
    ///   - requested: the request's `authorization_details`, if any.
    ///   - keepsScope: whether the access token carries a scope: then it keeps the ID-JAG's Cedar entries of each
    ///     type it leaves out (``CedarGrantCarry``, review round 10 H8).
    ///   - party: the redeeming client and the mapped subject.
    ///   - question: the redemption's question.
    ///   - context: the grant context.
    /// - Returns: the granted entries; `nil` when the ID-JAG carries none.
    /// - Throws: ``OAuthError`` `invalid_grant` for a malformed claim, `invalid_authorization_details`
    ///   (RFC 9396 §5) for details beyond the ID-JAG's or refused here.
    private func grantedDetails(
        _ claims: JWTClaimSet,
        requested: [JSONValue]?,
        keepsScope: Bool,
        party: AuthorizationDetailsProcessor.Party,
        question: AccessQuestion,
        context: GrantContext
    ) throws(OAuthError) -> [JSONValue]? {
        let carried: [JSONValue]
        switch claims["authorization_details"] {
        case nil:
            guard requested == nil else {
                throw OAuthError.invalidAuthorizationDetails(
                    "the ID-JAG carries no authorization_details; a token redeemed from it may only narrow the ID-JAG's (RFC 9396 §7)"
                )
            }
            return nil
        case .array(let entries)? where !entries.isEmpty: carried = entries
        default: throw OAuthError.invalidGrant("ID-JAG 'authorization_details' must be a non-empty JSON array (RFC 9396 §2)")
        }
        var asked = carried
        if let requested {
            let narrowed = try context.authorizationDetails.narrow(requested, within: carried)
            let known = CedarGrantCarry.known(carried, by: context.authorizationDetails)
            asked = CedarGrantCarry.carry(from: known, into: narrowed, keepsScope: keepsScope) ?? narrowed
        }
        let granted = try context.authorizationDetails.grant(asked, to: party)
        try context.scopeCheck.refuseForbiddenTypes(of: granted, question: question)
        return granted
    }

    /// EMA §7.2.1 read as an intersection: the requested scope (or the ID-JAG's when none is asked
    /// for) within the ID-JAG's and the client's.
    private func grantedScope(_ requested: Scope?, claims: JWTClaimSet, client: AuthenticatedClient) throws -> Scope {
        let carried = claims.scope
        var scope: Set<String>
        if let requested {
            let asked = requested
            let beyond = asked.subtracting(carried)
            guard beyond.isEmpty else { throw OAuthError.invalidScope("scope exceeds the ID-JAG's scope: \(beyond.description)") }
            scope = Set(asked.tokens)
        } else {
            scope = Set(carried.tokens)
        }
        return Scope(scope.intersection(client.record.scopes))
    }
}
