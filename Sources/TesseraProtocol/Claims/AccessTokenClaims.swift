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
    /// The acting party for delegation (RFC 8693 §4.1): the current actor, nesting prior ones.
    public var act: ActorClaim?
    /// Rich authorization details granted (RFC 9396 §9.1).
    public var authorizationDetails: [JSONValue]?

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
        access: [GNAPAccessRight]? = nil,
        act: ActorClaim? = nil,
        authorizationDetails: [JSONValue]? = nil
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
        self.act = act
        self.authorizationDetails = authorizationDetails
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti
        case clientID = "client_id"
        case scope, cnf, access, act
        case authorizationDetails = "authorization_details"
    }
}

/// The `cnf` claim (RFC 7800 §3.1): the key a token is bound to, by JWK thumbprint (RFC 7638).
public struct Confirmation: Codable, Sendable, Hashable {
    public var jkt: String?
    /// The SHA-256 thumbprint of the client certificate the token is bound to (RFC 8705 §3.1), for
    /// GNAP `mtls` keys (RFC 9635 §7.3.2).
    public var x5tS256: String?
    public init(jkt: String?, x5tS256: String? = nil) {
        self.jkt = jkt
        self.x5tS256 = x5tS256
    }

    enum CodingKeys: String, CodingKey {
        case jkt
        case x5tS256 = "x5t#S256"
    }
}

/// The `act` claim (RFC 8693 §4.1): who acts for the subject. Prior actors nest inside, the
/// outermost being the current one (RFC 8693 §4.1, "a chain of delegation").
public struct ActorClaim: Codable, Sendable, Hashable {
    public var sub: String
    public var iss: String?
    public var clientID: String?
    /// The actor before this one, if the delegation is itself delegated.
    public var act: Box?

    public init(sub: String, iss: String? = nil, clientID: String? = nil, prior: ActorClaim? = nil) {
        self.sub = sub
        self.iss = iss
        self.clientID = clientID
        self.act = prior.map(Box.init)
    }

    /// The actor before this one.
    public var prior: ActorClaim? { act?.value }

    /// Every actor from the current one back to the first.
    public var chain: [ActorClaim] {
        var actors = [self]
        var next = prior
        while let actor = next {
            actors.append(actor)
            next = actor.prior
        }
        return actors
    }

    /// Indirection so a claim can nest one of its own kind.
    public final class Box: Codable, Sendable, Hashable {
        public let value: ActorClaim
        public init(_ value: ActorClaim) { self.value = value }
        public required init(from decoder: any Decoder) throws { value = try ActorClaim(from: decoder) }
        public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        public static func == (lhs: Box, rhs: Box) -> Bool { lhs.value == rhs.value }
        public func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    enum CodingKeys: String, CodingKey {
        case sub, iss, act
        case clientID = "client_id"
    }
}
