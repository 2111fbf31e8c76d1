import Foundation
import Testing

@testable import HTTPMessageSignatures

/// The strict Structured Field parser and serializer (RFC 9651) as RFC 9421 uses them.
@Suite struct StructuredFieldTests {
    static func roundTripDictionary(_ input: String) throws -> String {
        var parser = StructuredFieldParser(input)
        let entries = try parser.parseDictionary()
        var out: [UInt8] = []
        try StructuredFieldSerializer.serializeDictionary(entries, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        (#"sig1=("@method" "@path");created=1;keyid="k""#, #"sig1=("@method" "@path");created=1;keyid="k""#),
        ("  a=1 ,\tb=?0, c ,d=(1  2);x", "a=1, b=?0, c, d=(1 2);x"),
        (#"a=();x=?1"#, "a=();x"),
        (#"a=1.50, b=-0.001, c=:AQID:"#, "a=1.5, b=-0.001, c=:AQID:"),
        (#"a="q\"uo\\te", b=tok/en:x"#, #"a="q\"uo\\te", b=tok/en:x"#),
        (#"a=@1659578233, b=%"f%c3%bc""#, #"a=@1659578233, b=%"f%c3%bc""#),
        (#"a=:AQI:"#, "a=:AQI=:"),
    ])
    func validDictionariesRoundTrip(input: String, expected: String) throws {
        #expect(try Self.roundTripDictionary(input) == expected)
    }

    @Test(arguments: [
        "Sig1=()", "a=(", "a=(1", #"a="unterminated"#, #"a="bad\escape""#, "a=1,", "a=1,,b=2", "a=:not base64!:",
        "a=1234567890123456", "a=1.2345", "a=?2", "a=1 b=2", "=1", "a=\"\u{7F}\"", "a=\"é\"", "a=(1)(2)", "a=1;", "a=1;B=2",
        "a=1.", "a=-", "a=%x", "a=(\"a\"\"b\")", "a=1, a=2",
    ])
    func malformedDictionariesAreRejected(input: String) {
        var parser = StructuredFieldParser(input)
        #expect(throws: StructuredFieldParser.ParseFailure.self) { try parser.parseDictionary() }
    }

    @Test func duplicateKeysMayFollowLastWinsWhenAllowed() throws {
        var parser = StructuredFieldParser("a=1, b=2, a=3")
        let entries = try parser.parseDictionary(allowDuplicateKeys: true)
        #expect(entries.map(\.key) == ["b", "a"])
        #expect(entries.last?.member == .item(StructuredFieldItem(.integer(3))))
    }

    @Test func parameterOrderIsPreserved() throws {
        var parser = StructuredFieldParser(#"x=("a";z;y="1";b);k=2;a=1"#)
        let entries = try parser.parseDictionary()
        guard case .innerList(let items, let parameters) = entries[0].member else {
            Issue.record("not an inner list")
            return
        }
        #expect(items[0].parameters.map(\.key) == ["z", "y", "b"])
        #expect(parameters.map(\.key) == ["k", "a"])
    }

    @Test func base64IsStrict() {
        #expect(Base64.decode("AQID") == [1, 2, 3])
        #expect(Base64.decode("AQI=") == [1, 2])
        #expect(Base64.decode("AQI") == [1, 2])
        #expect(Base64.decode("AQ=I") == nil)
        #expect(Base64.decode("A") == nil)
        #expect(Base64.decode("AQJ=") == nil)  // non-zero trailing bits
        #expect(Base64.decodeURL("-_8") == [0xFB, 0xFF])
    }

    @Test func randomInputNeverCrashes() {
        var generator = SeededGenerator(seed: 9421)
        let alphabet = Array(#"sig1=("@method" ;created=1 keyid="k":AQID:?1*-.,()\ "#.utf8) + [0x00, 0x7F, 0xC3, 0x09]
        for _ in 0..<5000 {
            let length = Int.random(in: 0..<48, using: &generator)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            var parser = StructuredFieldParser(bytes)
            _ = try? parser.parseDictionary()
            var list = StructuredFieldParser(bytes)
            _ = try? list.parseList()
            var item = StructuredFieldParser(bytes)
            _ = try? item.parseItem()
        }
    }
}

/// SplitMix64, for reproducible fuzzing.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
