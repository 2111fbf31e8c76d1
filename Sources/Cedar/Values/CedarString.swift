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
    /// Byte equality. Native strings are compared as contiguous UTF-8 buffers (the generic
    /// `UTF8View` walk is several times slower, and this comparison runs on every attribute
    /// and entity lookup).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        let l = lhs.value.utf8
        let r = rhs.value.utf8
        guard l.count == r.count else { return false }
        let fast: Bool?? = unsafe l.withContiguousStorageIfAvailable { a in
            unsafe r.withContiguousStorageIfAvailable { b in unsafe a.elementsEqual(b) }
        }
        if let fast, let equal = fast { return equal }
        return l.elementsEqual(r)
    }

    /// Hashes the UTF-8 bytes: equal values (byte-equal) hash equally, and no Unicode
    /// normalisation is done (String's own hash normalises strings not known to be NFC).
    public func hash(into hasher: inout Hasher) {
        let utf8 = value.utf8
        let done: Void? = unsafe utf8.withContiguousStorageIfAvailable { unsafe hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for b in utf8 { hasher.combine(b) }
        }
        hasher.combine(utf8.count)
    }
}

extension CedarString: Comparable {
    /// Orders by UTF-8 bytes, which is the order of Unicode scalar values.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }
}
