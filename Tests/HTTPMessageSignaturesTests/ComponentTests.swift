import Foundation
import HTTPMessageSignatures
import Testing

/// Component values (RFC 9421 §2.1, §2.2) against the RFC's examples.
@Suite struct ComponentTests {
    static let parameters = HTTPSignatureParameters(created: 1, keyID: "k")

    /// The base lines for `components`, without the final `@signature-params` line.
    static func lines(
        _ request: HTTPSignatureRequest,
        _ components: [HTTPSignatureComponent],
        types: [String: StructuredFieldType] = [:]
    ) throws -> [String] {
        let base = try HTTPMessageSigner.signatureBase(
            for: request,
            components: components,
            parameters: parameters,
            structuredFieldTypes: types
        )
        return Array(base.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
    }

    static func request(_ target: String = "/", fields: [(String, String)] = []) -> HTTPSignatureRequest {
        HTTPSignatureRequest(
            method: "GET",
            scheme: "https",
            authority: "www.example.com",
            requestTarget: target,
            headerFields: fields.map { HTTPSignatureField(name: $0.0, value: $0.1) }
        )
    }

    static let section21Fields: [(String, String)] = [
        ("Host", "www.example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        ("X-OWS-Header", "   Leading and trailing whitespace.   "),
        ("X-Obs-Fold-Header", "Obsolete\r\n    line folding."),
        ("Cache-Control", "max-age=60"),
        ("Cache-Control", "   must-revalidate"),
        ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
        ("X-Empty-Header", ""),
    ]

    @Test func fieldValuesAreCanonicalizedAsInSection21() throws {
        let lines = try Self.lines(
            Self.request(fields: Self.section21Fields),
            [
                .field("host"), .field("date"), .field("x-ows-header"), .field("x-obs-fold-header"), .field("cache-control"),
                .field("example-dict"), .field("x-empty-header"),
            ]
        )
        #expect(
            lines == [
                #""host": www.example.com"#,
                #""date": Tue, 20 Apr 2021 02:07:56 GMT"#,
                #""x-ows-header": Leading and trailing whitespace."#,
                #""x-obs-fold-header": Obsolete line folding."#,
                #""cache-control": max-age=60, must-revalidate"#,
                #""example-dict": a=1,    b=2;x=1;y=2,   c=(a   b   c)"#,
                #""x-empty-header": "#,
            ]
        )
    }

    @Test func structuredFieldIsReserializedStrictly() throws {
        let lines = try Self.lines(
            Self.request(fields: Self.section21Fields),
            [.field("example-dict", structured: true)],
            types: ["example-dict": .dictionary]
        )
        #expect(lines == [#""example-dict";sf: a=1, b=2;x=1;y=2, c=(a b c)"#])
    }

    @Test func sfWithoutKnownTypeIsAnError() {
        #expect(throws: HTTPSignatureError(.invalidComponent)) {
            try Self.lines(Self.request(fields: Self.section21Fields), [.field("example-dict", structured: true)])
        }
    }

