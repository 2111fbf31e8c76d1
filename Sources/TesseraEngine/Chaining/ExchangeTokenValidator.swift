import Foundation
import TesseraProtocol
import TesseraStorage

/// Validates the `subject_token` and `actor_token` of a token exchange (RFC 8693 §2.1).
///
/// - `access_token`: only ours, as the ``TokenLedger`` answers for every door — signature by our
///   keys, `typ: at+jwt`, our `iss`, recorded, not expired or revoked; an OAuth or a GNAP token.
/// - `jwt`, `id_token`: ours (as above), or a configured trusted issuer's — full JOSE checks
///   (RFC 8725): `alg` allow-list, signature, `iss`, `aud`, `exp`/`nbf`/`iat` with bounded skew.
///
/// Every refusal is `invalid_request` (RFC 8693 §2.2.2: "if either the subject_token or
/// actor_token are invalid for any reason").
struct ExchangeTokenValidator: Sendable {
    let issuer: String
    let tokenEndpoint: String
    let ledger: TokenLedger
    let trust: TrustConfiguration
    let keys: TrustKeys
    let now: @Sendable () -> Date

    /// `typ` values that identify JWTs which are never subject tokens.
    static let refusedTypes: Set<String> = [
        "dpop+jwt", "client-authentication+jwt", "logout+jwt", "secevent+jwt", "txntoken+jwt",
        // An ID-JAG is a grant for jwt-bearer alone (draft-ietf-oauth-identity-assertion-authz-grant §4.3): as a
        // subject token it would dodge its single-use `jti`, its `client_id` binding and the resource table.
        IDJAGTrust.type,
    ]

