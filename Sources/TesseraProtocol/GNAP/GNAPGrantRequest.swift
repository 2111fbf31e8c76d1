/// A grant request (RFC 9635 §2), also the body of a continuation (§5.1) or modification (§5.3).
public struct GNAPGrantRequest: Sendable, Hashable, Codable {
    public var accessToken: GNAPTokenRequests?
    public var subject: GNAPSubjectRequest?
    public var client: GNAPClientReference?
    public var user: GNAPUserReference?
    public var interact: GNAPInteractRequest?
    public var interactRef: String?
    /// RFC 9767 §4: a token a resource server received, presented to derive a token for a downstream RS
    /// (registered in RFC 9635's "GNAP Grant Request Parameters" as `existing_access_token`).
    public var existingAccessToken: String?

    public init(
        accessToken: GNAPTokenRequests? = nil,
        subject: GNAPSubjectRequest? = nil,
        client: GNAPClientReference? = nil,
        user: GNAPUserReference? = nil,
        interact: GNAPInteractRequest? = nil,
        interactRef: String? = nil,
        existingAccessToken: String? = nil
    ) {
        self.accessToken = accessToken
        self.subject = subject
        self.client = client
        self.user = user
        self.interact = interact
        self.interactRef = interactRef
        self.existingAccessToken = existingAccessToken
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case subject, client, user, interact
        case interactRef = "interact_ref"
        case existingAccessToken = "existing_access_token"
    }
}

/// A member that is one value or an array of them, whose form a response mirrors (RFC 9635 §2.1, §3.2).
public enum GNAPOneOrMany<Element: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    case single(Element)
    case multiple([Element])

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeEither(Self.multiple, or: Self.single)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .single(let one): try one.encode(to: encoder)
        case .multiple(let many): try many.encode(to: encoder)
        }
    }

    /// The values, whichever the form.
    public var elements: [Element] {
        switch self {
        case .single(let one): [one]
        case .multiple(let many): many
        }
    }
}

/// `access_token` in a request: one token (RFC 9635 §2.1.1) or several labelled ones (§2.1.2).
/// The response mirrors the form of the request.
public typealias GNAPTokenRequests = GNAPOneOrMany<GNAPTokenRequest>

extension GNAPOneOrMany where Element == GNAPTokenRequest {
    public var requests: [GNAPTokenRequest] { elements }
}

/// One requested token (RFC 9635 §2.1.1).
public struct GNAPTokenRequest: Sendable, Hashable, Codable {
    public var access: [GNAPAccessRight]
    public var label: String?
    public var flags: [String]?

    public init(access: [GNAPAccessRight], label: String? = nil, flags: [String]? = nil) {
        self.access = access
        self.label = label
        self.flags = flags
    }
}

/// `subject` in a request (RFC 9635 §2.2).
public struct GNAPSubjectRequest: Sendable, Hashable, Codable {
    public var subIDFormats: [String]?
    public var assertionFormats: [String]?
    public var subIDs: [[String: JSONValue]]?

    public init(subIDFormats: [String]? = nil, assertionFormats: [String]? = nil, subIDs: [[String: JSONValue]]? = nil) {
        self.subIDFormats = subIDFormats
        self.assertionFormats = assertionFormats
        self.subIDs = subIDs
    }

    enum CodingKeys: String, CodingKey {
        case subIDFormats = "sub_id_formats"
        case assertionFormats = "assertion_formats"
        case subIDs = "sub_ids"
    }
}

/// `client`: by value (an object with a key, RFC 9635 §2.3) or by reference (an instance identifier, §2.3.1).
public enum GNAPClientReference: Sendable, Hashable, Codable {
    case instance(String)
    case value(GNAPClientInstance)

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeEither(Self.instance, or: Self.value)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .instance(let id): try id.encode(to: encoder)
        case .value(let instance): try instance.encode(to: encoder)
        }
    }
}

/// A client instance by value (RFC 9635 §2.3).
public struct GNAPClientInstance: Sendable, Hashable, Codable {
    public var key: GNAPKey
    public var classID: String?
    public var display: GNAPDisplay?

    public init(key: GNAPKey, classID: String? = nil, display: GNAPDisplay? = nil) {
        self.key = key
        self.classID = classID
        self.display = display
    }

    enum CodingKeys: String, CodingKey {
        case key
        case classID = "class_id"
        case display
    }
}

/// Self-asserted display information (RFC 9635 §2.3.2): never proof of identity.
public struct GNAPDisplay: Sendable, Hashable, Codable {
    public var name: String?
    public var uri: String?
    public var logoURI: String?

    public init(name: String? = nil, uri: String? = nil, logoURI: String? = nil) {
        self.name = name
        self.uri = uri
        self.logoURI = logoURI
    }

    enum CodingKeys: String, CodingKey {
        case name, uri
        case logoURI = "logo_uri"
    }
}

/// `user` (RFC 9635 §2.4): hints by value, or an opaque reference.
public enum GNAPUserReference: Sendable, Hashable, Codable {
    case reference(String)
    case value(subIDs: [[String: JSONValue]]?, assertions: [[String: JSONValue]]?)

    enum CodingKeys: String, CodingKey {
        case subIDs = "sub_ids"
        case assertions
    }

    public init(from decoder: any Decoder) throws {
        if let reference = try? decoder.singleValueContainer().decode(String.self) {
            self = .reference(reference)
            return
        }
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        self = .value(
            subIDs: try keyed.decodeIfPresent([[String: JSONValue]].self, forKey: .subIDs),
            assertions: try keyed.decodeIfPresent([[String: JSONValue]].self, forKey: .assertions)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .reference(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .value(let subIDs, let assertions):
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encodeIfPresent(subIDs, forKey: .subIDs)
            try keyed.encodeIfPresent(assertions, forKey: .assertions)
        }
    }
}

/// `interact` in a request (RFC 9635 §2.5).
public struct GNAPInteractRequest: Sendable, Hashable, Codable {
    public var start: [JSONValue]
    public var finish: GNAPInteractFinish?
    public var hints: [String: JSONValue]?

    public init(start: [JSONValue], finish: GNAPInteractFinish? = nil, hints: [String: JSONValue]? = nil) {
        self.start = start
        self.finish = finish
        self.hints = hints
    }

    /// The start modes, whether given as strings or as `{"mode": …}` objects.
    public var startModes: [String] {
        start.compactMap { value in
            switch value {
            case .string(let mode): mode
            case .object(let object): object["mode"]?.stringValue
            default: nil
            }
        }
    }
}

/// `interact.finish` (RFC 9635 §2.5.2).
public struct GNAPInteractFinish: Sendable, Hashable, Codable {
    public var method: String
    public var uri: String?
    public var nonce: String
    public var hashMethod: String?

    public init(method: String, uri: String?, nonce: String, hashMethod: String? = nil) {
        self.method = method
        self.uri = uri
        self.nonce = nonce
        self.hashMethod = hashMethod
    }

    enum CodingKeys: String, CodingKey {
        case method, uri, nonce
        case hashMethod = "hash_method"
    }
}
