import Foundation

/// Compact JSON (RFC 8259) written straight into a byte buffer, for the few responses that are sent at high
/// rates (a GNAP grant response). `JSONEncoder` builds a tree of boxed values before it writes anything, which
/// made encoding the response the largest single cost of a GNAP grant after the signatures.
///
/// Members are written in the order the caller gives; `/` is not escaped (like `.withoutEscapingSlashes`).
/// The output of a ``JSONOutputWritable`` type must decode to the same value as its `Encodable` output;
/// tests compare the two.
public struct JSONOutput: Sendable {
    /// A value JSON cannot represent (a non-finite number), or a fragment `JSONEncoder` refused.
    public struct Unrepresentable: Error, Sendable {
        public let reason: String
    }

    /// The JSON text so far.
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes `{`, the members `body` writes, and `}`.
    public mutating func object(_ body: (inout JSONOutput) throws(Unrepresentable) -> Void) throws(Unrepresentable) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes `[`, the elements `body` writes, and `]`.
    public mutating func array(_ body: (inout JSONOutput) throws(Unrepresentable) -> Void) throws(Unrepresentable) {
        separate()
        bytes.append(UInt8(ascii: "["))
        try body(&self)
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a member name; the value written next belongs to it.
    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    public mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes an integer already in its decimal form (any width, from ``SortedJSONEncoder``).
    package mutating func rawNumber(_ digits: String) {
        separate()
        bytes.append(contentsOf: digits.utf8)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A number as ``JSONValue`` encodes it: integral values below 10^15 as integers, others in Swift's
    /// shortest round-tripping form.
    public mutating func number(_ value: Double) throws(Unrepresentable) {
        guard value.isFinite else { throw Unrepresentable(reason: "a non-finite number") }
        separate()
        if value.rounded() == value, abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: "\(value)".utf8)
        }
    }

    public mutating func strings(_ values: [String]) throws(Unrepresentable) {
        try array { (out: inout JSONOutput) throws(Unrepresentable) in
            for value in values { out.string(value) }
        }
    }

    /// Writes any ``JSONValue``; object members in the dictionary's order.
    public mutating func value(_ value: JSONValue) throws(Unrepresentable) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): try self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            try array { (out: inout JSONOutput) throws(Unrepresentable) in
                for element in elements { try out.value(element) }
            }
        case .object(let members): try object(members)
        }
    }

    /// Writes a JSON object from a dictionary of ``JSONValue``s.
    public mutating func object(_ members: [String: JSONValue]) throws(Unrepresentable) {
        try object { (out: inout JSONOutput) throws(Unrepresentable) in
            for (name, member) in members {
                out.key(name)
                try out.value(member)
            }
        }
    }

    /// Writes a rarely sent part through `JSONEncoder`, so that only the hot parts need hand-written output.
    public mutating func encodable(_ value: some Encodable) throws(Unrepresentable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let fragment: Data
        do {
            fragment = try encoder.encode(value)
        } catch {
            throw Unrepresentable(reason: "\(type(of: value)) cannot be encoded")
        }
        separate()
        bytes.append(contentsOf: fragment)
    }

    // MARK: - Members (an absent optional writes nothing)

    /// Writes the member `name` with a string value, if any.
    public mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// Writes the member `name` with an integer value, if any.
    public mutating func member(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    /// Writes the member `name` with an array of strings, if any.
    public mutating func member(_ name: String, _ values: [String]?) throws(Unrepresentable) {
        guard let values else { return }
        key(name)
        try strings(values)
    }

    /// Writes the member `name` with an array of ``JSONValue``s, if any.
    public mutating func member(_ name: String, _ values: [JSONValue]?) throws(Unrepresentable) {
        guard let values else { return }
        key(name)
        try array { (out: inout JSONOutput) throws(Unrepresentable) in
            for value in values { try out.value(value) }
        }
    }

    /// Writes the member `name` with a value's hand-written JSON, if any.
    public mutating func member(_ name: String, _ value: (some JSONOutputWritable)?) throws(Unrepresentable) {
        guard let value else { return }
        key(name)
        try value.write(to: &self)
    }

    /// Writes the member `name` with an array of values' hand-written JSON, if any.
    public mutating func member(_ name: String, _ values: [some JSONOutputWritable]?) throws(Unrepresentable) {
        guard let values else { return }
        key(name)
        try array { (out: inout JSONOutput) throws(Unrepresentable) in
            for value in values { try value.write(to: &out) }
        }
    }

    /// Writes the member `name` through `JSONEncoder` (``encodable(_:)``), if any.
    public mutating func member(_ name: String, encoding value: (some Encodable)?) throws(Unrepresentable) {
        guard let value else { return }
        key(name)
        try encodable(value)
    }

    /// Writes the member `name` through ``SortedJSONEncoder`` (members sorted), if any: a rarely sent part of a
    /// hand-written value.
    package mutating func member(_ name: String, sorting value: (some Encodable)?) throws(Unrepresentable) {
        guard let value else { return }
        let fragment: [UInt8]
        do {
            fragment = try SortedJSONEncoder().encode(value)
        } catch {
            throw Unrepresentable(reason: "\(type(of: value)) cannot be encoded")
        }
        key(name)
        separate()
        bytes.append(contentsOf: fragment)
    }

    // MARK: - Private

    /// A comma before a member or element unless it is the first in its object or array (or after a name).
    private mutating func separate() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }

    /// A JSON string (RFC 8259 §7): `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes,
    /// everything else (including non-ASCII UTF-8) as is.
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = value.utf8
        let clean =
            utf8.withContiguousStorageIfAvailable { buffer in
                buffer.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            } ?? false
        if clean {
            bytes.append(contentsOf: utf8)
        } else {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0..<0x20:
                    let digits = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        digits[Int(byte >> 4)], digits[Int(byte & 0x0F)],
                    ])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A type with a hand-written JSON form equal in meaning to its `Encodable` output.
public protocol JSONOutputWritable {
    func write(to out: inout JSONOutput) throws(JSONOutput.Unrepresentable)
}

extension JSONOutputWritable {
    /// The compact JSON text of this value.
    public func jsonBytes() throws(JSONOutput.Unrepresentable) -> [UInt8] {
        var out = JSONOutput()
        try write(to: &out)
        return out.bytes
    }
}
