// swift-format-ignore-file: NeverForceUnwrap, NeverUseForceTry
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPMessageSignatures

/// RFC 9421 test keys, messages and vectors from `Fixtures/rfc9421-vectors.json` (a copy of
/// shared/specs/testvectors/rfc9421-vectors.json).
enum Fixtures {
    struct Vector: Decodable, Sendable, CustomStringConvertible {
        var id: String
        var alg: String
        var keyid: String
        var message: String
        var signatureInput: String
        var signature: String
        var signatureBase: String
        var deterministic: Bool
        var description: String { id }

        private enum CodingKeys: String, CodingKey {
            case id, alg, keyid, message, signature, deterministic
            case signatureInput = "signature_input"
            case signatureBase = "signature_base"
        }
    }

    struct Message: Decodable {
        var method: String?
        var targetURI: String?
        var status: Int?
        var headers: [[String]]
        var body: String

        private enum CodingKeys: String, CodingKey {
            case method, status, headers, body
            case targetURI = "target_uri"
        }
    }

    struct Key: Decodable {
        var pemPublic: String?
        var pemPrivate: String?
        var jwk: [String: String]?
        var base64: String?

        private enum CodingKeys: String, CodingKey {
            case jwk, base64
            case pemPublic = "pem_public"
            case pemPrivate = "pem_private"
        }

