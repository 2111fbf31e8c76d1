import Foundation
import Testing

@testable import HTTPMessageSignatures

/// The one-pass signature base for plain request signatures must give exactly the general path's bytes, and
/// leave every case it does not handle (and every error) to the general path.
@Suite struct SignatureBaseFastPathTests {
    static func request(
        method: String = "POST",
        scheme: String = "https",
        authority: String = "server.example.com",
        target: String = "/gnap",
        fields: [(String, String)]
    ) -> HTTPSignatureRequest {
        HTTPSignatureRequest(
            method: method,
            scheme: scheme,
            authority: authority,
            requestTarget: target,
            headerFields: fields.map { HTTPSignatureField(name: $0.0, value: $0.1) },
            body: Array(#"{"access_token":{"access":["read"]}}"#.utf8)
        )
    }

    static let gnapFields: [(String, String)] = [
        ("Host", "server.example.com"), ("Content-Type", "application/json"), ("Content-Length", "36"),
        ("Content-Digest", "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"),
        ("Authorization", "GNAP 80UPRY5NM33OMUKMKSKU"),
        ("X-Multi", "  first  "), ("x-multi", "second\r\n\tfolded line"),
    ]

    static let parameters = HTTPSignatureParameters(created: 1_618_884_473, nonce: "n0nce", keyID: "gnap-key", tag: "gnap")

    /// (request, components, appended component, must the fast path take it)
    static let cases: [(HTTPSignatureRequest, [HTTPSignatureComponent], HTTPSignatureComponent?, Bool)] = [
        (request(fields: gnapFields), [.method, .targetURI, .field("content-type"), .field("content-length")], .contentDigest, true),
        (request(fields: gnapFields), [.method, .targetURI, .field("authorization"), .field("content-digest")], nil, true),
        (request(fields: gnapFields), [.requestTarget, .method, .field("x-multi")], nil, true),
        (
            request(scheme: "HTTPS", authority: "Server.Example.com:8443", target: "/gnap/continue/1?x=%20y", fields: gnapFields),
            [.targetURI, .method], nil, true
        ),
        (request(method: "GET", target: "/", fields: gnapFields), [.method, .targetURI], nil, true),
        // Left to the general path: parameters, other derived components, absolute-form targets, duplicates,
        // missing fields, non-ASCII values, @status-like names.
        (request(fields: gnapFields), [.method, .field("content-digest", structured: true)], nil, false),
        (request(fields: gnapFields), [.method, .authority, .path, .query], nil, false),
        (request(target: "https://server.example.com/gnap", fields: gnapFields), [.method, .targetURI], nil, false),
        (request(fields: gnapFields), [.method, .method], nil, false),
        (request(fields: gnapFields), [.method, .field("content-digest")], .contentDigest, false),
        (request(fields: gnapFields), [.method, .field("x-absent")], nil, false),
        (request(fields: gnapFields + [("X-Binary", "caf\u{E9}")]), [.field("x-binary")], nil, false),
        (request(fields: gnapFields), [], nil, false),
    ]

    @Test func theOnePassBaseEqualsTheGeneralOne() throws {
        for (index, (request, components, extra, fast)) in Self.cases.enumerated() {
            let quick = SignatureBase.plainRequestBase(
                components: components,
                appending: extra,
                parameters: Self.parameters,
                request: request
            )
            #expect((quick != nil) == fast, "case \(index): fast path \(quick == nil ? "declined" : "taken")")
            let general: SignatureBase
            do {
                general = try SignatureBase.buildComponentByComponent(
                    components: components,
                    appending: extra,
                    parameters: Self.parameters,
                    message: .request(request),
                    structuredFieldTypes: [:]
                )
            } catch {
                #expect(quick == nil, "case \(index): the general path refuses (\(error)), so the fast path must not answer")
                continue
            }
            guard let quick else { continue }
            #expect(String(decoding: quick.bytes, as: UTF8.self) == String(decoding: general.bytes, as: UTF8.self), "case \(index)")
            #expect(Array(quick.signatureParams) == Array(general.signatureParams), "case \(index)")
        }
    }
}
