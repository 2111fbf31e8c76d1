/// A bare item of a Structured Field (RFC 9651 §3.3; RFC 8941 §3.3 for everything RFC 9421 uses).
///
/// Byte sequences hold the decoded bytes; they are re-encoded with standard, padded base64 when serialized
/// (RFC 9651 §4.1.8).
enum StructuredFieldBareItem: Hashable, Sendable {
    case integer(Int64)
    /// A decimal, stored as its thousandths (RFC 9651 §3.3.2: at most 12 integer digits and 3 fractional digits).
    case decimal(thousandths: Int64)
    case string(String)
    case token(String)
    case byteSequence([UInt8])
    case boolean(Bool)
    /// RFC 9651 §3.3.7 Date (`@1659578233`).
    case date(Int64)
    /// RFC 9651 §3.3.8 Display String (`%"..."`), holding the decoded Unicode text.
    case displayString(String)
}

/// One parameter of an item or inner list (RFC 9651 §3.1.2). Parameters are ordered and keys are unique.
struct StructuredFieldParameter: Hashable, Sendable {
    var key: String
    var value: StructuredFieldBareItem
}

/// An item with its parameters (RFC 9651 §3.3).
struct StructuredFieldItem: Hashable, Sendable {
    var bareItem: StructuredFieldBareItem
    var parameters: [StructuredFieldParameter]

    init(_ bareItem: StructuredFieldBareItem, parameters: [StructuredFieldParameter] = []) {
        self.bareItem = bareItem
        self.parameters = parameters
    }
}

/// A list member or dictionary member value: an item or an inner list (RFC 9651 §3.1, §3.1.1).
enum StructuredFieldMember: Hashable, Sendable {
    case item(StructuredFieldItem)
    case innerList([StructuredFieldItem], parameters: [StructuredFieldParameter])
}

/// One `key=value` member of a Dictionary (RFC 9651 §3.2). The order of members is kept.
struct StructuredFieldDictionaryEntry: Hashable, Sendable {
    var key: String
    var member: StructuredFieldMember
}

/// The top-level type of a structured field, used by the `sf` component parameter (RFC 9421 §2.1.1).
public struct StructuredFieldType: Hashable, Sendable, CustomStringConvertible {
    private enum Value: String { case item, list, dictionary }
    private let value: Value
    private init(_ value: Value) { self.value = value }

    /// An Item field.
    public static let item = Self(.item)
    /// A List field.
    public static let list = Self(.list)
    /// A Dictionary field.
    public static let dictionary = Self(.dictionary)
    public var description: String { value.rawValue }

    var isList: Bool { value == .list }
    var isDictionary: Bool { value == .dictionary }

    /// Structured fields RFC 9421 knows the type of without configuration: the ones it and RFC 9530 define, and
    /// RFC 9651-era fields registered as structured (RFC 9218 `Priority`, RFC 9211 `Cache-Status`, RFC 9209
    /// `Proxy-Status`).
    static let wellKnown: [String: StructuredFieldType] = [
        "signature-input": .dictionary, "signature": .dictionary, "accept-signature": .dictionary,
        "content-digest": .dictionary, "repr-digest": .dictionary, "want-content-digest": .dictionary,
        "want-repr-digest": .dictionary, "priority": .dictionary, "cache-status": .list, "proxy-status": .list,
        "client-cert": .item, "client-cert-chain": .list,
    ]
}