        var jwkJSON: String {
            let data = (try? JSONEncoder().encode(jwk ?? [:])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct File: Decodable {
        var messages: [String: Message]
        var keys: [String: Key]
        var vectors: [Vector]

        private enum CodingKeys: String, CodingKey { case messages, keys, vectors }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let raw = try container.decode([String: MessageOrNote].self, forKey: .messages)
            messages = raw.compactMapValues(\.message)
            keys = try container.decode([String: Key].self, forKey: .keys)
            vectors = try container.decode([Vector].self, forKey: .vectors)
        }
    }

    enum MessageOrNote: Decodable {
        case message(Message)
        case note(String)
        var message: Message? {
            if case .message(let message) = self { return message }
            return nil
        }
        init(from decoder: any Decoder) throws {
            if let note = try? decoder.singleValueContainer().decode(String.self) {
                self = .note(note)
            } else {
                self = .message(try Message(from: decoder))
            }
        }
    }

    static let file: File = {
        guard let url = Bundle.module.url(forResource: "Fixtures/rfc9421-vectors", withExtension: "json"),
            let data = try? Data(contentsOf: url),
            let file = try? JSONDecoder().decode(File.self, from: data)
        else { fatalError("cannot load Fixtures/rfc9421-vectors.json") }
        return file
    }()

    static var vectors: [Vector] { file.vectors }

    /// 2021-04-20T02:07:53Z, the `created` of most RFC 9421 vectors.
    static let created: Int64 = 1_618_884_473

    static func fields(_ pairs: [[String]]) -> [HTTPSignatureField] {
        pairs.map { HTTPSignatureField(name: $0[0], value: $0[1]) }
    }

    /// RFC 9421 B.2 `test-request`.
    static var testRequest: HTTPSignatureRequest {
        let message = file.messages["test-request"]!
        return try! HTTPSignatureRequest(
            method: message.method!,
            targetURI: message.targetURI!,
            headerFields: fields(message.headers),
            body: Array(message.body.utf8)
        )
    }

    /// RFC 9421 B.2 `test-response` (with the corrected Content-Digest).
    static var testResponse: HTTPSignatureResponse {
        let message = file.messages["test-response"]!
        return HTTPSignatureResponse(status: message.status!, headerFields: fields(message.headers), body: Array(message.body.utf8))
    }

    /// RFC 9421 §2.4: the 503 response to `test-request`.
    static var busyResponse: HTTPSignatureResponse {
        let body = #"{"busy": true, "message": "Your call is very important to us"}"#
        return HTTPSignatureResponse(
            status: 503,
            headerFields: [
                .init(name: "Date", value: "Tue, 20 Apr 2021 02:07:56 GMT"),
                .init(name: "Content-Type", value: "application/json"),
                .init(name: "Content-Length", value: "62"),
                .init(
                    name: "Content-Digest",
                    value: "sha-512=:0Y6iCBzGg5rZtoXS95Ijz03mslf6KAMCloESHObfwnHJDbkkWWQz6PhhU9kxsTbARtY2PTBOzq24uJFpHsMuAg==:"
                ),
            ],
            body: Array(body.utf8),
            request: testRequest
        )
    }

    /// RFC 9421 §4.3: the request after the reverse proxy.
    static var proxiedRequest: HTTPSignatureRequest {
        var request = testRequest
        request.authority = "origin.host.internal.example"
        request.headerFields = request.headerFields.map {
            $0.name == "host" ? HTTPSignatureField(name: "Host", value: "origin.host.internal.example") : $0
        }
        request.appendHeader(name: "Forwarded", value: "for=192.0.2.123;host=example.com;proto=https")
        return request
    }

    static let clientCert =
        ":MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGUxGzAZBgNVBAMMEkxBIEludGVybWVkaWF0ZSBDQTAeFw0yMDAxMTQyMjU1MzNaFw0yMTAxMjMyMjU1MzNaMA0xCzAJBgNVBAMMAkJDMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YnXXfaUgmnMtOXU/IncWalRhebrXmckC8vdgJ1p5Be5F/3YC8OthxM4+k1M6aEAEFcGzkJiNy6J84y7uzo9M6NyMHAwCQYDVR0TBAIwADAfBgNVHSMEGDAWgBRm3WjLa38lbEYCuiCPct0ZaSED2DAOBgNVHQ8BAf8EBAMCBsAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0RAQH/BBMwEYEPYmRjQGV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUCIBHda/r1vaL6G3VliL4/Di6YK0Q6bMjeSkC3dFCOOB8TAiEAx/kHSB4urmiZ0NX5r5XarmPk0wmuydBVoU4hBVZ1yhk=:"

    /// RFC 9421 B.3: the request from the TLS-terminating proxy.
    static var tlsProxyRequest: HTTPSignatureRequest {
        HTTPSignatureRequest(
            method: "POST",
            scheme: "https",
            authority: "service.internal.example",
            requestTarget: "/foo?param=Value&Pet=dog",
            headerFields: [
                .init(name: "Host", value: "service.internal.example"),
                .init(name: "Date", value: "Tue, 20 Apr 2021 02:07:55 GMT"),
                .init(name: "Content-Type", value: "application/json"),
                .init(name: "Content-Length", value: "18"),
                .init(name: "Client-Cert", value: clientCert),
            ],
            body: Array(#"{"hello": "world"}"#.utf8)
        )
    }

    /// RFC 9421 B.4: the original message for the transformation examples.
    static var transformRequest: HTTPSignatureRequest {
        HTTPSignatureRequest(
            method: "GET",
            scheme: "https",
            authority: "example.org",
            requestTarget: "/demo?name1=Value1&Name2=value2",
            headerFields: [
                .init(name: "Host", value: "example.org"),
                .init(name: "Date", value: "Fri, 15 Jul 2022 14:24:55 GMT"),
                .init(name: "Accept", value: "application/json"),
                .init(name: "Accept", value: "*/*"),
            ]
        )
    }

    static let gnapBody = #"{"access_token":{"access":["dolphin-metadata"]},"client":"client-541-ab"}"#

    /// The locally generated GNAP-profile request (not published).
    static var gnapRequest: HTTPSignatureRequest {
        try! HTTPSignatureRequest(
            method: "POST",
            targetURI: "https://server.example.com/gnap",
            headerFields: [
                .init(name: "Host", value: "server.example.com"),
                .init(name: "Content-Type", value: "application/json"),
                .init(name: "Content-Length", value: "73"),
                .init(name: "Content-Digest", value: "sha-256=:YtLVXDRrkCr/QZ3J2HlEMRyWbwMArp7zeR8HWktvPsQ=:"),
            ],
            body: Array(gnapBody.utf8)
        )
    }

    enum VectorMessage {
        case request(HTTPSignatureRequest)
        case response(HTTPSignatureResponse)
    }

    static func message(for vector: Vector) -> VectorMessage {
        switch vector.id {
        case "B.2.4": .response(testResponse)
        case "S2.4a", "S2.4b": .response(busyResponse)
        case "S4.3proxy": .request(proxiedRequest)
        case "B.3": .request(tlsProxyRequest)
        case "B.4": .request(transformRequest)
        case "LOCAL-GNAP-ED25519": .request(gnapRequest)
        default: .request(testRequest)
        }
    }

    // MARK: - Keys

    static func signingKey(_ id: String, algorithm: HTTPSignatureAlgorithm) throws -> HTTPSigningKey {
        let key = file.keys[id]!
        if let secret = key.base64 { return try HTTPSigningKey(hmacSecret: Data(base64Encoded: secret)!, keyID: id) }
        return try HTTPSigningKey(jwk: key.jwkJSON, algorithm: algorithm)
    }

    static func verificationKey(_ id: String, algorithm: HTTPSignatureAlgorithm) throws -> HTTPVerificationKey {
        let key = file.keys[id]!
        if let secret = key.base64 { return try HTTPVerificationKey(hmacSecret: Data(base64Encoded: secret)!, keyID: id) }
        return try HTTPVerificationKey(pem: key.pemPublic!, algorithm: algorithm, keyID: id)
    }

    static var sharedSecret: [UInt8] { Array(Data(base64Encoded: file.keys["test-shared-secret"]!.base64!)!) }

    /// The RFC 9635 §7.3 example key `gnap-rsa` (public part).
    static let gnapRSAModulus =
        "hYOJ-XOKISdMMShn_G4W9m20mT0VWtQBsmBBkI2cmRt4Ai8BfYdHsFzAtYKOjpBR1RpKpJmVKxIGNy0g6Z3ad2XYsh8KowlyVy8IkZ8NMwSrcUIBZGYXjHpwjzvfGvXH_5KJlnR3_uRUp4Z4Ujk2bCaKegDn11V2vxE41hqaPUnhRZxe0jRETddzsE3mu1SK8dTCROjwUl14mUNo8iTrTm4n0qDadz8BkPo-uv4BC0bunS0K3bA_3UgVp7zBlQFoFnLTO2uWp_muLEWGl67gBq9MO3brKXfGhi3kOzywzwPTuq-cVQDyEN7aL0SxCb3Hc4IdqDaMg8qHUyObpPitDQ"
}

/// An in-memory replay cache for tests.
actor TestReplayCache: HTTPSignatureReplayCache {
    private var seen: Set<String> = []
    func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool {
        seen.insert("\(keyID ?? "")|\(nonce)").inserted
    }
}

extension HTTPSignatureRequest {
    func adding(_ name: String, _ value: String) -> Self {
        var copy = self
        copy.appendHeader(name: name, value: value)
        return copy
    }
}

extension HTTPSignatureResponse {
    func adding(_ name: String, _ value: String) -> Self {
        var copy = self
        copy.appendHeader(name: name, value: value)
        return copy
    }
}

/// Splits `label=value` as printed in the vectors.
func member(_ field: String) -> (label: String, value: String) {
    let equals = field.firstIndex(of: "=")!
    return (String(field[..<equals]), String(field[field.index(after: equals)...]))
}
