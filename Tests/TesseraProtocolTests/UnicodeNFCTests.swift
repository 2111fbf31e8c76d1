import Foundation
import Testing

@testable import TesseraProtocol

/// The NFC rule's checks (``UnicodeNFC``) and the parser's ASCII flag that lets a caller skip them.
@Suite struct UnicodeNFCTests {
    @Test(arguments: [
        (#"{"type":"KYC","actions":["read"]}"#, true),
        (#"{"type":"\u004BYC"}"#, true),
        (#"{"type":"\u212AYC"}"#, false),
        ("{\"type\":\"\u{212A}YC\"}", false),
        ("{\"K\u{212B}\":1}", false),
        (#"{"type":"Cr\u00e9dit"}"#, false),
        (#"{"path":"C:\\u"}"#, true),
    ])
    func theParserSaysWhetherEveryStringIsASCII(_ text: String, _ ascii: Bool) throws {
        var asciiText = !ascii
        let value = try #require(JSONValue.parse(Data(text.utf8), asciiText: &asciiText))
        #expect(asciiText == ascii)
        #expect(value == JSONValue.parse(Data(text.utf8)), "the same value as parse(_:)")
    }

    @Test func normalizationFormCIsTheRule() {
        #expect(UnicodeNFC.isNormalized("KYC"))
        #expect(UnicodeNFC.isNormalized("Cr\u{E9}dit"))
        #expect(!UnicodeNFC.isNormalized("\u{212A}YC"))
        #expect(!UnicodeNFC.isNormalized("Cre\u{301}dit"))
        #expect(!UnicodeNFC.isNormalized(JSONValue.object(["ok": .array([.string("fine"), .string("Cre\u{301}dit")])])))
        #expect(!UnicodeNFC.isNormalized(JSONValue.object(["Cre\u{301}dit": .null])))
        #expect(UnicodeNFC.isNormalized(JSONValue.object(["Cr\u{E9}dit": .array([.number(1), .bool(true)])])))
        // Swift calls them equal; the protocols do not.
        #expect("\u{212A}YC" == "KYC")
        #expect(!UnicodeNFC.identical("\u{212A}YC", "KYC"))
        #expect(UnicodeNFC.identical("KYC", "KYC"))
    }
}
