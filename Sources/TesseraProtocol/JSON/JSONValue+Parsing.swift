public import Foundation

extension JSONValue {
    /// The deepest nesting of arrays and objects accepted.
    static let maximumParsingDepth = 512

    /// Parses a JSON object (RFC 8259) from UTF-8 bytes, as `JSONDecoder` decodes `[String: JSONValue]` (numbers as
    /// `Double`, a number no `Double` holds refused), except that **a member name repeated in one object is refused**:
    /// `JSONDecoder` silently kept the first value, where RFC 7515 §5.2 and RFC 7519 §4 allow only a refusal or the
    /// last value — two readers of one JWT must not see two different claims. Invalid UTF-8, unpaired surrogate
    /// escapes, control characters in strings, trailing data and nesting deeper than 512 are refused too.
    ///
    /// Written for the JWT claims of every redeemed grant and exchanged token (issue 22): `JSONDecoder` spent most of
    /// its time throwing and catching the failed attempts of ``init(from:)`` (a number is tried as a string and a
    /// boolean first). `JSONParsingTests` compares the two on generated and mutated documents.
    /// - Parameter data: The document.
    /// - Returns: The object's members, or `nil` when the document is not a JSON object.
    public static func parseObject(_ data: Data) -> [String: JSONValue]? {
        guard case .object(let members)? = parse(data) else { return nil }
        return members
    }

    /// Parses any JSON value (RFC 8259), by the rules of ``parseObject(_:)``, as `JSONDecoder` decodes a `JSONValue`.
    /// - Parameter data: The document.
    /// - Returns: The value, or `nil` when the document is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        parse(data, repeatedNames: .refuse)
    }

    /// ``parse(_:)`` that also says whether every string in the document, member names included, is pure ASCII
    /// after unescaping: a caller holding text to Unicode Normalization Form C (``UnicodeNFC``) then skips the walk
    /// for the common document, at no cost beyond the parse (issue 22's hot path).
    /// - Parameters:
    ///   - data: The document.
    ///   - asciiText: Set to `true` when no string holds a scalar beyond U+007F, else `false`.
    /// - Returns: The value, or `nil` when the document is not JSON.
    package static func parse(_ data: Data, asciiText: inout Bool) -> JSONValue? {
        let (value, nonASCII) = data.withUnsafeBytes { raw in
            var parser = JSONBytesParser(bytes: raw.bindMemory(to: UInt8.self), keepFirstRepeatedName: false)
            return (parser.document(), parser.nonASCII)
        }
        asciiText = nonASCII & 0x80 == 0
        return value
    }

    /// What the parser does with a member name repeated in one object.
    package enum RepeatedNames: Sendable {
        /// The document is refused (what every caller gets).
        case refuse
        /// The first value is kept, as `JSONDecoder` does (for the differential tests only).
        case keepFirst
    }

    /// ``parse(_:)`` with a choice for repeated member names.
    /// - Parameters:
    ///   - data: The document.
    ///   - repeatedNames: Refuse the document, or keep the first value.
    /// - Returns: The value, or `nil` when the document is not JSON (or repeats a name, when refused).
    package static func parse(_ data: Data, repeatedNames: RepeatedNames) -> JSONValue? {
        data.withUnsafeBytes { raw in
            var parser = JSONBytesParser(bytes: raw.bindMemory(to: UInt8.self), keepFirstRepeatedName: repeatedNames == .keepFirst)
            return parser.document()
        }
    }
}

/// A strict recursive-descent JSON reader over bytes (RFC 8259 §2–7); `nil` means "not JSON".
private struct JSONBytesParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let keepFirstRepeatedName: Bool
    var position = 0
    var depth = 0
    /// Every byte of every string (and 0x80 for a `\u` escape beyond ASCII), or-ed: bit 7 set means non-ASCII text.
    var nonASCII: UInt8 = 0

    init(bytes: UnsafeBufferPointer<UInt8>, keepFirstRepeatedName: Bool) {
        self.bytes = bytes
        self.keepFirstRepeatedName = keepFirstRepeatedName
    }

    mutating func document() -> JSONValue? {
        skipWhitespace()
        guard let value = value() else { return nil }
        skipWhitespace()
        return position == bytes.count ? value : nil
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value() -> JSONValue? {
        switch current {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case .some(let byte) where byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39): return number()
        default: return nil
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { return nil }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return nil }
        position += count
        return value
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONValue.maximumParsingDepth else { return nil }
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let name = string() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            position += 1
            skipWhitespace()
            guard let member = value() else { return nil }
            if members[name] == nil {
                members[name] = member
            } else if !keepFirstRepeatedName {
                return nil
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONValue.maximumParsingDepth else { return nil }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            guard let item = value() else { return nil }
            items.append(item)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(items)
            default: return nil
            }
        }
    }

    /// A string at `position` (on its opening quote); escapes decoded, UTF-8 validated.
    private mutating func string() -> String? {
        position += 1
        let start = position
        // The common case: no escape, so the bytes between the quotes are the string.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { return nil }
            nonASCII |= byte
            position += 1
        }
        guard position < bytes.count else { return nil }
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(validating: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard let escaped = current else { return nil }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    if !scalar.isASCII { nonASCII |= 0x80 }
                    decoded.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                nonASCII |= byte
                decoded.append(byte)
                position += 1
            }
        }
        return nil
    }

    /// The scalar of a `\uXXXX` escape (after the `u`), joining a surrogate pair; `nil` for an unpaired surrogate.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hexQuad() else { return nil }
        switch high {
        case 0xD800...0xDBFF:
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                return nil
            }
            position += 2
            guard let low = hexQuad(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(high)
        }
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - position >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// A number per RFC 8259 §6 (no leading zeros, no `+`, digits on both sides of a point), as a finite `Double`.
    private mutating func number() -> JSONValue? {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, first >= 0x30, first <= 0x39 else { return nil }
        position += 1
        if first != 0x30 { skipDigits() }
        if current == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return .number(value)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
        return position - start
    }
}
