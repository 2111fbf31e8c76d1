import TesseraProtocol
import Testing

@Suite struct FormParametersTests {
    @Test func decodesPercentEscapesAndPlus() throws {
        let form = try FormParameters(parsing: Array("grant_type=client_credentials&scope=read+write&x=%C3%A9%2B".utf8))
        #expect(form["grant_type"] == "client_credentials")
        #expect(form["scope"] == "read write")
        #expect(form["x"] == "é+")
    }

    @Test func rejectsRepeatedParameter() {
        #expect(throws: OAuthError.invalidRequest("")) {
            try FormParameters(parsing: Array("scope=a&scope=b".utf8))
        }
    }

    @Test func allowsRepeatedResource() throws {
        let form = try FormParameters(parsing: Array("resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb".utf8))
        #expect(form.all("resource") == ["https://a", "https://b"])
    }

    @Test func emptyValueCountsAsAbsent() throws {
        let form = try FormParameters(parsing: Array("scope=&grant_type=x".utf8))
        #expect(form["scope"] == nil)
        #expect(throws: OAuthError.invalidRequest("")) { try form.require("scope") }
    }

    @Test(arguments: ["a=%", "a=%4", "a=%zz", "a=%FF", "=x"])
    func rejectsMalformedEncoding(_ body: String) {
        #expect(throws: OAuthError.invalidRequest("")) { try FormParameters(parsing: Array(body.utf8)) }
    }

    @Test func rejectsOversizedBody() {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: FormParameters.maximumBodySize + 1)
        #expect(throws: OAuthError.invalidRequest("")) { try FormParameters(parsing: body) }
    }

    @Test func encodeThenParseRoundTrips() throws {
        let original = FormParameters([("a", "x y&z=é"), ("b", "~_-.")])
        let parsed = try FormParameters(parsing: Array(original.encoded.utf8))
        #expect(parsed == original)
    }
}
