/// The `aud` claim (RFC 7519 §4.1.3): one string or an array of strings.
///
/// Encoded as a single string when there is exactly one value, as RFC 7519 allows and most
/// validators expect.
public struct Audience: Codable, Sendable, Hashable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public func contains(_ value: String) -> Bool { values.contains(value) }

    public init(from decoder: any Decoder) throws {
        values = try decoder.decodeEither({ (single: String) in [single] }, or: { (many: [String]) in many })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }
}
