/// The claims of an OpenID Connect ID token (OpenID Connect Core 1.0 §2).
public struct IDTokenClaims: Codable, Sendable, Hashable {
    public var iss: String
    public var sub: String
    /// The client the token is meant for (a single audience, so `azp` repeats it, §2).
    public var aud: String
    public var exp: Int
    public var iat: Int
    /// When the End-User authenticated (§2 `auth_time`); omitted when nobody authenticated at this server
    /// (a GNAP grant approved out of band), rather than claiming a sign-in that never happened.
    public var authTime: Int?
    public var nonce: String?
    public var azp: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, azp
        case authTime = "auth_time"
    }
}
