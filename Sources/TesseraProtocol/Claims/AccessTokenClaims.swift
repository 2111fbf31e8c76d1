/// The claims of a JWT access token (RFC 9068 §2.2).
public struct AccessTokenClaims: Codable, Sendable, Hashable {
    /// The JOSE `typ` of a JWT access token (RFC 9068 §2.1).
    public static let type = "at+jwt"

    public var iss: String
    public var sub: String
    public var aud: Audience
    public var exp: Int
    public var iat: Int
    public var jti: String
    public var clientID: String
    public var scope: String?

    public init(iss: String, sub: String, aud: Audience, exp: Int, iat: Int, jti: String, clientID: String, scope: String?) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.clientID = clientID
        self.scope = scope
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti
        case clientID = "client_id"
        case scope
    }
}