    func validate(_ token: String, type: String, role: String) async throws -> PresentedToken {
        switch type {
        case TokenTypeIdentifier.accessToken, TokenTypeIdentifier.jwt, TokenTypeIdentifier.idToken: break
        case TokenTypeIdentifier.refreshToken:
            throw OAuthError.invalidRequest("\(role)_type refresh_token is not accepted: present an access token or a JWT")
        default:
            throw OAuthError.invalidRequest("\(role)_type '\(FormParameters.printableValue(type))' is not supported")
        }
        // A token of ours whose signature was already checked here: what parsing it would lead to (its `iss` is
        // ours), without the parse (issue 22).
        if let entry = try await ledger.entryIfVerified(token) { return try validateOurs(entry, type: type, role: role) }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token) } catch {
            throw OAuthError.invalidRequest("\(role) is not a JWT: \(error.message)")
        }
        let unverified = try claims(jws, role: role)
        guard let tokenIssuer = unverified.string("iss") else { throw OAuthError.invalidRequest("\(role) has no 'iss' claim") }
        if tokenIssuer == issuer {
            return try await validateOurs(token, type: type, role: role)
        }
        guard type != TokenTypeIdentifier.accessToken else {
            throw OAuthError.invalidRequest("\(role) is not an access token issued by this server")
        }
        guard let trusted = trust.subjectTokenIssuer(tokenIssuer) else {
            throw OAuthError.invalidRequest("\(role) issuer '\(FormParameters.printableValue(tokenIssuer))' is not trusted")
        }
        return try await validateTrusted(jws, claims: unverified, issuer: trusted, type: type, role: role)
    }

    /// The `act` chain (RFC 8693 §4.1); one that does not decode is refused rather than dropped, so a
    /// delegation chain is never silently lost. (`may_act` only widens who may act, so a malformed one is ignored.)
    private func actor(_ claims: JWTClaimSet, role: String) throws -> ActorClaim? {
        guard claims["act"] != nil else { return nil }
        guard let actor = claims.decode("act", as: ActorClaim.self) else {
            throw OAuthError.invalidRequest("\(role) has a malformed 'act' claim")
        }
        return actor
    }

    private func claims(_ jws: CompactJWS, role: String) throws -> JWTClaimSet {
        do { return try JWTClaimSet(payload: jws.payload) } catch {
            throw OAuthError.invalidRequest("\(role) claims: \(error.message)")
        }
    }

    /// One of our access tokens, as the ledger knows it: its holder is an OAuth client or a GNAP
    /// instance, never confused (a GNAP token's `client_id` does not name an OAuth client).
    private func validateOurs(_ token: String, type: String, role: String) async throws -> PresentedToken {
        guard let entry = try await ledger.entry(for: token) else {
            throw OAuthError.invalidRequest("\(role) is not an access token of this server")
        }
        return try validateOurs(entry, type: type, role: role)
    }

    private func validateOurs(_ entry: LedgerEntry, type: String, role: String) throws -> PresentedToken {
        // RFC 8693 §3: the type says what the token is; an access token named an ID token is refused, not read as one.
        guard type != TokenTypeIdentifier.idToken else {
            throw OAuthError.invalidRequest(
                "\(role) is an access token of this server, not an ID token: name it \(TokenTypeIdentifier.accessToken)"
            )
        }
        guard entry.expiresAt > now() else { throw OAuthError.invalidRequest("\(role) has expired") }
        guard entry.active else { throw OAuthError.invalidRequest("\(role) was revoked or is unknown") }
        let details = entry.authorizationDetails
        return PresentedToken(
            issuer: issuer,
            subject: entry.subject,
            holder: entry.holder,
            audience: entry.audience,
            scope: entry.scope,
            actor: try actor(entry.claims, role: role),
            mayAct: entry.claims.decode("may_act", as: ActorClaim.self),
            claims: entry.claims,
            authorizationDetails: details.isEmpty ? nil : details,
            isOurs: true,
            expiresAt: entry.expiresAt
        )
    }

    /// A trusted issuer's JWT (ID token or other JWT): RFC 8725 checks, then the JWT claims (RFC 7519 §4.1).
    private func validateTrusted(
        _ jws: CompactJWS,
        claims: JWTClaimSet,
        issuer trusted: TrustConfiguration.SubjectTokenIssuer,
        type: String,
        role: String
    ) async throws -> PresentedToken {
        guard trusted.algorithms.contains(JWSAlgorithm(rawValue: jws.header.alg)) else {
            throw OAuthError.invalidRequest(
                "\(role) algorithm '\(FormParameters.printableValue(jws.header.alg))' is not allowed for its issuer"
            )
        }
        if let typ = jws.header.normalizedType {
            if Self.refusedTypes.contains(typ) || (type == TokenTypeIdentifier.idToken && typ != "jwt") {
                throw OAuthError.invalidRequest("\(role) has typ '\(FormParameters.printableValue(typ))', which is not a \(role) type")
            }
        }
        let verifier = try await keys.verifier(
            owner: trusted.issuer,
            jwks: trusted.jwks,
            jwksURI: trusted.jwksURI,
            metadataURL: trusted.metadataURL,
            kid: jws.header.kid,
            code: .invalidRequest
        )
        do { _ = try verifier.verify(jws) } catch { throw OAuthError.invalidRequest("\(role) signature rejected: \(error.message)") }
        let accepted = trusted.audiences.isEmpty ? [issuer, tokenEndpoint] : trusted.audiences
        guard claims.audience.contains(where: accepted.contains) else {
            throw OAuthError.invalidRequest("\(role) 'aud' does not name this authorization server")
        }
        let current = now().timeIntervalSince1970
        guard let exp = claims.numericDate("exp") else { throw OAuthError.invalidRequest("\(role) has no 'exp'") }
        guard Double(exp) + trust.clockSkew > current else { throw OAuthError.invalidRequest("\(role) has expired") }
        if let nbf = claims.numericDate("nbf"), Double(nbf) > current + trust.clockSkew {
            throw OAuthError.invalidRequest("\(role) is not valid yet ('nbf')")
        }
        if let iat = claims.numericDate("iat"), Double(iat) > current + trust.clockSkew {
            throw OAuthError.invalidRequest("\(role) 'iat' is in the future")
        }
        guard let subject = claims.string("sub"), !subject.isEmpty else { throw OAuthError.invalidRequest("\(role) has no 'sub'") }
        return PresentedToken(
            issuer: trusted.issuer,
            subject: subject,
            holder: (claims.string("client_id") ?? claims.string("azp")).map(TokenHolder.oauthClient),
            audience: claims.audience,
            scope: claims.scope,
            actor: try actor(claims, role: role),
            mayAct: claims.decode("may_act", as: ActorClaim.self),
            claims: claims
        )
    }
}
