/// The claims of an OpenID Connect ID token (OpenID Connect Core 1.0 §2).
public struct IDTokenClaims: Codable, Sendable, Hashable {
    public var iss: String
    public var sub: String
    /// The client the token is meant for (a single audience, so `azp` repeats it, §2).
    public var aud: String
    public var exp: Int
    public var iat: Int
    /// The ID token's ledger entry (RFC 7519 §4.1.7): it dies with the grant it was issued under (eighth review, F4).
    public var jti: String?
    /// When the End-User authenticated (§2 `auth_time`); omitted when nobody authenticated at this server
    /// (a GNAP grant approved out of band), rather than claiming a sign-in that never happened.
    public var authTime: Int?
    public var nonce: String?
    public var azp: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti, nonce, azp
        case authTime = "auth_time"
    }
}
