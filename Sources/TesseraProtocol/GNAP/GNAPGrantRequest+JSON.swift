import Foundation

/// The grant request read from parsed JSON and written as JSON by hand (issue 22): through `Decodable` and
/// `Encodable`, even over ``JSONValueDecoder`` and ``SortedJSONEncoder``, reading a grant request cost ~30 µs and
/// writing its stored copy and key ~16 µs (generic containers boxed per member, metadata look-ups, an error thrown
/// and caught for every untagged alternative). The members every grant request carries — the tokens asked for and
/// the client with its key — are read and written here; `subject`, `user` and `interact` go through the generic
/// coders. Each reader follows its type's `init(from:)`: the same values, and the same `DecodingError` case at the
/// same coding path for a refused document (`JSONValueDecoderTests` compares them on every mutation of a corpus).
extension GNAPGrantRequest {
    /// Reads a grant request (RFC 9635 §2).
    /// - Parameter bytes: The JSON text.
    /// - Returns: The request.
    /// - Throws: `DecodingError`, as `JSONDecoder` would (a repeated member name is `dataCorrupted`, see ``JSONValueDecoder``).
    package static func read(json bytes: [UInt8]) throws -> GNAPGrantRequest {
        guard let value = JSONValue.parse(Data(bytes)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
        }
        return try read(value, at: [])
    }

    /// Reads a grant request (RFC 9635 §2) from parsed JSON.
    /// - Parameters:
    ///   - value: The parsed document.
    ///   - path: Where it sits, for the coding paths of errors.
    /// - Returns: The request.
    /// - Throws: `DecodingError`, as `JSONDecoder` would.
    package static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPGrantRequest {
        let members = try JSONRead.object(value, at: path)
        return GNAPGrantRequest(
            accessToken: try JSONRead.optional(members, "access_token", at: path, GNAPTokenRequests.read),
            subject: try JSONRead.optional(members, "subject", at: path, JSONRead.generic),
            client: try JSONRead.optional(members, "client", at: path, GNAPClientReference.read),
            user: try JSONRead.optional(members, "user", at: path, JSONRead.generic),
            interact: try JSONRead.optional(members, "interact", at: path, JSONRead.generic),
            interactRef: try JSONRead.optional(members, "interact_ref", at: path, JSONTreeDecoding.string),
            existingAccessToken: try JSONRead.optional(members, "existing_access_token", at: path, JSONTreeDecoding.string)
        )
    }
}

extension GNAPOneOrMany where Element == GNAPTokenRequest {
    /// As `init(from:)`: an array of token requests, else one token request (whose error is thrown).
    static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> Self {
        if case .array = value, let many = try? JSONRead.array(value, at: path, GNAPTokenRequest.read) { return .multiple(many) }
        return .single(try GNAPTokenRequest.read(value, at: path))
    }
}

extension GNAPTokenRequest {
    static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPTokenRequest {
        let members = try JSONRead.object(value, at: path)
        return GNAPTokenRequest(
            access: try JSONRead.required(members, "access", at: path) { try JSONRead.array($0, at: $1, GNAPAccessRight.read) },
            label: try JSONRead.optional(members, "label", at: path, JSONTreeDecoding.string),
            flags: try JSONRead.optional(members, "flags", at: path, JSONRead.strings)
        )
    }
}

extension GNAPAccessRight {
    /// As `init(from:)`: a reference string, else an access object (whose error is thrown).
    static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPAccessRight {
        if case .string(let reference) = value { return .reference(reference) }
        return .object(try GNAPAccessObject.read(value, at: path))
    }
}

extension GNAPAccessObject {
    static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPAccessObject {
        let members = try JSONRead.object(value, at: path)
        var object = GNAPAccessObject(
            type: try JSONRead.required(members, "type", at: path, JSONTreeDecoding.string),
            actions: try JSONRead.optional(members, "actions", at: path, JSONRead.strings),
            locations: try JSONRead.optional(members, "locations", at: path, JSONRead.strings),
            datatypes: try JSONRead.optional(members, "datatypes", at: path, JSONRead.strings),
            identifier: try JSONRead.optional(members, "identifier", at: path, JSONTreeDecoding.string),
            privileges: try JSONRead.optional(members, "privileges", at: path, JSONRead.strings)
        )
        for (name, member) in members where CodingKeys(rawValue: name) == nil { object.extra[name] = member }
        return object
    }
}

