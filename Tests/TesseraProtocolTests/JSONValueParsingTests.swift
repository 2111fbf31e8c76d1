import Foundation
import TesseraProtocol
import Testing

/// `JSONValue.parseObject` (issue 22: the JWT claims parser) against `JSONDecoder`, which parsed the claims before: the
/// same members, or a refusal from both, on generated documents and on documents built from the tokens that matter to
/// the grammar (escapes, surrogates, numbers, nesting, invalid UTF-8). One difference on purpose: a member name repeated
/// in one object is refused, where `JSONDecoder` kept the first value (RFC 7515 §5.2, RFC 7519 §4: refuse or keep the
/// last); the soup compares the `keepFirst` mode with `JSONDecoder` and checks that refusing is the only difference.
/// Also stricter: a number with a leading zero (`01`, which `JSONDecoder` reads as 1) and a trailing comma (`{"a":1,}`,
/// which it accepts) are refused (RFC 8259 §6, §4).
@Suite struct JSONValueParsingTests {
    static func reference(_ data: Data) -> [String: JSONValue]? {
        try? JSONDecoder().decode([String: JSONValue].self, from: data)
    }

    static func randomValue(depth: Int, _ generator: inout some RandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2:
            let choices: [Double] = [0, -1, 1_700_000_000, 3.25, -0.5, 1e-7, 12_345_678_901_234, Double(Int32.max), 2.5e10]
            return .number(choices[Int.random(in: 0..<choices.count, using: &generator)])
        case 3:
            let pieces = ["a", "é", "\"", "\\", "/", "\n", "\u{1}", "😀", "https://as.example/", " ", "\u{2028}", "x y"]
            return .string(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            )
        case 4:
            return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(depth: depth + 1, &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                members["k\(index)\(["", "é", "\"", "😀"].randomElement(using: &generator) ?? "")"] = randomValue(
                    depth: depth + 1,
                    &generator
                )
            }
            return .object(members)
        }
    }

    @Test func agreesWithJSONDecoderOnGeneratedObjects() throws {
        var generator = SystemRandomNumberGenerator()
        let encoder = JSONEncoder()
        for _ in 0..<5_000 {
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0...6, using: &generator) { members["m\(index)"] = Self.randomValue(depth: 0, &generator) }
            let data = try encoder.encode(members)
            let parsed = JSONValue.parseObject(data)
            #expect(parsed == Self.reference(data), "\(String(decoding: data, as: UTF8.self))")
            #expect(parsed == members)
        }
    }

    /// Whether an object in `text` (a document `JSONDecoder` accepted) names a member twice, compared as written.
    static func repeatsAName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var objects: [Set<String>] = []
        var index = 0
        while index < scalars.count {
            switch scalars[index] {
            case "{": objects.append([])
            case "}": _ = objects.popLast()
            case "\"":
                var end = index + 1
                var name = ""
                while end < scalars.count, scalars[end] != "\"" {
                    if scalars[end] == "\\", end + 1 < scalars.count {
                        name.unicodeScalars.append(scalars[end])
                        end += 1
                    }
                    name.unicodeScalars.append(scalars[end])
                    end += 1
                }
                var next = end + 1
                while next < scalars.count, [" ", "\n", "\t", "\r"].contains(scalars[next]) { next += 1 }
                if next < scalars.count, scalars[next] == ":", !objects.isEmpty {
                    if objects[objects.count - 1].contains(name) { return true }
                    objects[objects.count - 1].insert(name)
                }
                index = end
            default: break
            }
            index += 1
        }
        return false
    }

    /// Fragments chosen to hit every branch of the grammar, valid and not. Numbers no `Double` holds and unpaired
    /// surrogates are in ``refusesWhatIsNotAJSONObject()`` instead: `JSONDecoder` checks them only in values it reads,
    /// not in the repeated names it skips.
    static let fragments: [String] = [
        "{", "}", "[", "]", ",", ":", "\"", "\"a\"", "\"k\":", " ", "\n", "\t", "1", "-", "0", "-0", "1.5", "1.", ".5",
        "1e3", "1E+3", "1e", "2.5e-3", "true", "false", "null", "tru", "nul", "\\", "\\\"", "\\u00e9", "\\ud83d\\ude00",
        "\\u12", "\\x", "\\n", "\\/", "é", "\u{7}", "NaN", "+1", "{\"a\":1}", "[1,2]", "\"a\":\"b\"",
        "\"a\":1,\"a\":2",
    ]

    @Test func agreesWithJSONDecoderOnFragmentSoup() {
        var generator = SystemRandomNumberGenerator()
        var agreed = 0
        var refusedForRepetition = 0
        for _ in 0..<30_000 {
            var text = "{"
            for _ in 0..<Int.random(in: 0...8, using: &generator) { text += Self.fragments.randomElement(using: &generator) ?? "" }
            if Bool.random(using: &generator) { text += "}" }
            var data = Data(text.utf8)
            if Int.random(in: 0..<20, using: &generator) == 0 {
                data.insert([0xFF, 0xC3, 0x80][Int.random(in: 0...2, using: &generator)], at: 1)
            }
            let keepingFirst = JSONValue.parse(data, repeatedNames: .keepFirst).flatMap { value -> [String: JSONValue]? in
                guard case .object(let members) = value else { return nil }
                return members
            }
            let expected = Self.reference(data)
            // `JSONDecoder` also reads a trailing comma (`{"a":1,}`), which RFC 8259 §4 does not allow, and never checks
            // the value of a repeated name it skips (`{"a":1,"a":2+1}`): both refused here.
            let trailingComma = text.range(of: #",[ \n\t]*[}\]]"#, options: .regularExpression) != nil
            if keepingFirst == nil, expected != nil, trailingComma || Self.repeatsAName(text) {
                agreed += 1
                continue
            }
            #expect(keepingFirst == expected, "\(text)")
            if keepingFirst == expected { agreed += 1 }
            // Refusing repeated names changes nothing else: the same members, or a refusal.
            let parsed = JSONValue.parseObject(data)
            if parsed != nil { #expect(parsed == expected, "\(text)") }
            if parsed == nil, expected != nil { refusedForRepetition += 1 }
        }
        #expect(agreed == 30_000)
        #expect(refusedForRepetition > 0, "the soup repeats names, and those documents are refused")
    }

    /// RFC 7515 §5.2 / RFC 7519 §4: a repeated claim name is refused, at any depth (`JSONDecoder` kept the first).
    @Test func aRepeatedMemberNameIsRefused() {
        for text in [#"{"sub":"alice","sub":"mallory"}"#, #"{"act":{"sub":"a","sub":"b"}}"#, #"[{"type":"x","type":"y"}]"#] {
            #expect(JSONValue.parse(Data(text.utf8)) == nil, "\(text)")
        }
        #expect(
            JSONValue.parse(Data(#"{"sub":"alice","sub":"mallory"}"#.utf8), repeatedNames: .keepFirst) == .object(["sub": .string("alice")])
        )
    }

    /// Any top-level value (`authorization_details` is an array), against `JSONDecoder` decoding a `JSONValue`.
    @Test func agreesWithJSONDecoderOnAnyValue() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var text = ["[", "{", "", " "].randomElement(using: &generator) ?? ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) { text += Self.fragments.randomElement(using: &generator) ?? "" }
            let data = Data(text.utf8)
            let parsed = JSONValue.parse(data, repeatedNames: .keepFirst)
            let expected = try? JSONDecoder().decode(JSONValue.self, from: data)
            if parsed == nil, expected != nil,
                text.range(of: #",[ \n\t]*[}\]]"#, options: .regularExpression) != nil || Self.repeatsAName(text)
            {
                continue
            }
            #expect(parsed == expected, "\(text)")
        }
    }

    @Test func refusesWhatIsNotAJSONObject() {
        for text in [
            "", "[]", "1", "\"a\"", "{} {}", "{\"a\"}", "{'a':1}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\ude00\"}",
            "{\"a\":\"\\ud83d x\"}", "{\"a\":1e400}", "{\"a\":[-1e999]}",
        ] {
            #expect(JSONValue.parseObject(Data(text.utf8)) == nil, "\(text)")
            #expect(Self.reference(Data(text.utf8)) == nil, "\(text)")
        }
        // Stricter than `JSONDecoder`, which reads `01` as 1 and accepts a trailing comma: RFC 8259 §4 and §6 do not.
        for text in ["{\"a\":01}", "{\"a\":-012.5}", "{\"a\":1,}", "{\"a\":[1,]}"] {
            #expect(JSONValue.parseObject(Data(text.utf8)) == nil, "\(text)")
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(JSONValue.parseObject(Data("{\"a\":\(deep)}".utf8)) == nil)
    }

    @Test func readsTheClaimsOfAGrant() {
        let claims =
            #"{"iss":"https://peer.example","sub":"alice","aud":["https://as.example"],"exp":1700000300,"iat":1700000000,"jti":"j-1","act":{"sub":"agent"},"scope":"read write"}"#
        let parsed = JSONValue.parseObject(Data(claims.utf8))
        #expect(parsed?["exp"] == .number(1_700_000_300))
        #expect(parsed?["aud"] == .array([.string("https://as.example")]))
        #expect(parsed?["act"] == .object(["sub": .string("agent")]))
        #expect(parsed == Self.reference(Data(claims.utf8)))
    }
}
