/// A string compared and hashed by its exact sequence of Unicode scalar values.
///
/// Cedar compares strings (values, record keys, attribute and tag names, entity ids) without
/// Unicode normalisation: `"e\u{301}"` and `"\u{e9}"` are different (language digest §5).
/// Swift's `String ==` uses canonical equivalence, so every string the engine compares or uses
/// as a dictionary key is wrapped in this type, which compares UTF-8 bytes.
public struct CedarString: Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The underlying Swift string.
    public let value: String

    /// Wraps a Swift string.
    public init(_ value: String) { self.value = value }

    /// Wraps a string literal.
    public init(stringLiteral value: String) { self.value = value }

    /// The string itself.
    public var description: String { value }
}

extension CedarString: Hashable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.value.utf8.count == rhs.value.utf8.count && lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    /// Byte-equal strings are canonically equivalent, so String's own (normalising) hash is a
    /// valid hash for byte equality: equal values always hash equally.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}

extension CedarString: Comparable {
    /// Orders by UTF-8 bytes, which is the order of Unicode scalar values.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }
}
