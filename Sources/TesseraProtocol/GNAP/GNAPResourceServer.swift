/// A key by value (RFC 9635 §7.1) or by reference (§7.1.1): the `key` member of a token response
/// (§3.2.1) and of an RFC 9767 introspection response (§3.3).
public enum GNAPKeyReference: Sendable, Hashable, Codable {
    case value(GNAPKey)
    case reference(String)

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeEither(Self.reference, or: Self.value)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .value(let key): try key.encode(to: encoder)
        case .reference(let reference): try reference.encode(to: encoder)
        }
    }
}

/// How a resource server identifies itself to the AS (RFC 9767 §3.2): by value (an object with its
/// key) or by reference (an instance identifier from registration or pre-registration).
public enum GNAPResourceServerReference: Sendable, Hashable, Codable {
    case instance(String)
    case key(GNAPKey)

    enum CodingKeys: String, CodingKey { case key }

    public init(from decoder: any Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(String.self) {
            self = .instance(id)
            return
        }
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        self = .key(try keyed.decode(GNAPKey.self, forKey: .key))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .instance(let id):
            var container = encoder.singleValueContainer()
            try container.encode(id)
        case .key(let key):
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(key, forKey: .key)
        }
    }
}

/// The RS-facing discovery document at `/.well-known/gnap-as-rs` (RFC 9767 §3.1).
public struct GNAPResourceServerDiscovery: Sendable, Hashable, Codable {
    public var grantRequestEndpoint: String
    public var introspectionEndpoint: String?
    public var tokenFormatsSupported: [String]?
    public var resourceRegistrationEndpoint: String?
    public var keyProofsSupported: [String]?

    public init(
        grantRequestEndpoint: String,
        introspectionEndpoint: String? = nil,
        tokenFormatsSupported: [String]? = nil,
        resourceRegistrationEndpoint: String? = nil,
        keyProofsSupported: [String]? = nil
    ) {
        self.grantRequestEndpoint = grantRequestEndpoint
        self.introspectionEndpoint = introspectionEndpoint
        self.tokenFormatsSupported = tokenFormatsSupported
        self.resourceRegistrationEndpoint = resourceRegistrationEndpoint
        self.keyProofsSupported = keyProofsSupported
    }

    enum CodingKeys: String, CodingKey {
        case grantRequestEndpoint = "grant_request_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case tokenFormatsSupported = "token_formats_supported"
        case resourceRegistrationEndpoint = "resource_registration_endpoint"
        case keyProofsSupported = "key_proofs_supported"
    }
}

/// A token introspection request from an RS (RFC 9767 §3.3).
public struct GNAPIntrospectionRequest: Sendable, Hashable, Codable {
    /// The token value the client presented.
    public var accessToken: String
    /// The proofing method the client used at the RS (RECOMMENDED).
    public var proof: String?
    /// The RS itself (REQUIRED).
    public var resourceServer: GNAPResourceServerReference
    /// The minimum rights the current request needs (OPTIONAL).
    public var access: [GNAPAccessRight]?

    public init(accessToken: String, proof: String?, resourceServer: GNAPResourceServerReference, access: [GNAPAccessRight]? = nil) {
        self.accessToken = accessToken
        self.proof = proof
        self.resourceServer = resourceServer
        self.access = access
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case proof
        case resourceServer = "resource_server"
        case access
    }
}

/// A token introspection response (RFC 9767 §3.3). Inactive is `{"active": false}` and nothing else.
public struct GNAPIntrospectionResponse: Sendable, Hashable, Codable {
    public var active: Bool
    /// The token's rights (REQUIRED when active), possibly filtered for this RS.
    public var access: [GNAPAccessRight]?
    /// The key the token is bound to (REQUIRED for bound tokens, absent for bearer tokens).
    public var key: GNAPKeyReference?
    public var flags: [String]?
    public var exp: Int?
    public var iat: Int?
    public var nbf: Int?
    public var aud: GNAPAudience?
    public var sub: String?
    /// The grant endpoint of the issuing AS (REQUIRED when active).
    public var iss: String?
    public var instanceID: String?

    public init(
        active: Bool,
        access: [GNAPAccessRight]? = nil,
        key: GNAPKeyReference? = nil,
        flags: [String]? = nil,
        exp: Int? = nil,
        iat: Int? = nil,
        nbf: Int? = nil,
        aud: GNAPAudience? = nil,
        sub: String? = nil,
        iss: String? = nil,
        instanceID: String? = nil
    ) {
        self.active = active
        self.access = access
        self.key = key
        self.flags = flags
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.aud = aud
        self.sub = sub
        self.iss = iss
        self.instanceID = instanceID
    }

    /// `{"active": false}`.
    public static let inactive = Self(active: false)

    enum CodingKeys: String, CodingKey {
        case active, access, key, flags, exp, iat, nbf, aud, sub, iss
        case instanceID = "instance_id"
    }

    /// Whether the token carries the `bearer` flag.
    public var isBearer: Bool { flags?.contains("bearer") == true }
}

/// `aud`: one string or an array of strings (RFC 9767 §3.3).
public enum GNAPAudience: Sendable, Hashable, Codable {
    case one(String)
    case many([String])

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeEither(Self.one, or: Self.many)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .one(let value): try value.encode(to: encoder)
        case .many(let values): try values.encode(to: encoder)
        }
    }

    /// All audience values.
    public var values: [String] {
        switch self {
        case .one(let value): [value]
        case .many(let values): values
        }
    }
}

/// A resource set registration request (RFC 9767 §3.4).
public struct GNAPResourceRegistrationRequest: Sendable, Hashable, Codable {
    public var access: [GNAPAccessRight]
    public var resourceServer: GNAPResourceServerReference
    public var tokenFormatsSupported: [String]?
    public var tokenIntrospectionRequired: Bool?

    public init(
        access: [GNAPAccessRight],
        resourceServer: GNAPResourceServerReference,
        tokenFormatsSupported: [String]? = nil,
        tokenIntrospectionRequired: Bool? = nil
    ) {
        self.access = access
        self.resourceServer = resourceServer
        self.tokenFormatsSupported = tokenFormatsSupported
        self.tokenIntrospectionRequired = tokenIntrospectionRequired
    }

    enum CodingKeys: String, CodingKey {
        case access
        case resourceServer = "resource_server"
        case tokenFormatsSupported = "token_formats_supported"
        case tokenIntrospectionRequired = "token_introspection_required"
    }
}

/// A resource set registration response (RFC 9767 §3.4).
public struct GNAPResourceRegistrationResponse: Sendable, Hashable, Codable {
    /// One opaque reference for the whole registered access list.
    public var resourceReference: String
    /// An identifier the RS may use for itself in later calls.
    public var instanceID: String?
    public var introspectionEndpoint: String?

    public init(resourceReference: String, instanceID: String? = nil, introspectionEndpoint: String? = nil) {
        self.resourceReference = resourceReference
        self.instanceID = instanceID
        self.introspectionEndpoint = introspectionEndpoint
    }

    enum CodingKeys: String, CodingKey {
        case resourceReference = "resource_reference"
        case instanceID = "instance_id"
        case introspectionEndpoint = "introspection_endpoint"
    }
}