extension GNAPClientReference {
    /// As `init(from:)`: an instance identifier, else a client instance by value (whose error is thrown).
    static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPClientReference {
        if case .string(let instance) = value { return .instance(instance) }
        let members = try JSONRead.object(value, at: path)
        return .value(
            GNAPClientInstance(
                key: try JSONRead.required(members, "key", at: path, GNAPKey.read),
                classID: try JSONRead.optional(members, "class_id", at: path, JSONTreeDecoding.string),
                display: try JSONRead.optional(members, "display", at: path) { value, path in
                    let members = try JSONRead.object(value, at: path)
                    return GNAPDisplay(
                        name: try JSONRead.optional(members, "name", at: path, JSONTreeDecoding.string),
                        uri: try JSONRead.optional(members, "uri", at: path, JSONTreeDecoding.string),
                        logoURI: try JSONRead.optional(members, "logo_uri", at: path, JSONTreeDecoding.string)
                    )
                }
            )
        )
    }
}

extension GNAPKey {
    /// Reads a key (RFC 9635 §7.1), as its `init(from:)`.
    /// - Parameter bytes: The JSON text.
    /// - Returns: The key.
    /// - Throws: `DecodingError`, as `JSONDecoder` would.
    package static func read(json bytes: [UInt8]) throws -> GNAPKey {
        guard let value = JSONValue.parse(Data(bytes)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
        }
        return try read(value, at: [])
    }

    /// Reads a key (RFC 9635 §7.1) from parsed JSON.
    /// - Parameters:
    ///   - value: The parsed document.
    ///   - path: Where it sits, for the coding paths of errors.
    /// - Returns: The key.
    /// - Throws: `DecodingError`, as `JSONDecoder` would.
    package static func read(_ value: JSONValue, at path: [any CodingKey]) throws -> GNAPKey {
        let members = try JSONRead.object(value, at: path)
        return GNAPKey(
            proof: try JSONRead.required(members, "proof", at: path) { value, path in
                if case .string(let method) = value { return GNAPProof(method: method) }
                let members = try JSONRead.object(value, at: path)
                return GNAPProof(
                    method: try JSONRead.required(members, "method", at: path, JSONTreeDecoding.string),
                    alg: try JSONRead.optional(members, "alg", at: path, JSONTreeDecoding.string),
                    contentDigestAlg: try JSONRead.optional(members, "content-digest-alg", at: path, JSONTreeDecoding.string)
                )
            },
            jwk: try JSONRead.optional(members, "jwk", at: path) { value, path in
                let members = try JSONRead.object(value, at: path)
                func member(_ name: String) throws -> String? { try JSONRead.optional(members, name, at: path, JSONTreeDecoding.string) }
                return PublicJWK(
                    kty: try JSONRead.required(members, "kty", at: path, JSONTreeDecoding.string),
                    crv: try member("crv"),
                    x: try member("x"),
                    y: try member("y"),
                    n: try member("n"),
                    e: try member("e"),
                    kid: try member("kid"),
                    alg: try member("alg"),
                    use: try member("use")
                )
            },
            cert: try JSONRead.optional(members, "cert", at: path, JSONTreeDecoding.string),
            certS256: try JSONRead.optional(members, "cert#S256", at: path, JSONTreeDecoding.string)
        )
    }
}

/// The reading steps of synthesized `init(from:)`s, over a parsed value with its coding path.
enum JSONRead {
    /// A member name, as a coding key.
    struct Name: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func object(_ value: JSONValue, at path: [any CodingKey]) throws -> [String: JSONValue] {
        guard case .object(let members) = value else { throw JSONTreeDecoding.mismatch([String: Any].self, value, at: path) }
        return members
    }

    /// `decode(_:forKey:)`: a missing member is `keyNotFound`.
    static func required<T>(
        _ members: [String: JSONValue],
        _ name: String,
        at path: [any CodingKey],
        _ read: (JSONValue, [any CodingKey]) throws -> T
    ) throws -> T {
        guard let member = members[name] else {
            throw DecodingError.keyNotFound(
                Name(stringValue: name),
                .init(codingPath: path, debugDescription: "No value for a required key.")
            )
        }
        return try read(member, path + [Name(stringValue: name)])
    }

    /// `decodeIfPresent(_:forKey:)`: a missing or `null` member is `nil`.
    static func optional<T>(
        _ members: [String: JSONValue],
        _ name: String,
        at path: [any CodingKey],
        _ read: (JSONValue, [any CodingKey]) throws -> T
    ) throws -> T? {
        guard let member = members[name] else { return nil }
        if case .null = member { return nil }
        return try read(member, path + [Name(stringValue: name)])
    }

    static func array<T>(_ value: JSONValue, at path: [any CodingKey], _ read: (JSONValue, [any CodingKey]) throws -> T) throws -> [T] {
        guard case .array(let elements) = value else { throw JSONTreeDecoding.mismatch([Any].self, value, at: path) }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() { result.append(try read(element, path + [JSONIndexKey(intValue: index)])) }
        return result
    }

