// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The `jwsd` key proof (RFC 9635 §7.3.3): a detached JWS over the body hash, bound to method,
/// target URI, time and token.
@Suite struct GNAPDetachedJWSTests {
    let clock = TestClock()
    let key = Curve25519.Signing.PrivateKey()

    var clientKey: GNAPKey {
        GNAPKey(
            proof: GNAPProof(method: "jwsd"),
            jwk: PublicJWK(
                kty: "OKP",
                crv: "Ed25519",
                x: TestClients.base64url(key.publicKey.rawRepresentation),
                kid: "jwsd-1",
                alg: "EdDSA"
            )
        )
    }

    func detached(
        method: String,
        uri: String,
        body: [UInt8],
        created: Date,
        token: String? = nil,
        detachPayload: Bool = true
    ) throws -> String {
        var header: [String: Any] = [
            "alg": "EdDSA", "kid": "jwsd-1", "typ": "gnap-binding-jwsd", "htm": method, "uri": uri,
            "created": Int(created.timeIntervalSince1970),
        ]
        if let token { header["ath"] = TestClients.base64url(Data(SHA256.hash(data: Data(token.utf8)))) }
        let encodedHeader = TestClients.base64url(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let payload = body.isEmpty ? "" : TestClients.base64url(Data(SHA256.hash(data: Data(body))))
        let signature = try key.signature(for: Data((encodedHeader + "." + payload).utf8))
        return encodedHeader + "." + (detachPayload ? "" : payload) + "." + TestClients.base64url(signature)
    }

    func post(_ client: any TestClientProtocol, body: [UInt8], jws: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("Detached-JWS")!] = jws
        return try await client.execute(uri: "/gnap", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            (response.status, (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    @Test func acceptsAValidDetachedJWSOnceAndRefusesTampering() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let uri = app.engine.configuration.issuer + "/gnap"
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: clientKey)))
        )
        let good = try detached(method: "POST", uri: uri, body: body, created: clock.now)
        try await app.application.test(.router) { client in
            let (status, json) = try await post(client, body: body, jws: good)
            #expect(status == .ok)
            #expect(json["continue"] is [String: Any])

            let (replayStatus, _) = try await post(client, body: body, jws: good)
            #expect(replayStatus == .unauthorized)

            // Still valid JSON, asking for something else than what was signed.
            let tampered = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "photos", with: "albums").utf8)
            let (tamperedStatus, _) = try await post(
                client,
                body: tampered,
                jws: try detached(method: "POST", uri: uri, body: body, created: clock.now)
            )
            #expect(tamperedStatus == .unauthorized)

            let wrongURI = try detached(method: "POST", uri: "https://elsewhere.example/gnap", body: body, created: clock.now)
            #expect(try await post(client, body: body, jws: wrongURI).0 == .unauthorized)
            let stale = try detached(method: "POST", uri: uri, body: body, created: clock.now.addingTimeInterval(-600))
            #expect(try await post(client, body: body, jws: stale).0 == .unauthorized)
            let attached = try detached(
                method: "POST",
                uri: uri,
                body: body,
                created: clock.now.addingTimeInterval(1),
                detachPayload: false
            )
            #expect(try await post(client, body: body, jws: attached).0 == .ok)
        }
    }
}
