import Foundation
import HTTPMessageSignatures
import HTTPTypes
import Testing

/// Building messages from swift-http-types and parsing component identifiers.
@Suite struct AdapterTests {
    @Test func requestFromHTTPTypesSignsLikeTheRFCMessage() throws {
        var fields = HTTPFields()
        fields[.init("Host")!] = "example.com"
        fields[.init("Date")!] = "Tue, 20 Apr 2021 02:07:55 GMT"
        fields[.contentType] = "application/json"
        fields[.init("Content-Digest")!] =
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
        fields[.contentLength] = "18"
        let httpRequest = HTTPRequest(
            method: .post,
            scheme: "https",
            authority: "example.com",
            path: "/foo?param=Value&Pet=dog",
            headerFields: fields
        )
        let request = HTTPSignatureRequest(httpRequest, body: Array(#"{"hello": "world"}"#.utf8))
        let vector = try #require(Fixtures.vectors.first { $0.id == "B.2.3" })
        let components: [HTTPSignatureComponent] = [
            .field("date"), .method, .path, .query, .authority, .field("content-type"), .field("content-digest"),
            .field("content-length"),
        ]
        let base = try HTTPMessageSigner.signatureBase(
            for: request,
            components: components,
            parameters: HTTPSignatureParameters(created: Fixtures.created, keyID: "test-key-rsa-pss")
        )
        #expect(base == vector.signatureBase)
    }

    @Test func responseFromHTTPTypes() throws {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        let response = HTTPSignatureResponse(HTTPResponse(status: .created, headerFields: fields))
        let base = try HTTPMessageSigner.signatureBase(
            for: response,
            components: [.status, .field("content-type")],
            parameters: HTTPSignatureParameters(created: 1)
        )
        #expect(
            base == "\"@status\": 201\n\"content-type\": application/json\n\"@signature-params\": (\"@status\" \"content-type\");created=1"
        )
    }

    @Test func componentIdentifiersParse() throws {
        #expect(try HTTPSignatureComponent(parsing: #""@query-param";name="Pet""#) == .queryParameter("Pet"))
        #expect(try HTTPSignatureComponent(parsing: #""example-dict";key="a";req"#) == .field("example-dict", key: "a").fromRequest)
        #expect(try HTTPSignatureComponent(parsing: "Content-Type") == .field("content-type"))
        #expect(try HTTPSignatureComponent(parsing: "@method") == .method)
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try HTTPSignatureComponent(parsing: #""unterminated"#) }
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try HTTPSignatureComponent(parsing: #""a";Bad"#) }
    }

    @Test func absoluteTargetURIsAreSplitWithoutDecoding() throws {
        let request = try HTTPSignatureRequest(method: "GET", targetURI: "HTTPS://user@Example.COM:443/a%2Fb?x=%20y#frag")
        #expect(request.scheme == "https")
        #expect(request.authority == "Example.COM:443")
        #expect(request.requestTarget == "/a%2Fb?x=%20y")
        let base = try HTTPMessageSigner.signatureBase(
            for: request,
            components: [.targetURI, .authority, .path, .query],
            parameters: HTTPSignatureParameters()
        )
        #expect(
            base.hasPrefix(
                "\"@target-uri\": https://Example.COM:443/a%2Fb?x=%20y\n\"@authority\": example.com\n\"@path\": /a%2Fb\n\"@query\": ?x=%20y\n"
            )
        )
        #expect(throws: HTTPSignatureError(.invalidMessage)) { try HTTPSignatureRequest(method: "GET", targetURI: "/relative") }
    }
}
