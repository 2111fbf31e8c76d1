import TesseraProtocol
import Testing

/// The one-pass parser (issue 22) against the parser it replaced, kept here as the reference: the same parameters,
/// or an error with the same code, for random bodies built from the characters that matter to the grammar.
@Suite struct FormParametersDifferentialTests {
    /// The previous implementation, verbatim apart from names: split on `&` then on the first `=`, decode each part.
    /// One rule changed since, in both: a name repeated after an empty first value is a repeat too (review round 11, J7).
    static func reference(_ body: [UInt8], repeatable: Set<String>) -> Result<[String: [String]], OAuthError> {
        var values: [String: [String]] = [:]
        var empty = Set<String>()
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name: String
            let value: String
            do {
                name = try decode(parts[0])
                value = parts.count > 1 ? try decode(parts[1]) : ""
            } catch {
                return .failure(error)
            }
            guard !name.isEmpty else { return .failure(OAuthError.invalidRequest("no name")) }
            if values[name] != nil || empty.contains(name), !repeatable.contains(name) {
                return .failure(OAuthError.invalidRequest("repeated"))
            }
            if value.isEmpty {
                empty.insert(name)
                continue
            }
            values[name, default: []].append(value)
        }
        return .success(values)
    }

    /// The previous component decoder: `+` is a space, `%XX` a byte, the result must be UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(OAuthError) -> String {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else {
                    throw OAuthError.invalidRequest("bad escape")
                }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        guard let string = String(validating: out, as: UTF8.self) else { throw OAuthError.invalidRequest("not UTF-8") }
        return string
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Bytes chosen to hit every branch: separators, escapes (valid, truncated, bad hex), `+`, UTF-8 and invalid UTF-8.
    static let alphabet: [[UInt8]] = [
        Array("a".utf8), Array("b".utf8), Array("resource".utf8), Array("=".utf8), Array("&".utf8), Array("+".utf8),
        Array("%".utf8), Array("%2".utf8), Array("%41".utf8), Array("%zz".utf8), Array("%C3%A9".utf8), Array("é".utf8),
        [0xC3], [0xFF], Array("%FF".utf8), Array("%26".utf8), Array("%3D".utf8),
    ]

    @Test func agreesWithThePreviousParserOnRandomBodies() throws {
        var generator = SystemRandomNumberGenerator()
        let repeatable: Set<String> = ["resource", "audience"]
        for _ in 0..<20_000 {
            var body: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                body += Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &generator)]
            }
            let expected = Self.reference(body, repeatable: repeatable)
            let actual = Result { () throws(OAuthError) -> FormParameters in try FormParameters(parsing: body, repeatable: repeatable) }
            switch (expected, actual) {
            case (.success(let values), .success(let form)):
                #expect(form.names == Set(values.keys), "\(body)")
                for (name, list) in values { #expect(form.all(name) == list, "\(body)") }
            case (.failure(let a), .failure(let b)):
                #expect(a.code == b.code, "\(body)")
            default:
                Issue.record("disagreement on \(body): reference \(expected), new \(actual)")
            }
        }
    }
}
