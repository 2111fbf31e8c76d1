import Foundation
import TesseraProtocol
import TesseraStorage

/// The JWT bearer authorization grant (RFC 7523 §2.1, §3) for JWT authorization grants minted by
/// a peer AS in another trust domain (draft-ietf-oauth-identity-chaining §2.4).
///
/// Checks, in order: a JWS that is not another kind of token (`typ`), an `iss` that is a trusted
/// peer, an allowed `alg`, the signature with the peer's keys (refetched on an unknown `kid`),
/// `aud` naming us (issuer or token endpoint), `exp`/`nbf`/`iat` with bounded skew and a maximum
/// lifetime, `sub`, the client the grant names (`client_id`, else `azp`: only that client redeems
/// it), a `jti`; then the subject mapping (fails closed), the scope (only narrows: the
/// grant's, the peer's cap, the client's), the Cedar policy, `authorization_details` (only a
/// narrowing of the grant's), and the key binding (`requested_cnf`, or `cnf` proven here). The
/// `jti` is spent in the same commit as the token's record (``TokenStore/record(_:spending:)``):
/// single use, and a grant refused for another reason is not burnt.
/// Every refusal of the grant itself is `invalid_grant` (RFC 7523 §3.1). No refresh token is
/// issued (identity chaining §5.4).
struct JWTBearerGrant: EvidenceHandler {
    let grantType: GrantType = .jwtBearer
    let issuer: String
    let tokenEndpoint: String
    let trust: TrustConfiguration
    let keys: TrustKeys
    /// Redeems ID-JAGs (`typ: oauth-id-jag+jwt`, draft-ietf-oauth-identity-assertion-authz-grant §4.4).
    let idJAG: IDJAGRedeemer

    /// `typ` values that identify JWTs which are never authorization grants.
    static let refusedTypes: Set<String> = [
        "at+jwt", "dpop+jwt", "client-authentication+jwt", "logout+jwt", "secevent+jwt", "txntoken+jwt", "oauth-id-jag+jwt",
    ]

    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    {
        try await resolve(request, client: client, key: key, context: context).issue(context)
    }

    /// What the grant (or ID-JAG) will issue, read without spending its `jti`: the client-challenge policy judges
    /// it, and a challenge leaves the assertion usable for the retry with evidence (review round 10, H2).
    /// - Parameters:
    ///   - request: the token request.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    ///   - context: the grant context.
    /// - Returns: the token's scope, audience and `authorization_details`.
    /// - Throws: the refusal the redemption would answer.
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights {
        .issued(try await resolve(request, client: client, key: key, context: context).grant)
    }

