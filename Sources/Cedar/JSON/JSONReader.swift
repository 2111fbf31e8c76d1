/// A strict JSON reader over UTF-8 bytes: rejects duplicate keys, trailing data and nesting
/// deeper than ``maxDepth``.
struct JSONReader {
    static let maxDepth = 256

    let bytes: [UInt8]
    var i = 0
    var depth = 0

    struct Failure: Error {
        var message: String
    }

    static func parse(_ text: String) -> Result<JSONValue, Failure> {
        parse(bytes: Array(text.utf8))
    }

    static func parse(bytes: [UInt8]) -> Result<JSONValue, Failure> {
        var reader = JSONReader(bytes: bytes)
        do throws(Failure) {
            reader.skipSpace()
            let v = try reader.value()
            reader.skipSpace()
            guard reader.i == reader.bytes.count else { throw reader.fail("unexpected data after the JSON value") }
            return .success(v)
        } catch {
            return .failure(error)
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> Failure { Failure(message: "invalid JSON at byte \(i): \(message)") }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws(Failure) -> JSONValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("invalid literal") }
        i += w.count
        return v
    }

    // `object()` and `array()` recurse through `value()` once per level: in a debug build a function
    // reserves stack for the locals of all its branches, so each kind has a function of its own.

    private mutating func object() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nesting too deep") }
        i += 1
        var members: [JSONMember] = []
        var seen: Set<CedarString> = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object([])
        }
        while true {
            let key = try memberKey(members, &seen)
            members.append(JSONMember(key: key, value: try value()))
            guard try moreMembers(closing: "}") else { return .object(members) }
        }
    }

    /// A member's key and the `:` after it; refuses a duplicate key.
    private mutating func memberKey(_ members: [JSONMember], _ seen: inout Set<CedarString>) throws(Failure) -> String {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try string()
        let k = CedarString(key)
        if members.count < 8 {
            if members.contains(where: { CedarString($0.key) == k }) { throw fail("duplicate key `\(key)`") }
        } else {
            if seen.isEmpty { seen = Set(members.map { CedarString($0.key) }) }
            guard seen.insert(k).inserted else { throw fail("duplicate key `\(key)`") }
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected `:`") }
        i += 1
        skipSpace()
        return key
    }

    /// After a member or element: `true` after a `,`, `false` after the closing bracket.
    mutating func moreMembers(closing: Unicode.Scalar) throws(Failure) -> Bool {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input") }
        if bytes[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        guard bytes[i] == UInt8(ascii: closing) else { throw fail("expected `,` or `\(closing)`") }
        i += 1
        return false
    }

    private mutating func array() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nesting too deep") }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array([])
        }
        while true {
            skipSpace()
            items.append(try value())
            guard try moreMembers(closing: "]") else { return .array(items) }
        }
    }

    mutating func value() throws(Failure) -> JSONValue {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
            guard i > digitsStart else { throw fail("unexpected character") }
            while i < bytes.count, (48...57).contains(bytes[i]) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(bytes[i]) { i += 1 }
            return .number(String(decoding: bytes[start..<i], as: UTF8.self))
        }
    }

    mutating func string() throws(Failure) -> String {
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
            guard bytes[i] >= 0x20 else { throw fail("control character in string") }
            i += 1
        }
        guard i < bytes.count else { throw fail("unterminated string") }
        if bytes[i] == UInt8(ascii: "\"") {
            i += 1
            return String(decoding: bytes[start..<(i - 1)], as: UTF8.self)
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { throw fail("unterminated string") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw fail("unpaired surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid escape") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw fail("invalid \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
