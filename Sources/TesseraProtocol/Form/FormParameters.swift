/// A strictly parsed `application/x-www-form-urlencoded` body (RFC 6749 §3.2, Appendix B).
///
/// Strict where OAuth asks for it: a parameter sent twice is rejected (RFC 6749 §3.2 "Request
/// and response parameters MUST NOT be included more than once"), except the parameters
/// listed as repeatable (`resource`, RFC 8707 §2; `audience`, RFC 8693 §2.1). An empty value counts as absent.
/// Every name and value (but ``valuesCheckedElsewhere``) must be in Unicode Normalization Form C (``UnicodeNFC``):
/// the server compares them as exact strings, and Swift's `==` would call a canonically equivalent spelling equal.
public struct FormParameters: Sendable, Hashable {
    /// The largest body accepted, in bytes.
    public static let maximumBodySize = 64 * 1024

    /// The parameters whose values the form reader does not hold to Unicode Normalization Form C (``UnicodeNFC``):
    /// secrets, only ever hashed or compared as bytes (a password typed in another form fails the password check,
    /// as before), and `authorization_details`, whose JSON reader checks every string after unescaping and answers
    /// `invalid_authorization_details` (RFC 9396 §5).
    static let valuesCheckedElsewhere: Set<String> = ["password", "client_secret", "authorization_details"]

    private var values: [String: [String]]

    /// Parses a form body.
    /// - Parameters:
    ///   - body: the `application/x-www-form-urlencoded` bytes.
    ///   - repeatable: the names that may occur more than once.
    /// - Throws: ``OAuthError`` `invalid_request` for a repeated parameter, bad percent-encoding, text not in NFC or an
    ///   oversized body.
    public init(parsing body: some Collection<UInt8>, repeatable: Set<String> = ["resource", "audience"]) throws(OAuthError) {
        guard body.count <= Self.maximumBodySize else {
            throw OAuthError.invalidRequest("request body is larger than \(Self.maximumBodySize) bytes")
        }
        // One pass over contiguous bytes (issue 22): the generic walk over a `ByteBufferView` from another module
        // cost a witness-table call per byte, about 4 % of a token request.
        let parsed =
            body.withContiguousStorageIfAvailable { Self.parse($0, repeatable: repeatable) }
            ?? Array(body).withUnsafeBufferPointer { Self.parse($0, repeatable: repeatable) }
        values = try parsed.get()
    }

    private static func parse(_ body: UnsafeBufferPointer<UInt8>, repeatable: Set<String>) -> Result<[String: [String]], OAuthError> {
        var values: [String: [String]] = [:]
        // Names sent with an empty value: absent for the reader, yet a second occurrence is a repeat all the same
        // (`scope=&scope=write` read as "no scope" by a front end taking the first; review round 11, J7).
        var empty = Set<String>()
        var start = 0
        while start <= body.count {
            var end = start
            while end < body.count, body[end] != UInt8(ascii: "&") { end += 1 }
            defer { start = end + 1 }
            guard end > start else { continue }
            var equals = start
            while equals < end, body[equals] != UInt8(ascii: "=") { equals += 1 }
            let name: String
            let value: String
            do {
                name = try decode(UnsafeBufferPointer(rebasing: body[start..<equals]))
                value = equals < end ? try decode(UnsafeBufferPointer(rebasing: body[(equals + 1)..<end])) : ""
            } catch {
                return .failure(error)
            }
            guard !name.isEmpty else { return .failure(OAuthError.invalidRequest("form body has a parameter without a name")) }
            guard UnicodeNFC.isNormalized(name), valuesCheckedElsewhere.contains(name) || UnicodeNFC.isNormalized(value) else {
                return .failure(OAuthError.invalidRequest("parameter '\(Self.printable(name))' \(UnicodeNFC.rule)"))
            }
            if values[name] != nil || empty.contains(name), !repeatable.contains(name) {
                return .failure(OAuthError.invalidRequest("parameter '\(Self.printable(name))' is included more than once"))
            }
            if value.isEmpty {
                empty.insert(name)
                continue
            }
            values[name, default: []].append(value)
        }
        return .success(values)
    }

    /// Builds parameters from pairs (for clients and tests).
    public init(_ pairs: [(String, String)]) {
        var values: [String: [String]] = [:]
        for (name, value) in pairs where !value.isEmpty { values[name, default: []].append(value) }
        self.values = values
    }

    /// The single value of a parameter, or `nil` when absent or empty.
    public subscript(name: String) -> String? { values[name]?.first }

    /// Every value of a repeatable parameter.
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    /// The value of a required parameter.
    /// - Throws: ``OAuthError`` `invalid_request` naming the missing parameter.
    public func require(_ name: String) throws(OAuthError) -> String {
        guard let value = self[name] else { throw OAuthError.invalidRequest("missing required parameter '\(name)'") }
        return value
    }

    public var names: Set<String> { Set(values.keys) }

    /// The encoded body, parameters in name order.
    public var encoded: String {
        values.keys.sorted().flatMap { name in
            values[name, default: []].map { "\(Self.encode(name))=\(Self.encode($0))" }
        }.joined(separator: "&")
    }

    /// Percent-encodes with the form rules (space as `+`, unreserved characters kept).
    public static func encode(_ string: String) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out.append("%")
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
        }
        return out
    }

    /// Decodes one form-urlencoded component (as in the Basic credentials of RFC 6749 §2.3.1).
    public static func decodeComponent(_ string: String) throws(OAuthError) -> String { try decode(Array(string.utf8)) }

    /// Decodes one name or value: `+` is a space, `%XX` a byte; the result must be UTF-8.
    static func decode(_ bytes: some Collection<UInt8>) throws(OAuthError) -> String {
        if !bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) {
            // Nothing to unescape (most names and values): validate the bytes as they are.
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw OAuthError.invalidRequest("form body is not valid UTF-8")
            }
            return string
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                let high = bytes.index(after: index)
                guard high != bytes.endIndex else { throw OAuthError.invalidRequest("form body has a truncated percent-escape") }
                let low = bytes.index(after: high)
                guard low != bytes.endIndex, let h = hexValue(bytes[high]), let l = hexValue(bytes[low]) else {
                    throw OAuthError.invalidRequest("form body has an invalid percent-escape")
                }
                out.append(h << 4 | l)
                index = low
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        guard let string = String(validating: out, as: UTF8.self) else {
            throw OAuthError.invalidRequest("form body is not valid UTF-8")
        }
        return string
    }

    /// A parameter value made safe to echo in an error description: printable ASCII, at most 64 characters.
    public static func printableValue(_ value: String) -> String { printable(value) }

    /// A parameter name made safe to echo in an error description.
    static func printable(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "'" }.prefix(64))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> Character {
        Character(Unicode.Scalar(value < 10 ? value + 48 : value + 55))
    }
}