    @Test func dictionaryMembersAreSelectedByKey() throws {
        let request = Self.request(fields: [("Example-Dict", "  a=1, b=2;x=1;y=2, c=(a   b    c), d")])
        let lines = try Self.lines(
            request,
            [
                .field("example-dict", key: "a"), .field("example-dict", key: "d"), .field("example-dict", key: "b"),
                .field("example-dict", key: "c"),
            ]
        )
        #expect(
            lines == [
                #""example-dict";key="a": 1"#,
                #""example-dict";key="d": ?1"#,
                #""example-dict";key="b": 2;x=1;y=2"#,
                #""example-dict";key="c": (a b c)"#,
            ]
        )
        #expect(throws: HTTPSignatureError(.missingComponent)) { try Self.lines(request, [.field("example-dict", key: "zz")]) }
    }

    @Test func byteSequenceWrapsEachLine() throws {
        let two = Self.request(fields: [("Example-Header", "value, with, lots"), ("Example-Header", "of, commas")])
        #expect(
            try Self.lines(two, [.field("example-header", byteSequence: true)]) == [
                #""example-header";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"#
            ]
        )
        let one = Self.request(fields: [("Example-Header", "value, with, lots, of, commas")])
        #expect(
            try Self.lines(one, [.field("example-header", byteSequence: true)]) == [
                #""example-header";bs: :dmFsdWUsIHdpdGgsIGxvdHMsIG9mLCBjb21tYXM=:"#
            ]
        )
        #expect(throws: HTTPSignatureError(.invalidComponent)) {
            try Self.lines(one, [.field("example-header", key: "a", byteSequence: true)])
        }
    }

    @Test func nonASCIIValuesNeedByteSequence() throws {
        let request = Self.request(fields: [("X-Name", "café")])
        #expect(throws: HTTPSignatureError(.invalidComponentValue)) { try Self.lines(request, [.field("x-name")]) }
        #expect(try Self.lines(request, [.field("x-name", byteSequence: true)]) == [#""x-name";bs: :Y2Fmw6k=:"#])
    }

    @Test func trailersAreSeparateFromHeaders() throws {
        var request = Self.request(fields: [("Expires", "header value")])
        request.trailerFields = [HTTPSignatureField(name: "Expires", value: "Wed, 9 Nov 2022 07:28:00 GMT")]
        #expect(
            try Self.lines(request, [.field("expires", trailer: true), .field("expires")]) == [
                #""expires";tr: Wed, 9 Nov 2022 07:28:00 GMT"#, #""expires": header value"#,
            ]
        )
        #expect(throws: HTTPSignatureError(.missingComponent)) { try Self.lines(Self.request(), [.field("expires", trailer: true)]) }
    }

    @Test func missingFieldIsAnError() {
        #expect(throws: HTTPSignatureError(.missingComponent)) { try Self.lines(Self.request(), [.field("content-digest")]) }
    }

    @Test func derivedComponentsMatchSection22() throws {
        let request = HTTPSignatureRequest(
            method: "POST",
            scheme: "HTTPS",
            authority: "WWW.Example.com:443",
            requestTarget: "/path?param=value&foo=bar&baz=bat%2Dman"
        )
        #expect(
            try Self.lines(request, [.method, .targetURI, .authority, .scheme, .requestTarget, .path, .query]) == [
                #""@method": POST"#,
                #""@target-uri": https://WWW.Example.com:443/path?param=value&foo=bar&baz=bat%2Dman"#,
                #""@authority": www.example.com"#,
                #""@scheme": https"#,
                #""@request-target": /path?param=value&foo=bar&baz=bat%2Dman"#,
                #""@path": /path"#,
                #""@query": ?param=value&foo=bar&baz=bat%2Dman"#,
            ]
        )
    }

    @Test func queryEdgeCases() throws {
        #expect(try Self.lines(Self.request("/path?queryString"), [.query]) == [#""@query": ?queryString"#])
        #expect(try Self.lines(Self.request("/path"), [.query]) == [#""@query": ?"#])
        #expect(try Self.lines(Self.request(""), [.path]) == [#""@path": /"#])
        let nonDefaultPort = HTTPSignatureRequest(method: "GET", scheme: "http", authority: "Example.com:8080", requestTarget: "/")
        #expect(try Self.lines(nonDefaultPort, [.authority]) == [#""@authority": example.com:8080"#])
    }

    @Test func requestTargetForms() throws {
        let absolute = Self.request("https://www.example.com/path?param=value")
        #expect(
            try Self.lines(absolute, [.requestTarget, .targetURI, .path]) == [
                #""@request-target": https://www.example.com/path?param=value"#,
                #""@target-uri": https://www.example.com/path?param=value"#,
                #""@path": /path"#,
            ]
        )
        var connect = Self.request("www.example.com:80")
        connect.method = "CONNECT"
        #expect(try Self.lines(connect, [.requestTarget]) == [#""@request-target": www.example.com:80"#])
        var options = Self.request("*")
        options.method = "OPTIONS"
        #expect(try Self.lines(options, [.requestTarget]) == [#""@request-target": *"#])
    }

    @Test func queryParametersAreReencoded() throws {
        let simple = Self.request("/path?param=value&foo=bar&baz=batman&qux=")
        #expect(
            try Self.lines(simple, [.queryParameter("baz"), .queryParameter("qux"), .queryParameter("param")]) == [
                #""@query-param";name="baz": batman"#, #""@query-param";name="qux": "#, #""@query-param";name="param": value"#,
            ]
        )
        let encoded = Self.request(
            "/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
        )
        #expect(
            try Self.lines(encoded, [.queryParameter("var"), .queryParameter("bar"), .queryParameter("fa%C3%A7ade%22%3A%20")]) == [
                #""@query-param";name="var": this%20is%20a%20big%0Amultiline%20value"#,
                #""@query-param";name="bar": with%20plus%20whitespace"#,
                #""@query-param";name="fa%C3%A7ade%22%3A%20": something"#,
            ]
        )
        #expect(throws: HTTPSignatureError(.missingComponent)) { try Self.lines(simple, [.queryParameter("nope")]) }
        #expect(throws: HTTPSignatureError(.invalidComponentValue)) {
            try Self.lines(Self.request("/p?a=1&a=2"), [.queryParameter("a")])
        }
    }

    @Test func componentRulesAreEnforced() {
        let request = Self.request(fields: [("X", "1")])
        #expect(throws: HTTPSignatureError(.duplicateComponent)) { try Self.lines(request, [.method, .method]) }
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try Self.lines(request, [.status]) }
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try Self.lines(request, [.method.fromRequest]) }
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try Self.lines(request, [.field("@unknown")]) }
        #expect(throws: HTTPSignatureError(.invalidComponent)) { try Self.lines(request, [.field("@signature-params")]) }
        #expect(throws: HTTPSignatureError(.invalidComponentValue)) {
            try Self.lines(Self.request(fields: [("X", "a\nb")]), [.field("x")])
        }
    }

    @Test func componentIdentityIgnoresParameterOrder() {
        let ab = HTTPSignatureComponent.field("example-dict", key: "a").fromRequest
        let ba = HTTPSignatureComponent.field("example-dict", key: "a").fromRequest
        #expect(ab == ba)
        #expect(ab.description == #""example-dict";key="a";req"#)
        #expect(HTTPSignatureComponent.field("example-dict", key: "a") != ab)
    }

    @Test func responseComponentsFromRequestUseReq() throws {
        let response = Fixtures.busyResponse
        let base = try HTTPMessageSigner.signatureBase(
            for: response,
            components: [.status, .authority.fromRequest, .field("content-type").fromRequest],
            parameters: Self.parameters
        )
        #expect(base.hasPrefix("\"@status\": 503\n\"@authority\";req: example.com\n\"content-type\";req: application/json\n"))
        var orphan = response
        orphan.request = nil
        #expect(throws: HTTPSignatureError(.invalidComponent)) {
            try HTTPMessageSigner.signatureBase(for: orphan, components: [.method.fromRequest], parameters: Self.parameters)
        }
        #expect(throws: HTTPSignatureError(.invalidComponent)) {
            try HTTPMessageSigner.signatureBase(for: response, components: [.method], parameters: Self.parameters)
        }
    }
}
