import Foundation
import Testing

@testable import TesseraProtocol

/// The hand-written JSON of grant responses must mean exactly what their `Codable` form means.
@Suite struct GNAPResponseJSONOutputTests {
    static func token(_ index: Int, access: [GNAPAccessRight], flags: [String]? = nil) -> GNAPAccessToken {
        GNAPAccessToken(
            value: "eyJhbGciOiJFUzI1NiJ9.payload-\(index).signature",
            label: index == 0 ? nil : "token-\(index)",
            manage: GNAPManage(uri: "https://as.example/gnap/token/\(index)", accessToken: GNAPTokenValue(value: "manage-\(index)")),
            access: access,
            expiresIn: 3600,
            flags: flags
        )
    }

    static let rights: [GNAPAccessRight] = [
        .reference("photo-read"),
        .object(
            GNAPAccessObject(
                type: "photo-api",
                actions: ["read", "write"],
                locations: ["https://server.example.net/"],
                datatypes: ["metadata"]
            )
        ),
        .object(
            GNAPAccessObject(
                type: "payment \"initiation\"\\ with\ttabs\nand ünïcödé and \u{01}",
                identifier: "acct/42",
                privileges: [],
                extra: [
                    "amount": .object(["value": .number(12.5), "currency": .string("EUR"), "count": .number(3)]),
                    "nested": .array([.null, .bool(true), .bool(false), .string("</script>")]),
                    "type": .string("shadowed: never written"),
                ]
            )
        ),
    ]

    static let responses: [GNAPGrantResponse] = [
        GNAPGrantResponse(
            continue: GNAPContinue(
                accessToken: GNAPTokenValue(value: "continue-token"),
                uri: "https://as.example/gnap/continue/1",
                wait: 5
            ),
            accessToken: .multiple([token(1, access: rights), token(2, access: [.reference("x")], flags: ["bearer"])]),
            instanceID: "instance-7"
        ),
        GNAPGrantResponse(accessToken: .single(token(0, access: rights))),
        GNAPGrantResponse(
            continue: GNAPContinue(accessToken: GNAPTokenValue(value: "c"), uri: "https://as.example/c", wait: nil),
            interact: [
                "redirect": .string("https://as.example/i/1"), "finish": .string("nonce"), "user_code": .object(["code": .string("ABCD")]),
            ],
            subject: GNAPSubjectResponse(
                subIDs: [["format": .string("opaque"), "id": .string("user-1")]],
                updatedAt: "2026-11-24T00:00:00Z"
            )
        ),
        GNAPGrantResponse(),
    ]

    @Test(arguments: responses)
    func handWrittenJSONDecodesToTheSameResponse(_ response: GNAPGrantResponse) throws {
        let bytes = try response.jsonBytes()
        // Valid JSON, equal as a JSON document to JSONEncoder's output...
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == reference)
        // ...and the same value once decoded.
        var expected = response
        expected.accessToken = response.accessToken.map { tokens in
            let cleaned = tokens.tokens.map { token -> GNAPAccessToken in
                var copy = token
                copy.access = token.access.map { right in
                    guard case .object(var object) = right else { return right }
                    object.extra["type"] = nil
                    return .object(object)
                }
                return copy
            }
            if case .single = tokens { return .single(cleaned[0]) }
            return .multiple(cleaned)
        }
        #expect(try JSONDecoder().decode(GNAPGrantResponse.self, from: Data(bytes)) == expected)
    }

    @Test func controlCharactersAreEscapedAndSlashesAreNot() throws {
        var out = JSONOutput()
        out.string("a/b\u{1F}\"\\\r")
        #expect(String(decoding: out.bytes, as: UTF8.self) == #""a/b\u001f\"\\\r""#)
    }

    @Test func nonFiniteNumbersAreRefusedNotWritten() {
        var out = JSONOutput()
        #expect(throws: JSONOutput.Unrepresentable.self) { try out.value(.number(.infinity)) }
    }
}
