import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
public import TesseraProtocol
import TesseraResource

/// What the bank needs from a verified access token.
struct VerifiedToken: Sendable {
    var claims: AccessTokenClaims
    /// The enforcer's view of the grant, cached per token (`iss` + `jti`).
    var grant: GrantedPolicyEnforcer.Grant
}

/// Verifies `Authorization: Bearer` JWT access tokens (RFC 6750 §2.1, RFC 9068 §4): signature by
/// the AS's keys, `typ: at+jwt`, `iss`, `aud` (when configured) and `exp`.
public struct BearerTokenVerifier: Sendable {
    let issuer: String
    let audience: String?
    let verifier: JWSVerifier
    let now: @Sendable () -> Date

    init(issuer: String, audience: String?, keys: PublicJWKSet, now: @escaping @Sendable () -> Date) async throws {
        self.issuer = issuer
        self.audience = audience
        self.verifier = try await JWSVerifier(keys: keys)
        self.now = now
    }

    /// Fetches the AS's JWK Set from `<issuer>/jwks` (the issuer is operator configuration, not client input).
    public static func fetchKeys(issuer: String) async throws -> PublicJWKSet {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let request = HTTPClientRequest(url: base + "/jwks")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 256 * 1024)
        guard response.status == .ok else { throw BankRefusal(status: .serviceUnavailable, error: "jwks", description: "the AS's JWK Set is unavailable") }
        return try JSONDecoder().decode(PublicJWKSet.self, from: Data(buffer: body))
    }

    func verify(authorization: String?) -> Result<VerifiedToken, BankRefusal> {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return .failure(BankRefusal(status: .unauthorized, error: "invalid_request", description: "an access token is required (Authorization: Bearer)"))
        }
        let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let invalid = { (why: String) in BankRefusal(status: .unauthorized, error: "invalid_token", description: why) }
        guard token.utf8.count <= CompactJWS.maximumSize, let jws = try? CompactJWS(parsing: token) else { return .failure(invalid("the token is not a JWS")) }
        guard let payload = try? verifier.verify(jws, expectedType: AccessTokenClaims.type) else {
            return .failure(invalid("the token's signature or type is not valid"))
        }
        guard let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: payload) else { return .failure(invalid("the token's claims cannot be read")) }
        guard claims.iss == issuer else { return .failure(invalid("the token is from another issuer")) }
        if let audience, !claims.aud.values.contains(audience) { return .failure(invalid("the token is not for this resource server")) }
        guard Double(claims.exp) > now().timeIntervalSince1970 else { return .failure(invalid("the token has expired")) }
        return .success(VerifiedToken(claims: claims, grant: .init(cacheKey: claims.iss + " " + claims.jti, authorizationDetails: claims.authorizationDetails)))
    }
}
