// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPMessageSignatures
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Replays of GNAP key proofs that differ from the original only where the signer did not sign:
/// a nonce-less httpsig request sent twice (RFC 9421 §7.2.2), and the (r, n−s) twin of an ES256
/// signature (ECDSA malleability) on jwsd, jws and httpsig (RFC 9635 §7.3).
@Suite struct GNAPReplayTests {
    let clock = TestClock()

    /// The order of the P-256 group (SEC 2 §2.4.2).
    static let p256Order: [UInt8] = Array(
        Data(base64Encoded: "/////wAAAAD//////////7zm+q2nF56E87nKwvxjJVE=")!
    )

    /// The other valid ECDSA signature over the same input: (r, s) → (r, n − s).
    static func twin(_ signature: Data) -> Data {
        precondition(signature.count == 64)
        let r = Array(signature.prefix(32))
        let s = Array(signature.suffix(32))
        var difference = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var value = Int(p256Order[index]) - Int(s[index]) - borrow
            borrow = value < 0 ? 1 : 0
            if value < 0 { value += 256 }
            difference[index] = UInt8(value)
        }
        return Data(r + difference)
    }

    struct ES256Client {
        let key = P256.Signing.PrivateKey()
        let kid: String
        let method: String

        var gnapKey: GNAPKey {
            let raw = key.publicKey.rawRepresentation
            return GNAPKey(
                proof: GNAPProof(method: method),
                jwk: PublicJWK(
                    kty: "EC",
                    crv: "P-256",
                    x: TestClients.base64url(raw.prefix(32)),
                    y: TestClients.base64url(raw.suffix(32)),
                    kid: kid,
                    alg: "ES256"
                )
            )
        }

        /// A compact JWS with a GNAP binding header (RFC 9635 §7.3.3), and its signature's twin.
        func jws(typ: String, uri: String, payload: String, created: Date) throws -> (String, String) {
            let header: [String: Any] = [
                "alg": "ES256", "kid": kid, "typ": typ, "htm": "POST", "uri": uri, "created": Int(created.timeIntervalSince1970),
            ]
            let encodedHeader = TestClients.base64url(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            let signature = try key.signature(for: Data((encodedHeader + "." + payload).utf8)).rawRepresentation
            let prefix = encodedHeader + "." + payload + "."
            return (prefix + TestClients.base64url(signature), prefix + TestClients.base64url(Self.twinOf(signature)))
        }

        static func twinOf(_ signature: Data) -> Data { GNAPReplayTests.twin(signature) }
    }

    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    static func send(
        _ client: any TestClientProtocol,
        headers: HTTPFields,
        body: [UInt8]
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/gnap", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            (response.status, (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    @Test(.bug(id: 23, "a nonce-less httpsig grant request was accepted twice"))
    func aSignedGrantRequestWithoutANonceIsSingleUse() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let signer = GNAPTestSigner(now: clock.closure)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: signer.key)))
        )
        let headers = try signer.headers(method: "POST", url: app.engine.configuration.issuer + "/gnap", body: body) { $0.nonce = nil }
        #expect(headers[HTTPField.Name("Signature-Input")!]?.contains("nonce") == false)
        try await app.application.test(.router) { client in
            let first = try await Self.send(client, headers: headers, body: body)
            #expect(first.0 == .ok, "\(first.1)")
            let replay = try await Self.send(client, headers: headers, body: body)
            #expect(replay.0 == .unauthorized)
            #expect(Self.errorCode(replay.1) == "invalid_client")
            // A new signature (a second later, so a new base) from the same client is still welcome.
            clock.advance(by: 1)
            let fresh = try signer.headers(method: "POST", url: app.engine.configuration.issuer + "/gnap", body: body) { $0.nonce = nil }
            #expect(try await Self.send(client, headers: fresh, body: body).0 == .ok)
        }
    }

    @Test(.bug(id: 23, "the (r, n-s) twin of an ES256 httpsig signature replayed a nonce-less request"))
    func anHTTPSignatureTwinIsAReplay() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let client = ES256Client(kid: "es-httpsig", method: "httpsig")
        let url = app.engine.configuration.issuer + "/gnap"
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: client.gnapKey)))
        )
        var request = try HTTPSignatureRequest(
            method: "POST",
            targetURI: url,
            headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/json")],
            body: body
        )
        var configuration = HTTPMessageSigner.Configuration.gnap
        configuration.nonce = nil
        try HTTPMessageSigner(key: HTTPSigningKey(p256: client.key, keyID: client.kid), configuration: configuration, now: clock.closure)
            .sign(&request, components: [.method, .targetURI])
        var headers = HTTPFields()
        for field in request.headerFields { headers.append(HTTPField(name: HTTPField.Name(field.name)!, value: field.value)) }
        let signature = try #require(headers[HTTPField.Name("Signature")!])
        let encoded = try #require(signature.split(separator: ":").dropFirst().first.map(String.init))
        var twinned = headers
        twinned[HTTPField.Name("Signature")!] = "sig1=:" + Self.twin(try #require(Data(base64Encoded: encoded))).base64EncodedString() + ":"
        #expect(signature.hasPrefix("sig1=:"))
        let (signed, twinHeaders) = (headers, twinned)
        try await app.application.test(.router) { http in
            #expect(try await Self.send(http, headers: signed, body: body).0 == .ok)
            let replay = try await Self.send(http, headers: twinHeaders, body: body)
            #expect(replay.0 == .unauthorized)
            #expect(Self.errorCode(replay.1) == "invalid_client")
        }
    }

    @Test(.bug(id: 23, "the (r, n-s) twin of an ES256 Detached-JWS replayed a grant request"))
    func aDetachedJWSTwinIsAReplay() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let client = ES256Client(kid: "es-jwsd", method: "jwsd")
        let uri = app.engine.configuration.issuer + "/gnap"
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: client.gnapKey)))
        )
        let (good, twin) = try client.jws(
            typ: "gnap-binding-jwsd",
            uri: uri,
            payload: TestClients.base64url(Data(SHA256.hash(data: Data(body)))),
            created: clock.now
        )
        @Sendable func headers(_ jws: String) -> HTTPFields {
            var fields: HTTPFields = [.contentType: "application/json"]
            fields[HTTPField.Name("Detached-JWS")!] = jws
            return fields
        }
        try await app.application.test(.router) { http in
            #expect(try await Self.send(http, headers: headers(good), body: body).0 == .ok)
            let replay = try await Self.send(http, headers: headers(twin), body: body)
            #expect(replay.0 == .unauthorized)
            #expect(Self.errorCode(replay.1) == "invalid_client")
        }
    }

    @Test(.bug(id: 23, "the (r, n-s) twin of an ES256 attached JWS replayed a grant request"))
    func anAttachedJWSTwinIsAReplay() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let client = ES256Client(kid: "es-jws", method: "jws")
        let uri = app.engine.configuration.issuer + "/gnap"
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: client.gnapKey)))
        )
        let (good, twin) = try client.jws(typ: "gnap-binding-jws", uri: uri, payload: TestClients.base64url(Data(body)), created: clock.now)
        let headers: HTTPFields = [.contentType: "application/jose"]
        try await app.application.test(.router) { http in
            let first = try await Self.send(http, headers: headers, body: Array(good.utf8))
            #expect(first.0 == .ok, "\(first.1)")
            let replay = try await Self.send(http, headers: headers, body: Array(twin.utf8))
            #expect(replay.0 == .unauthorized)
            #expect(Self.errorCode(replay.1) == "invalid_client")
        }
    }
}