    static func strings(_ value: JSONValue, at path: [any CodingKey]) throws -> [String] {
        try array(value, at: path, JSONTreeDecoding.string)
    }

    /// A rarely sent member, through ``JSONValueDecoder``.
    static func generic<T: Decodable>(_ value: JSONValue, at path: [any CodingKey]) throws -> T {
        try JSONTreeDecoding.unbox(value, as: T.self, at: path)
    }
}

extension GNAPGrantRequest: JSONOutputWritable {
    /// The request's JSON, members sorted by name at every level as `JSONEncoder` with `.sortedKeys` wrote it (the
    /// stored copy of a grant request).
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            if let accessToken {
                out.key("access_token")
                switch accessToken {
                case .single(let token): try token.write(to: &out)
                case .multiple(let tokens):
                    try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                        for token in tokens { try token.write(to: &out) }
                    }
                }
            }
            if let client {
                out.key("client")
                switch client {
                case .instance(let instance): out.string(instance)
                case .value(let value): try value.write(to: &out)
                }
            }
            out.member("existing_access_token", existingAccessToken)
            try out.member("interact", sorting: interact)
            out.member("interact_ref", interactRef)
            try out.member("subject", sorting: subject)
            try out.member("user", sorting: user)
        }
    }
}

extension GNAPTokenRequest: JSONOutputWritable {
    /// Members sorted by name, access objects' members too (API-specific ones included): the same request is always
    /// the same text.
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.key("access")
            try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                for right in access {
                    switch right {
                    case .reference(let reference): out.string(reference)
                    case .object(let object): try object.writeSorted(to: &out)
                    }
                }
            }
            try out.member("flags", flags)
            out.member("label", label)
        }
    }
}

extension GNAPAccessObject {
    /// The object with its members sorted by name (``write(to:)`` keeps its own order, for responses).
    func writeSorted(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        var names = extra.keys.filter { CodingKeys(rawValue: $0) == nil }
        for known in CodingKeys.allCases where has(known) { names.append(known.rawValue) }
        names.sort()
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            for name in names {
                switch CodingKeys(rawValue: name) {
                case .type: out.member("type", type)
                case .actions: try out.member("actions", actions)
                case .locations: try out.member("locations", locations)
                case .datatypes: try out.member("datatypes", datatypes)
                case .identifier: out.member("identifier", identifier)
                case .privileges: try out.member("privileges", privileges)
                case nil:
                    out.key(name)
                    try out.sortedValue(extra[name] ?? .null)
                }
            }
        }
    }

    private func has(_ member: CodingKeys) -> Bool {
        switch member {
        case .type: true
        case .actions: actions != nil
        case .locations: locations != nil
        case .datatypes: datatypes != nil
        case .identifier: identifier != nil
        case .privileges: privileges != nil
        }
    }
}

extension GNAPClientInstance: JSONOutputWritable {
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("class_id", classID)
            if let display {
                out.key("display")
                try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    out.member("logo_uri", display.logoURI)
                    out.member("name", display.name)
                    out.member("uri", display.uri)
                }
            }
            try out.member("key", key)
        }
    }
}

extension GNAPKey: JSONOutputWritable {
    /// The key's JSON (the stored client key of a grant), members sorted by name.
    public func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable) {
        try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            out.member("cert", cert)
            out.member("cert#S256", certS256)
            if let jwk {
                out.key("jwk")
                try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    out.member("alg", jwk.alg)
                    out.member("crv", jwk.crv)
                    out.member("e", jwk.e)
                    out.member("kid", jwk.kid)
                    out.member("kty", jwk.kty)
                    out.member("n", jwk.n)
                    out.member("use", jwk.use)
                    out.member("x", jwk.x)
                    out.member("y", jwk.y)
                }
            }
            out.key("proof")
            if proof.alg == nil, proof.contentDigestAlg == nil {
                out.string(proof.method)
            } else {
                try out.object { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
                    out.member("alg", proof.alg)
                    out.member("content-digest-alg", proof.contentDigestAlg)
                    out.member("method", proof.method)
                }
            }
        }
    }
}

extension JSONOutput {
    /// ``value(_:)`` with object members sorted by name at every level: the same value is always the same text.
    fileprivate mutating func sortedValue(_ value: JSONValue) throws(Unrepresentable) {
        switch value {
        case .array(let elements):
            try array { (out: inout JSONOutput) throws(Unrepresentable) in
                for element in elements { try out.sortedValue(element) }
            }
        case .object(let members):
            try object { (out: inout JSONOutput) throws(Unrepresentable) in
                for name in members.keys.sorted() {
                    out.key(name)
                    try out.sortedValue(members[name] ?? .null)
                }
            }
        default: try self.value(value)
        }
    }
}
