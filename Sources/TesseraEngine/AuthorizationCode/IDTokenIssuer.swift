import Foundation
import TesseraProtocol

/// The claims of an OpenID Connect ID token (OpenID Connect Core 1.0 §2).
public struct IDTokenClaims: Codable, Sendable, Hashable {
    public var iss: String
    public var sub: String
    /// The client the token is meant for (a single audience, so `azp` repeats it, §2).
    public var aud: String
    public var exp: Int
    public var iat: Int
    public var authTime: Int
    public var nonce: String?
    public var azp: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, azp
        case authTime = "auth_time"
    }
}

/// Signs ID tokens with the server's current key (OpenID Connect Core §3.1.3.3).
struct IDTokenIssuer: Sendable {
    let issuer: String
    let keyRing: KeyRing
    let lifetime: TimeInterval
    let now: @Sendable () -> Date

    func mint(subject: String, clientID: String, nonce: String?, authTime: Int) async throws -> String {
        let issuedAt = Int(now().timeIntervalSince1970)
        let claims = IDTokenClaims(
            iss: issuer,
            sub: subject,
            aud: clientID,
            exp: issuedAt + Int(lifetime),
            iat: issuedAt,
            authTime: authTime,
            nonce: nonce,
            azp: clientID
        )
        return try await keyRing.signer().sign(claims, type: "JWT")
    }
}
