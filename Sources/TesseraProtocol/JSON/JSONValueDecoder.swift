import Foundation

/// Decodes `Decodable` values from JSON parsed by ``JSONValue/parse(_:)``: the byte-level parser, then a walk of
/// its tree, instead of `JSONDecoder`.
///
/// Written for the GNAP grant request (issue 22): `JSONDecoder` was 5.8 % of a grant's server CPU, most of it
/// generic-metadata lookups and the errors thrown and caught by GNAP's untagged alternatives (RFC 9635 §2.1,
/// §7.1.1: a string or an object, one or an array). It decodes what `JSONDecoder` decodes with its default
/// strategies, for types made of strings, booleans, numbers, arrays and objects (no `Data` or `Date` members),
/// and throws the same `DecodingError` cases with the same coding paths, except that, as ``JSONValue/parse(_:)``,
/// **a member name repeated in one object is refused** (`JSONDecoder` kept the first value). Integers are read
/// from the parsed `Double`, so an integer beyond ±2^53 is refused rather than rounded.
/// `JSONValueDecoderTests` compares it with `JSONDecoder` on GNAP requests.
package struct JSONValueDecoder: Sendable {
    package init() {}

    /// Decodes a value from a JSON document.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The document, UTF-8.
    /// - Returns: The value.
    /// - Throws: `DecodingError`: `dataCorrupted` when the document is not JSON (or repeats a member name),
    ///   otherwise as `JSONDecoder` would.
    package func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard let value = JSONValue.parse(Data(bytes)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
        }
        return try decode(type, from: value)
    }

    /// Decodes a value from a parsed JSON value.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - value: The parsed value.
    /// - Returns: The value.
    /// - Throws: `DecodingError`, as `JSONDecoder` would.
    package func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONTreeDecoding.unbox(value, as: type, at: [])
    }
}

/// The walk shared by the decoder, its containers and the hand-written GNAP readers.
enum JSONTreeDecoding {
    static func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, at path: [any CodingKey]) throws -> T {
        if T.self == String.self, case .string(let text) = value, let result = text as? T { return result }
        if T.self == JSONValue.self, let result = value as? T { return result }
        return try T(from: TreeDecoder(value: value, codingPath: path))
    }

    static func string(_ value: JSONValue, at path: [any CodingKey]) throws -> String {
        if case .string(let text) = value { return text }
        throw mismatch(String.self, value, at: path)
    }

    static func bool(_ value: JSONValue, at path: [any CodingKey]) throws -> Bool {
        if case .bool(let flag) = value { return flag }
        throw mismatch(Bool.self, value, at: path)
    }

    static func double(_ value: JSONValue, at path: [any CodingKey]) throws -> Double {
        if case .number(let number) = value { return number }
        throw mismatch(Double.self, value, at: path)
    }

    static func float(_ value: JSONValue, at path: [any CodingKey]) throws -> Float {
        let number = try double(value, at: path)
        guard let result = Float(exactly: number) ?? (abs(number) <= Double(Float.greatestFiniteMagnitude) ? Float(number) : nil) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "Number \(number) does not fit in Float."))
        }
        return result
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, at path: [any CodingKey]) throws -> T {
        let number = try double(value, at: path)
        guard abs(number) <= 9_007_199_254_740_992, let result = T(exactly: number) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "Number \(number) does not fit in \(T.self)."))
        }
        return result
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, at path: [any CodingKey]) -> DecodingError {
        if case .null = value {
            return .valueNotFound(type, .init(codingPath: path, debugDescription: "Expected \(type) value but found null instead."))
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found another value."))
    }
}

/// An index in an array, as a coding key (`JSONDecoder` names it "Index N").
struct JSONIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct TreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw JSONTreeDecoding.mismatch([String: Any].self, value, at: codingPath) }
        return KeyedDecodingContainer(KeyedTreeContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw JSONTreeDecoding.mismatch([Any].self, value, at: codingPath) }
        return UnkeyedTreeContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleTreeContainer(value: value, codingPath: codingPath) }
}

private struct KeyedTreeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue).")
            )
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try member(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try JSONTreeDecoding.bool(member(key), at: codingPath + [key]) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try JSONTreeDecoding.string(member(key), at: codingPath + [key]) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try JSONTreeDecoding.double(member(key), at: codingPath + [key]) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try JSONTreeDecoding.float(member(key), at: codingPath + [key]) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONTreeDecoding.unbox(member(key), as: type, at: codingPath + [key])
    }

    private func integer<T: FixedWidthInteger>(_ type: T.Type, _ key: Key) throws -> T {
        try JSONTreeDecoding.integer(type, member(key), at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        TreeDecoder(value: members["super"] ?? .null, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedTreeContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The next element and its path; the index moves only once the element decoded (as `JSONDecoder`).
    private func next(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [JSONIndexKey(intValue: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "Unkeyed container is at end."))
        }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        let (value, _) = try next(Any?.self)
        guard case .null = value else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try take(type) { try JSONTreeDecoding.bool($0, at: $1) } }
    mutating func decode(_ type: String.Type) throws -> String { try take(type) { try JSONTreeDecoding.string($0, at: $1) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try take(type) { try JSONTreeDecoding.double($0, at: $1) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try take(type) { try JSONTreeDecoding.float($0, at: $1) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try take(type) { try JSONTreeDecoding.unbox($0, as: type, at: $1) }
    }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        try take(type) { try JSONTreeDecoding.integer(type, $0, at: $1) }
    }

    private mutating func take<T>(_ type: T.Type, _ read: (JSONValue, [any CodingKey]) throws -> T) throws -> T {
        let (value, path) = try next(type)
        let result = try read(value, path)
        currentIndex += 1
        return result
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try take(KeyedDecodingContainer<NestedKey>.self) { try TreeDecoder(value: $0, codingPath: $1).container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try take((any UnkeyedDecodingContainer).self) { try TreeDecoder(value: $0, codingPath: $1).unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder {
        try take((any Decoder).self) { TreeDecoder(value: $0, codingPath: $1) }
    }
}

private struct SingleTreeContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try JSONTreeDecoding.bool(value, at: codingPath) }
    func decode(_ type: String.Type) throws -> String { try JSONTreeDecoding.string(value, at: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try JSONTreeDecoding.double(value, at: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try JSONTreeDecoding.float(value, at: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONTreeDecoding.integer(type, value, at: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONTreeDecoding.integer(type, value, at: codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONTreeDecoding.unbox(value, as: type, at: codingPath) }
}
