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
    /// Key binding (RFC 7800 §3.1; `jkt` as in RFC 9449 §6.1): absent for bearer tokens.
    public var cnf: Confirmation?
    /// GNAP access rights granted (RFC 9635 §8), for tokens issued through the GNAP front door.
    public var access: [GNAPAccessRight]?

    public init(
        iss: String,
        sub: String,
        aud: Audience,
        exp: Int,
        iat: Int,
        jti: String,
        clientID: String,
        scope: String?,
        cnf: Confirmation? = nil,
        access: [GNAPAccessRight]? = nil
    ) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.clientID = clientID
        self.scope = scope
        self.cnf = cnf
        self.access = access
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti
        case clientID = "client_id"
        case scope, cnf, access
    }
}

/// The `cnf` claim (RFC 7800 §3.1): the key a token is bound to, by JWK thumbprint (RFC 7638).
public struct Confirmation: Codable, Sendable, Hashable {
    public var jkt: String?
    public init(jkt: String?) { self.jkt = jkt }
}
