/// The claims of a client authentication JWT (RFC 7523 §3, RFC 7521 §4.2).
public struct ClientAssertionClaims: Codable, Sendable, Hashable {
    /// The `client_assertion_type` for JWT client authentication (RFC 7523 §2.2).
    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// The JOSE `typ` clients should send (draft-ietf-oauth-rfc7523bis).
    public static let type = "client-authentication+jwt"

    public var iss: String?
    public var sub: String?
    public var aud: Audience?
    public var exp: Int?
    public var nbf: Int?
    public var iat: Int?
    public var jti: String?

    public init(iss: String?, sub: String?, aud: Audience?, exp: Int?, nbf: Int? = nil, iat: Int? = nil, jti: String?) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.nbf = nbf
        self.iat = iat
        self.jti = jti
    }
}
