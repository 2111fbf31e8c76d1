import Foundation
import TesseraProtocol
import TesseraStorage

/// Validates the identity assertion an ID-JAG is minted from (draft-ietf-oauth-identity-assertion-authz-grant
/// §4.3.3): an ID token (OpenID Connect Core §2) of ours, or of an issuer listed in
/// `subject_token_issuers`, whose `aud` is the authenticated client — the client the user signed
/// in to is the one asking.
///
/// An ID token says who signed in, not what they may do: it is never a scope ceiling here; the
/// ID-JAG issuance policy decides the access (``IDJAGIssuer``).
///
/// An ID token of ours asserts the person only while the grant it was issued under stands: it is a ledger entry of
/// that grant (``TokenIssuer/mintIDToken(subject:audience:nonce:authTime:grant:)``), and a revoked or unknown entry
/// is refused — a withdrawn consent, a replayed code or a revoked grant ends it as it ends the grant's tokens
/// (draft §4.3.3: the IdP applies its policy when it asserts; eighth review, F4).
///
/// Every refusal is `invalid_grant` (draft §4.3.5, as RFC 6749 §5.2 for an invalid grant).
struct IDJAGSubjectValidator: Sendable {
    let issuer: String
    let keyRing: KeyRing
    /// The ledger our own ID tokens are recorded in.
    let tokens: any TokenStore
    /// The GNAP grants an ID token of the GNAP door stands on.
    let gnapGrants: any GNAPStore
    let trust: TrustConfiguration
    let keys: TrustKeys
    let now: @Sendable () -> Date

    /// The validated ID token's claims.
    func validate(_ token: String, client: String) async throws -> JWTClaimSet {
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token) } catch { throw OAuthError.invalidGrant("subject_token is not a JWT: \(error.message)") }
        let claims: JWTClaimSet
        do { claims = try JWTClaimSet(payload: jws.payload) } catch {
            throw OAuthError.invalidGrant("subject_token claims: \(error.message)")
        }
        guard let tokenIssuer = claims.string("iss") else { throw OAuthError.invalidGrant("subject_token has no 'iss'") }
        if tokenIssuer == issuer {
            // Our ID tokens are `typ: JWT` with `azp` (`TokenIssuer.mintIDToken`); our access tokens (`at+jwt`) never pass.
            do { _ = try await keyRing.verifyOwnToken(jws, expectedType: "JWT", issuer: issuer) } catch {
                throw OAuthError.invalidGrant("subject_token is not an ID token of this server: \(error.message)")
            }
            guard claims.string("azp") != nil, claims["client_id"] == nil else {
                throw OAuthError.invalidGrant("subject_token is not an ID token of this server")
            }
        } else {
            guard let trusted = trust.subjectTokenIssuer(tokenIssuer) else {
                throw OAuthError.invalidGrant("subject_token issuer '\(FormParameters.printableValue(tokenIssuer))' is not trusted")
            }
            guard trusted.algorithms.contains(JWSAlgorithm(rawValue: jws.header.alg)) else {
                throw OAuthError.invalidGrant(
                    "subject_token algorithm '\(FormParameters.printableValue(jws.header.alg))' is not allowed for its issuer"
                )
            }
            if let typ = jws.header.typ, typ.lowercased() != "jwt" {
                throw OAuthError.invalidGrant("subject_token has typ '\(FormParameters.printableValue(typ))', not an ID token's")
            }
            let verifier = try await keys.verifier(
                owner: trusted.issuer,
                jwks: trusted.jwks,
                jwksURI: trusted.jwksURI,
                metadataURL: trusted.metadataURL,
                kid: jws.header.kid,
                code: .invalidGrant
            )
            do { _ = try verifier.verify(jws) } catch {
                throw OAuthError.invalidGrant("subject_token signature rejected: \(error.message)")
            }
        }
        try checkTimes(claims)
        guard let subject = claims.string("sub"), !subject.isEmpty else { throw OAuthError.invalidGrant("subject_token has no 'sub'") }
        // Draft §4.3.3: the assertion's audience is the client of this request (OpenID Connect Core
        // §2: with several audiences, `azp` names the one it was issued to).
        let audience = claims.audience
        guard audience.contains(client), audience.count == 1 || claims.string("azp") == client else {
            throw OAuthError.invalidGrant(
                "subject_token 'aud' is not the authenticated client: an ID token is exchanged only by the client it was issued to"
            )
        }
        if tokenIssuer == issuer { try await requireLiveGrant(claims, subject: subject, client: client) }
        return claims
    }

    /// Our ID token's ledger entry is recorded, for this person and client, and neither revoked nor expired: the
    /// authorization it was issued under still stands.
    private func requireLiveGrant(_ claims: JWTClaimSet, subject: String, client: String) async throws {
        guard let jti = claims.string("jti"), PresentedIdentifier.isCanonical(jti, as: .tokenID),
            let entry = try await tokens.accessToken(jti: jti), entry.subject == subject, entry.clientID == client
        else {
            throw OAuthError.invalidGrant("subject_token is not an ID token this server recorded; sign the person in again")
        }
        let withdrawn = OAuthError.invalidGrant(
            "the authorization this ID token was issued under was withdrawn or revoked; sign the person in again"
        )
        guard entry.isActive(at: now()) else { throw withdrawn }
        // A GNAP subject assertion stands on the person's approval of its grant, as the grant's access tokens do
        // (``GNAPService`` standing): a denied change or someone else's approval ends it, though the grant goes on.
        if entry.parent?.derivation == .gnap {
            guard let grant = try await gnapGrants.grant(id: entry.grantID), grant.state == .approved || grant.state == .pending,
                grant.subject == subject
            else { throw withdrawn }
        }
    }

    private func checkTimes(_ claims: JWTClaimSet) throws {
        let current = now().timeIntervalSince1970
        guard let exp = claims.numericDate("exp") else { throw OAuthError.invalidGrant("subject_token has no 'exp'") }
        guard Double(exp) + trust.clockSkew > current else { throw OAuthError.invalidGrant("subject_token has expired") }
        if let nbf = claims.numericDate("nbf"), Double(nbf) > current + trust.clockSkew {
            throw OAuthError.invalidGrant("subject_token is not valid yet ('nbf')")
        }
        if let iat = claims.numericDate("iat"), Double(iat) > current + trust.clockSkew {
            throw OAuthError.invalidGrant("subject_token 'iat' is in the future")
        }
    }
}
