/// A token introspection response (RFC 7662 §2.2).
///
/// An inactive token is `{"active": false}` and nothing else (RFC 7662 §2.2).
public struct IntrospectionResponse: Codable, Sendable, Hashable {
    public var active: Bool
    public var scope: String?
    public var clientID: String?
    public var tokenType: String?
    public var exp: Int?
    public var iat: Int?
    public var sub: String?
    public var aud: [String]?
    public var iss: String?
    public var jti: String?
    /// The key a DPoP-bound token is bound to (RFC 9449 §6.2, RFC 7800 §3.1).
    public var cnf: Confirmation?
    /// RFC 9396 §9.2: the authorization details of the token, as in the token.
    public var authorizationDetails: [JSONValue]?

    public init(
        active: Bool,
        scope: String? = nil,
        clientID: String? = nil,
        tokenType: String? = nil,
        exp: Int? = nil,
        iat: Int? = nil,
        sub: String? = nil,
        aud: [String]? = nil,
        iss: String? = nil,
        jti: String? = nil
    ) {
        self.active = active
        self.scope = scope
        self.clientID = clientID
        self.tokenType = tokenType
        self.exp = exp
        self.iat = iat
        self.sub = sub
        self.aud = aud
        self.iss = iss
        self.jti = jti
    }

    /// The answer for an unknown, expired, revoked or foreign token.
    public static let inactive = IntrospectionResponse(active: false)

    enum CodingKeys: String, CodingKey {
        case active, scope
        case clientID = "client_id"
        case tokenType = "token_type"
        case exp, iat, sub, aud, iss, jti, cnf
        case authorizationDetails = "authorization_details"
    }
}
