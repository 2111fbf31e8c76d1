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

/// The `jws` key proof (RFC 9635 §7.3.4): the body is a compact JWS over the JSON request
/// (`Content-Type: application/jose`), bound to method, target URI, time and token; body-less
/// requests carry the same JWS detached.
@Suite struct GNAPAttachedJWSTests {
    let clock = TestClock()
    let key = Curve25519.Signing.PrivateKey()

    var clientKey: GNAPKey {
        GNAPKey(
            proof: GNAPProof(method: "jws"),
            jwk: PublicJWK(
                kty: "OKP",
                crv: "Ed25519",
                x: TestClients.base64url(key.publicKey.rawRepresentation),
                kid: "jws-1",
                alg: "EdDSA"
            )
        )
    }

    func jws(
        method: String,
        uri: String,
        payload: [UInt8],
        created: Date,
        token: String? = nil,
        typ: String = "gnap-binding-jws",
        signer: Curve25519.Signing.PrivateKey? = nil
    )
        throws -> String
    {
        var header: [String: Any] = [
            "alg": "EdDSA", "kid": "jws-1", "typ": typ, "htm": method, "uri": uri, "created": Int(created.timeIntervalSince1970),
        ]
        if let token { header["ath"] = TestClients.base64url(Data(SHA256.hash(data: Data(token.utf8)))) }
        let encodedHeader = TestClients.base64url(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let encodedPayload = payload.isEmpty ? "" : TestClients.base64url(payload)
        let signature = try (signer ?? key).signature(for: Data((encodedHeader + "." + encodedPayload).utf8))
        return encodedHeader + "." + encodedPayload + "." + TestClients.base64url(signature)
    }

    func post(
        _ client: any TestClientProtocol,
        path: String = "/gnap",
        body: String,
        contentType: String = "application/jose",
        headers extra: HTTPFields = [:]
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    @Test func anAttachedJWSCarriesTheGrantRequestAndTheContinuationIsSignedToo() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let issuer = app.engine.configuration.issuer
        let request = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: clientKey)))
        )
        let good = try jws(method: "POST", uri: issuer + "/gnap", payload: request, created: clock.now)
        try await app.application.test(.router) { client in
            let (status, json) = try await post(client, body: good)
            #expect(status == .ok, "\(json)")
            let cont = try #require(json["continue"] as? [String: Any])
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
            let path = String((cont["uri"] as? String ?? "").dropFirst(issuer.count))

            // The same JWS again is a replay.
            #expect(try await post(client, body: good).0 == .unauthorized)
            // Signed by another key; for another URI; stale; with the jwsd typ; sent as application/json.
            let other = Curve25519.Signing.PrivateKey()
            for (name, attack) in [
                ("other key", try jws(method: "POST", uri: issuer + "/gnap", payload: request, created: clock.now, signer: other)),
                ("other uri", try jws(method: "POST", uri: "https://elsewhere.example/gnap", payload: request, created: clock.now)),
                ("stale", try jws(method: "POST", uri: issuer + "/gnap", payload: request, created: clock.now.addingTimeInterval(-600))),
                (
                    "jwsd typ",
                    try jws(method: "POST", uri: issuer + "/gnap", payload: request, created: clock.now, typ: "gnap-binding-jwsd")
                ),
            ] {
                #expect(try await post(client, body: attack).0 == .unauthorized, "\(name)")
            }
            let (plain, _) = try await post(client, body: String(decoding: request, as: UTF8.self), contentType: "application/json")
            #expect(plain == .unauthorized, "a jws-key client must send its body as application/jose")
            let (garbage, garbageBody) = try await post(client, body: "not-a-jws")
            #expect(garbage == .badRequest, "\(garbageBody)")

            // Polling the continuation (after the 'wait'): no body, so the JWS goes in Detached-JWS, with ath.
            clock.advance(by: 10)
            let poll = try jws(method: "POST", uri: issuer + path, payload: [], created: clock.now, token: token)
            let (polled, pending) = try await client.execute(
                uri: path,
                method: .post,
                headers: [.authorization: "GNAP \(token)", HTTPField.Name("Detached-JWS")!: poll]
            ) { response in (response.status, (try? HTTPHelpers.json(response.body)) ?? [:]) }
            #expect(polled == .ok, "\(pending)")
        }
    }

    @Test func anHTTPSigClientCannotSmuggleAJOSEBody() async throws {
        let app = try await TestServer.build(now: clock.closure)
        let signer = GNAPTestSigner(now: clock.closure)
        let request = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: signer.key)))
        )
        let wrapped = try jws(method: "POST", uri: app.engine.configuration.issuer + "/gnap", payload: request, created: clock.now)
        try await app.application.test(.router) { client in
            let (status, json) = try await post(client, body: wrapped)
            #expect(status == .unauthorized, "\(json)")
        }
    }
}
