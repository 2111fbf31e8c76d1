/// The signature parameters of one signature (RFC 9421 §2.3): `created`, `expires`, `nonce`, `alg`, `keyid`, `tag`.
///
/// Order matters: it is part of `@signature-params`. Parameters built with ``init(created:expires:nonce:algorithm:keyID:tag:)``
/// are serialized in the order `created`, `keyid`, `alg`, `expires`, `nonce`, `tag` (the order of RFC 9421's
/// examples and of the common Python implementation); parameters parsed from `Signature-Input` keep the order
/// received, including parameters this library does not know.
public struct HTTPSignatureParameters: Sendable, Hashable {
    private(set) var entries: [StructuredFieldParameter]

    init(entries: [StructuredFieldParameter]) {
        self.entries = entries
    }

    /// Creates signature parameters.
    ///
    /// - Parameters:
    ///   - created: Creation time in Unix seconds (RFC 9421 §2.3 `created`, RECOMMENDED).
    ///   - expires: Expiry time in Unix seconds (`expires`).
    ///   - nonce: A unique value for replay detection (`nonce`).
    ///   - algorithm: The `alg` parameter. Leave `nil` when the algorithm is known from the key (GNAP forbids it).
    ///   - keyID: The `keyid` parameter.
    ///   - tag: The application tag, e.g. `gnap` (`tag`).
    public init(
        created: Int64? = nil,
        expires: Int64? = nil,
        nonce: String? = nil,
        algorithm: HTTPSignatureAlgorithm? = nil,
        keyID: String? = nil,
        tag: String? = nil
    ) {
        var entries: [StructuredFieldParameter] = []
        entries.reserveCapacity(6)
        if let created { entries.append(StructuredFieldParameter(key: "created", value: .integer(created))) }
        if let keyID { entries.append(StructuredFieldParameter(key: "keyid", value: .string(keyID))) }
        if let algorithm { entries.append(StructuredFieldParameter(key: "alg", value: .string(algorithm.name))) }
        if let expires { entries.append(StructuredFieldParameter(key: "expires", value: .integer(expires))) }
        if let nonce { entries.append(StructuredFieldParameter(key: "nonce", value: .string(nonce))) }
        if let tag { entries.append(StructuredFieldParameter(key: "tag", value: .string(tag))) }
        self.entries = entries
    }

    /// `created`, Unix seconds.
    public var created: Int64? {
        get { integer("created") }
        set { set("created", newValue.map { .integer($0) }) }
    }
    /// `expires`, Unix seconds.
    public var expires: Int64? {
        get { integer("expires") }
        set { set("expires", newValue.map { .integer($0) }) }
    }
    /// `nonce`.
    public var nonce: String? {
        get { string("nonce") }
        set { set("nonce", newValue.map { .string($0) }) }
    }
    /// The raw `alg` parameter value.
    public var algorithmName: String? {
        get { string("alg") }
        set { set("alg", newValue.map { .string($0) }) }
    }
    /// `keyid`.
    public var keyID: String? {
        get { string("keyid") }
        set { set("keyid", newValue.map { .string($0) }) }
    }
    /// `tag`.
    public var tag: String? {
        get { string("tag") }
        set { set("tag", newValue.map { .string($0) }) }
    }

    /// Names of the parameters present, in order.
    public var names: [String] { entries.map(\.key) }

    static let registered: Set<String> = ["created", "expires", "nonce", "alg", "keyid", "tag"]

    /// Checks the types RFC 9421 §2.3 gives each registered parameter.
    func validateTypes() throws(HTTPSignatureError) {
        for entry in entries {
            switch entry.key {
            case "created", "expires":
                guard case .integer = entry.value else {
                    throw HTTPSignatureError(.invalidParameter, "\(entry.key) must be an Integer")
                }
            case "nonce", "alg", "keyid", "tag":
                guard case .string = entry.value else {
                    throw HTTPSignatureError(.invalidParameter, "\(entry.key) must be a String")
                }
            default:
                continue
            }
        }
    }

    private func integer(_ key: String) -> Int64? {
        if case .integer(let value)? = entries[key: key] { return value }
        return nil
    }

    private func string(_ key: String) -> String? {
        if case .string(let value)? = entries[key: key] { return value }
        return nil
    }

    private mutating func set(_ key: String, _ value: StructuredFieldBareItem?) {
        if let index = entries.firstIndex(where: { $0.key == key }) {
            if let value { entries[index].value = value } else { entries.remove(at: index) }
        } else if let value {
            entries.append(StructuredFieldParameter(key: key, value: value))
        }
    }
}
