/// One HTTP field line (a header or trailer), as RFC 9421 §2.1 reads it.
///
/// The name is stored lower-cased, because RFC 9421 §2.1 identifies fields by their lower-cased name. The value is
/// kept exactly as received; canonicalization (trimming, obs-fold removal, combination of several lines) happens
/// when a component value is computed.
public struct HTTPSignatureField: Hashable, Sendable {
    /// The lower-cased field name.
    public let name: String
    /// The raw field value of this line.
    public var value: String

    /// Creates a field line; `name` is lower-cased.
    public init(name: String, value: String) {
        self.name = Self.lowercased(name)
        self.value = value
    }

    /// For names known to be lower-case already (constants), skipping the check.
    init(lowercasedName: String, value: String) {
        self.name = lowercasedName
        self.value = value
    }

    static func lowercased(_ name: String) -> String {
        for byte in name.utf8 where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
            return String(decoding: name.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        }
        return name
    }
}

extension [HTTPSignatureField] {
    /// The values of every line named `name` (lower-case), in message order.
    func values(named name: String) -> [String] {
        var values: [String] = []
        for field in self where field.name == name { values.append(field.value) }
        return values
    }
}
