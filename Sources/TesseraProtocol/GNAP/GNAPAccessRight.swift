/// One element of a GNAP `access` array (RFC 9635 §8): an opaque reference string, or an object
/// whose `type` decides what the other members mean. The object form means the cross product of
/// its members; the granted rights are the union of all elements.
public enum GNAPAccessRight: Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    case reference(String)
    case object(GNAPAccessObject)

    /// A reference right from a string literal: `"photos"`.
    public init(stringLiteral value: String) { self = .reference(value) }

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeEither(Self.reference, or: Self.object)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .reference(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .object(let object): try object.encode(to: encoder)
        }
    }

    /// The `type` of an object, or the reference string: what policy keys on.
    public var typeOrReference: String {
        switch self {
        case .reference(let value): value
        case .object(let object): object.type
        }
    }
}

/// The object form of an access right (RFC 9635 §8.1). API-specific members are kept in ``extra``.
public struct GNAPAccessObject: Sendable, Hashable, Codable {
    public var type: String
    public var actions: [String]?
    public var locations: [String]?
    public var datatypes: [String]?
    public var identifier: String?
    public var privileges: [String]?
    public var extra: [String: JSONValue]

    public init(
        type: String,
        actions: [String]? = nil,
        locations: [String]? = nil,
        datatypes: [String]? = nil,
        identifier: String? = nil,
        privileges: [String]? = nil,
        extra: [String: JSONValue] = [:]
    ) {
        self.type = type
        self.actions = actions
        self.locations = locations
        self.datatypes = datatypes
        self.identifier = identifier
        self.privileges = privileges
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, actions, locations, datatypes, identifier, privileges
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        type = try keyed.decode(String.self, forKey: .type)
        actions = try keyed.decodeIfPresent([String].self, forKey: .actions)
        locations = try keyed.decodeIfPresent([String].self, forKey: .locations)
        datatypes = try keyed.decodeIfPresent([String].self, forKey: .datatypes)
        identifier = try keyed.decodeIfPresent(String.self, forKey: .identifier)
        privileges = try keyed.decodeIfPresent([String].self, forKey: .privileges)
        // Only the API-specific members are decoded as JSONValue; the known ones were read above.
        let members = try decoder.container(keyedBy: MemberKey.self)
        var extra: [String: JSONValue] = [:]
        for key in members.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            extra[key.stringValue] = try members.decode(JSONValue.self, forKey: key)
        }
        self.extra = extra
    }

    /// Any member name, for the API-specific members.
    struct MemberKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        // Straight into one keyed container: access objects are encoded several times per grant (the response,
        // each token's claims, the stored records). An `extra` member named like a known one (which decoding
        // never produces) is not written, so a member never appears twice.
        var container = encoder.container(keyedBy: MemberKey.self)
        try container.encode(type, forKey: MemberKey(stringValue: "type"))
        try container.encodeIfPresent(actions, forKey: MemberKey(stringValue: "actions"))
        try container.encodeIfPresent(locations, forKey: MemberKey(stringValue: "locations"))
        try container.encodeIfPresent(datatypes, forKey: MemberKey(stringValue: "datatypes"))
        try container.encodeIfPresent(identifier, forKey: MemberKey(stringValue: "identifier"))
        try container.encodeIfPresent(privileges, forKey: MemberKey(stringValue: "privileges"))
        for (name, value) in extra where CodingKeys(rawValue: name) == nil {
            try container.encode(value, forKey: MemberKey(stringValue: name))
        }
    }
}
