extension Decoder {
    /// Decodes an untagged alternative, as GNAP's "one or several" and "by reference or by value" members are
    /// (RFC 9635 §2.1, §7.1.1): `first`'s type when the value is one, else `second`'s, whose error is thrown.
    /// - Parameters:
    ///   - first: makes the value from the first alternative, tried first.
    ///   - second: makes the value from the second alternative.
    /// - Returns: the decoded value.
    /// - Throws: the error of decoding the second alternative.
    func decodeEither<First: Decodable, Second: Decodable, Value>(
        _ first: (First) -> Value,
        or second: (Second) -> Value
    ) throws -> Value {
        let container = try singleValueContainer()
        if let value = try? container.decode(First.self) { return first(value) }
        return second(try container.decode(Second.self))
    }
}
