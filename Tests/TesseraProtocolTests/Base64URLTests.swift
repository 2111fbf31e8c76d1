import Foundation
import Testing

@testable import TesseraProtocol

@Suite struct Base64URLTests {
    /// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Data(plain.utf8))
    }

    @Test func roundTripsEveryByteAndLength() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + length) & 0xFF) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
            #expect(Base64URL.decode(encoded) == Data(bytes))
            #expect(
                encoded
                    == Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            )
        }
    }

    @Test(arguments: ["Zg==", "Z", "Zm9v!", "Zm 9v", "Zh", "Zm9"])
    func rejectsPaddingBadCharactersAndNonCanonicalTails(_ input: String) {
        // "Zh" and "Zm9" carry non-zero bits after the last byte: no encoder produces them.
        #expect(Base64URL.decode(input) == nil)
    }
}
