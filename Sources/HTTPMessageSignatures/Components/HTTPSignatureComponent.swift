/// A component identifier: a component name plus its parameters (RFC 9421 §2).
///
/// Derived components have names starting with `@` (§2.2); any other name is a lower-case HTTP field name (§2.1).
/// Parameters keep the order they were given or received in, which matters for the signature base; equality and
/// hashing ignore that order, because identity is "name plus the set of parameters" (§2).
///
/// ```swift
/// let covered: [HTTPSignatureComponent] = [.method, .targetURI, .field("content-digest"), .field("authorization")]
/// ```
public struct HTTPSignatureComponent: Sendable, CustomStringConvertible {
    /// The component name: `@method`, or a lower-case field name such as `content-type`.
    public let name: String
    /// Parameters in order (`sf`, `key`, `bs`, `tr`, `req`, `name`, or unknown ones received from a peer).
    var parameters: [StructuredFieldParameter]

    init(name: String, parameters: [StructuredFieldParameter]) {
        self.name = name
        self.parameters = parameters
    }

    /// Parses a serialized component identifier, e.g. `"@query-param";name="Pet"` or `"example-dict";key="a"`
    /// (RFC 9421 §2). Text without a leading `"` is taken as a bare name: `content-type`, `@method`.
    ///
    /// - Throws: ``HTTPSignatureError/Code/invalidComponent`` if the text is not a String item with parameters.
    public init(parsing text: String) throws(HTTPSignatureError) {
        guard text.utf8.first == UInt8(ascii: "\"") else {
            self.init(name: text.utf8.first == UInt8(ascii: "@") ? text : HTTPSignatureField.lowercased(text), parameters: [])
            return
        }
        var parser = StructuredFieldParser(text)
        let item: StructuredFieldItem
        do {
            item = try parser.parseItem()
        } catch {
            throw HTTPSignatureError(.invalidComponent, "not a component identifier: \(error.reason)")
        }
        guard case .string(let name) = item.bareItem else {
            throw HTTPSignatureError(.invalidComponent, "a component identifier is a String")
        }
        self.init(name: name, parameters: item.parameters)
    }

    /// `@method` (RFC 9421 §2.2.1).
    public static let method = Self(name: "@method", parameters: [])
    /// `@target-uri` (RFC 9421 §2.2.2).
    public static let targetURI = Self(name: "@target-uri", parameters: [])
    /// `@authority` (RFC 9421 §2.2.3).
    public static let authority = Self(name: "@authority", parameters: [])
    /// `@scheme` (RFC 9421 §2.2.4).
    public static let scheme = Self(name: "@scheme", parameters: [])
    /// `@request-target` (RFC 9421 §2.2.5).
    public static let requestTarget = Self(name: "@request-target", parameters: [])
    /// `@path` (RFC 9421 §2.2.6).
    public static let path = Self(name: "@path", parameters: [])
    /// `@query` (RFC 9421 §2.2.7).
    public static let query = Self(name: "@query", parameters: [])
    static let contentDigest = Self(name: "content-digest", parameters: [])

    /// `@status` (RFC 9421 §2.2.9), responses only.
    public static let status = Self(name: "@status", parameters: [])

    /// `@query-param;name="…"` (RFC 9421 §2.2.8). `name` is the parameter name as it appears after re-encoding
    /// (for example `fa%C3%A7ade`).
    public static func queryParameter(_ name: String) -> Self {
        Self(name: "@query-param", parameters: [StructuredFieldParameter(key: "name", value: .string(name))])
    }

    /// An HTTP field component (RFC 9421 §2.1) with optional parameters.
    ///
    /// - Parameters:
    ///   - name: The field name; it is lower-cased.
    ///   - structured: `sf`: re-serialize the value strictly as a structured field (§2.1.1).
    ///   - key: `key`: the value of one member of a Dictionary field (§2.1.2).
    ///   - byteSequence: `bs`: wrap each field line as a Byte Sequence (§2.1.3).
    ///   - trailer: `tr`: take the value from the trailers (§2.1.4).
    /// - Returns: The component identifier, parameters in the order `sf`, `key`, `bs`, `tr`.
    public static func field(
        _ name: String,
        structured: Bool = false,
        key: String? = nil,
        byteSequence: Bool = false,
        trailer: Bool = false
    ) -> Self {
        var parameters: [StructuredFieldParameter] = []
        if structured { parameters.append(StructuredFieldParameter(key: "sf", value: .boolean(true))) }
        if let key { parameters.append(StructuredFieldParameter(key: "key", value: .string(key))) }
        if byteSequence { parameters.append(StructuredFieldParameter(key: "bs", value: .boolean(true))) }
        if trailer { parameters.append(StructuredFieldParameter(key: "tr", value: .boolean(true))) }
        return Self(name: HTTPSignatureField.lowercased(name), parameters: parameters)
    }

    /// This component taken from the request that caused a response (`req`, RFC 9421 §2.4).
    public var fromRequest: Self {
        guard !isFromRequest else { return self }
        var copy = self
        copy.parameters.append(StructuredFieldParameter(key: "req", value: .boolean(true)))
        return copy
    }

    /// Whether this is a derived component (`@…`, RFC 9421 §2.2).
    public var isDerived: Bool { name.utf8.first == UInt8(ascii: "@") }
    /// Whether the `req` parameter is present.
    public var isFromRequest: Bool { parameters.contains { $0.key == "req" } }
    /// The `key` parameter (RFC 9421 §2.1.2), if present.
    public var dictionaryKey: String? {
        if case .string(let key)? = parameters[key: "key"] { return key }
        return nil
    }

    /// The identifier serialized as in a signature base, e.g. `"@query-param";name="Pet"` (RFC 9421 §2.5).
    public var description: String {
        var out: [UInt8] = []
        do { try serialize(into: &out) } catch { return "\"\(name)\"" }
        return String(decoding: out, as: UTF8.self)
    }

    func serialize(into out: inout [UInt8]) throws(StructuredFieldSerializer.SerializationFailure) {
        try StructuredFieldSerializer.serializeString(name, into: &out)
        try StructuredFieldSerializer.serializeParameters(parameters, into: &out)
    }

    var item: StructuredFieldItem { StructuredFieldItem(.string(name), parameters: parameters) }
}

extension HTTPSignatureComponent: Hashable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.name == rhs.name, lhs.parameters.count == rhs.parameters.count else { return false }
        return lhs.parameters.allSatisfy { parameter in rhs.parameters.contains(parameter) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        var combined = 0
        for parameter in parameters { combined ^= parameter.hashValue }
        hasher.combine(combined)
    }
}

extension [StructuredFieldParameter] {
    subscript(key key: String) -> StructuredFieldBareItem? {
        for parameter in self where parameter.key == key { return parameter.value }
        return nil
    }
}