    /// Every check and decision of the redemption, nothing spent (``Redemption``).
    private func resolve(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws
        -> Redemption
    {
        guard case .jwtGrant(let assertion) = request.evidence else { throw OAuthError.invalidRequest("an assertion is required") }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: assertion) } catch { throw OAuthError.invalidGrant("assertion is not a JWS: \(error.message)") }
        let typ = jws.header.normalizedType
        if typ == IDJAGTrust.type { return try await idJAG.resolve(jws, request: request, client: client, key: key, context: context) }
        if let typ, Self.refusedTypes.contains(typ) {
            throw OAuthError.invalidGrant(
                typ == "at+jwt"
                    ? "assertion is an access token (typ at+jwt), not an authorization grant"
                    : "assertion has typ '\(typ)', not an authorization grant"
            )
        }
        let claims: JWTClaimSet
        do { claims = try JWTClaimSet(payload: jws.payload) } catch {
            throw OAuthError.invalidGrant("assertion claims: \(error.message)")
        }
        guard let grantIssuer = claims.string("iss") else { throw OAuthError.invalidGrant("assertion has no 'iss'") }
        guard let peer = trust.peer(forIssuer: grantIssuer) else {
            throw OAuthError.invalidGrant("assertion issuer '\(FormParameters.printableValue(grantIssuer))' is not a trusted peer")
        }
        // An IdP configured for ID-JAGs (`id_jag:`) is trusted for those alone, under that block's resources and scopes
        // (draft-ietf-oauth-identity-assertion-authz-grant §4.4): a plain grant of its would go around them (eighth review, F6).
        guard peer.idJAG == nil else {
            throw OAuthError.invalidGrant(
                "peer '\(peer.name)' is trusted for ID-JAGs only (chaining.peers[].id_jag): its assertions are redeemed with typ \(IDJAGTrust.type)"
            )
        }
        guard peer.algorithms.contains(JWSAlgorithm(rawValue: jws.header.alg)) else {
            throw OAuthError.invalidGrant(
                "assertion algorithm '\(FormParameters.printableValue(jws.header.alg))' is not allowed for peer '\(peer.name)'"
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
        do { _ = try verifier.verify(jws) } catch { throw OAuthError.invalidGrant("assertion signature rejected: \(error.message)") }

        let (jti, exp) = try checkClaims(claims, now: context.now())
        // RFC 7523 §3 and identity chaining §2.3.3 / ID-JAG: a grant minted for a client is redeemed by
        // that client only. Checked before the `jti` is spent, so another client cannot burn the grant.
        if let named = claims.string("client_id") ?? claims.string("azp"),
            !ConstantTime.equals(Array(named.utf8), Array(client.id.utf8))
        {
            throw OAuthError.invalidGrant("the grant was minted for another client ('client_id'/'azp'); only that client may redeem it")
        }
        // The key binding too, so a party without the grant's key cannot burn it either.
        let confirmation = try confirmation(claims: claims, proven: key?.confirmation)
        // Spent with the token record, in one commit (``finish``): a grant is spent exactly when it yields a token.
        let spend = SingleUseSpend(
            namespace: "jwt_grant:\(peer.issuer)",
            value: jti,
            expiresAt: Date(timeIntervalSince1970: Double(exp) + trust.clockSkew),
            now: context.now()
        )

        guard let subject = peer.inbound.subject(of: claims) else {
            throw OAuthError.invalidGrant("the grant's subject cannot be mapped to a subject of this domain")
        }
        let ceiling = try grantedScope(request.rights.scope, claims: claims, client: client)
        // Within the grant and the client's scopes, the one decision point decides (docs/policy.md):
        // the peer's cap (chaining.peers[].scopes, translated into a policy) and any owner's forbid.
        // chaining.policy_file, translated, reads the grant's facts from context.chaining.
        var question = request.question(.redeem, by: ClientIdentity(.oauth(client)), user: subject)
        question.peer = peer.name
        question.chaining = Self.policyContext(claims: claims, subject: subject, client: client)
        try context.scopeCheck.decisions.refusePeerGrant(question, offered: ceiling, file: trust.policy?.source)
        let scope = try context.scopeCheck.grantedScope(
            requested: request.rights.scope == nil ? nil : ceiling,
            offered: ceiling,
            question: question
        )

        var grant = TokenIssuer.Grant(
            grantID: TokenIssuer.sortableIdentifier(),
            clientID: client.id,
            subject: subject,
            scope: scope,
            audience: try context.resourceCheck.audience(for: request.resources, client: client.record),
            includeRefreshToken: false
        )
        if claims["act"] != nil {
            guard let actor = claims.decode("act", as: ActorClaim.self) else {
                throw OAuthError.invalidGrant("assertion has a malformed 'act' claim")
            }
            grant.actor = actor
        }
        grant.confirmation = confirmation
        grant.parent = TokenParent(.jwtGrant, jti)
        grant.additionalClaims = peer.inbound.transcribedClaims(of: claims)
        var asked: [JSONValue]?
        if let requested = request.rights.authorizationDetails {
            // Only a narrowing of the grant's own `authorization_details` (a Cedar set keeps only policies the
            // grant's set holds), then decided (and Cedar sets narrowed further) by this AS's policies for the mapped subject.
            guard case .array(let held)? = claims["authorization_details"], !held.isEmpty else {
                throw OAuthError.invalidAuthorizationDetails(
                    "the grant carries no authorization_details; a token redeemed from it may only narrow the grant's (RFC 8693 §2.1, RFC 9396 §7)"
                )
            }
            asked = try context.authorizationDetails.narrow(requested, within: held)
        }
        // A token that keeps the scope keeps the grant's Cedar entries of each type it leaves out, asked for or not
        // (CedarGrantCarry, review round 10 H8): otherwise an RS's default grant would decide it.
        if case .array(let held)? = claims["authorization_details"] {
            let known = CedarGrantCarry.known(held, by: context.authorizationDetails)
            asked = CedarGrantCarry.carry(from: known, into: asked, keepsScope: !scope.isEmpty)
        }
        if let asked {
            grant.authorizationDetails = try context.authorizationDetails.grant(asked, to: .init(clientID: client.id, subject: subject))
            // Each entry's type asked of the one decision point, as at every door (an owner's forbid on the type holds).
            try context.scopeCheck.refuseForbiddenTypes(of: grant.authorizationDetails, question: question)
        }
        return Redemption(grant: grant, spend: spend, replayed: "assertion 'jti' was already used: a grant is redeemed once")
    }

    /// RFC 7523 §3 items 2–7 after the signature verified. Returns the `jti` and `exp`.
    private func checkClaims(_ claims: JWTClaimSet, now date: Date) throws -> (String, Int) {
        guard let subject = claims.string("sub"), !subject.isEmpty else { throw OAuthError.invalidGrant("assertion has no 'sub'") }
        let audience = claims.audience
        guard audience.contains(issuer) || audience.contains(tokenEndpoint) else {
            throw OAuthError.invalidGrant("assertion 'aud' does not name this authorization server")
        }
        let current = date.timeIntervalSince1970
        guard let exp = claims.numericDate("exp") else { throw OAuthError.invalidGrant("assertion has no 'exp'") }
        guard Double(exp) + trust.clockSkew > current else { throw OAuthError.invalidGrant("assertion has expired") }
        guard Double(exp) - current <= trust.maximumGrantLifetime + trust.clockSkew else {
            throw OAuthError.invalidGrant("assertion 'exp' is too far in the future (at most \(Int(trust.maximumGrantLifetime)) s)")
        }
        if let nbf = claims.numericDate("nbf"), Double(nbf) > current + trust.clockSkew {
            throw OAuthError.invalidGrant("assertion is not valid yet ('nbf')")
        }
        if let iat = claims.numericDate("iat") {
            guard Double(iat) <= current + trust.clockSkew else { throw OAuthError.invalidGrant("assertion 'iat' is in the future") }
            guard Double(exp - iat) <= trust.maximumGrantLifetime else {
                throw OAuthError.invalidGrant("assertion lifetime exceeds \(Int(trust.maximumGrantLifetime)) s")
            }
        }
        guard let jti = claims.string("jti"), PresentedIdentifier.isCanonical(jti, as: .tokenID) else {
            throw OAuthError.invalidGrant(
                "assertion needs a 'jti' of at most 256 bytes of text without control characters (grants are single use)"
            )
        }
        return (jti, exp)
    }

    /// The requested scope, or the grant's; never more than the grant or the client's scopes (the
    /// peer's cap is policy, ``ConfiguredPolicies``).
    private func grantedScope(_ requested: Scope?, claims: JWTClaimSet, client: AuthenticatedClient) throws -> Scope {
        let grantScope = claims.scope
        let clientScope = Scope(client.record.scopes)
        guard let requested else { return Scope(Set(grantScope.tokens).intersection(clientScope.tokens)) }
        let scope = requested
        let beyondGrant = scope.subtracting(grantScope)
        guard beyondGrant.isEmpty else { throw OAuthError.invalidScope("scope exceeds the grant's scope: \(beyondGrant.description)") }
        let beyondClient = scope.subtracting(clientScope)
        guard beyondClient.isEmpty else { throw OAuthError.invalidScope("scope not allowed for this client: \(beyondClient.description)") }
        return scope
    }

    /// `requested_cnf` (the client's key, relayed by the peer AS) becomes the token's `cnf`; a key
    /// proven at this request too must be the same one. A grant that is itself bound (`cnf`, as an
    /// ID-JAG) is redeemed only with a proof of that key, and the token stays bound to it.
    private func confirmation(claims: JWTClaimSet, proven: Confirmation?) throws -> Confirmation? {
        if claims["cnf"] != nil {
            guard let bound = claims.decode("cnf", as: Confirmation.self)?.jkt, !bound.isEmpty else {
                throw OAuthError.invalidGrant("assertion 'cnf' must carry a 'jkt' (a DPoP key): no other binding can be proven here")
            }
            guard let key = proven?.jkt else {
                throw OAuthError.invalidGrant("the grant is bound to a DPoP key ('cnf'); redeem it with a DPoP proof signed with that key")
            }
            guard ConstantTime.equals(Array(key.utf8), Array(bound.utf8)) else {
                throw OAuthError.invalidGrant("the key proven with this request is not the grant's 'cnf' key")
            }
        }
        let requested: Confirmation?
        if claims["requested_cnf"] != nil {
            guard let value = claims.decode("requested_cnf", as: Confirmation.self), let jkt = value.jkt, !jkt.isEmpty else {
                throw OAuthError.invalidGrant("assertion 'requested_cnf' must carry a 'jkt'")
            }
            requested = value
        } else {
            requested = nil
        }
        if let requested, let proven, proven.jkt != requested.jkt {
            throw OAuthError.invalidGrant("the key proven with this request is not the grant's requested_cnf key")
        }
        return requested ?? proven
    }

    /// The grant's facts in `chaining.policy_file`'s words (`context.chaining`, docs/policy.md).
    private static func policyContext(claims: JWTClaimSet, subject: String, client: AuthenticatedClient) -> [String: JSONValue] {
        var context: [String: JSONValue] = [
            "issuer": claims["iss"] ?? .null,
            "subject": .string(subject),
            "client_id": claims["client_id"] ?? .string(""),
            "redeeming_client": .string(client.id),
            "claims": .object(claims.values),
        ]
        context["actor"] = claims.decode("act", as: ActorClaim.self).map { .string($0.sub) } ?? .string("")
        return context
    }
}
