import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Subject assertions (RFC 9635 §3.4): once a person approved, a client that asked for
/// `assertion_formats: ["id_token"]` gets an ID token about that person, signed with the server's
/// published keys and addressed to the client instance.
extension GNAPEndpointTests {
    @Test func anApprovedGrantAnswersWithAnIDTokenAssertion() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        let body = try Self.grantBody(
            client: .value(GNAPClientInstance(key: signer.key)),
            tokens: .single(.init(access: [Self.backupRead])),
            subject: GNAPSubjectRequest(subIDFormats: ["iss_sub"], assertionFormats: ["saml2", "id_token"])
        )
        try await app.application.test(.router) { client in
            let first = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(first.json["subject"] == nil, "nothing about a person before one approved")
            let cont = try #require(first.json["continue"] as? [String: Any])
            let path = String(try #require(cont["uri"] as? String).dropFirst(app.engine.configuration.issuer.count))
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
            #expect(
                try await app.engine.gnap.decide(grantID: String(path.split(separator: "/").last ?? ""), approve: true, subject: "alice")
            )
            clock.advance(by: 6)
            let approved = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            let subject = try #require(approved.json["subject"] as? [String: Any])
            let assertions = try #require(subject["assertions"] as? [[String: Any]])
            #expect(assertions.count == 1, "saml2 is not supported, so only the id_token comes back")
            #expect(assertions[0]["format"] as? String == "id_token")
            let jws = try CompactJWS(parsing: try #require(assertions[0]["value"] as? String))
            _ = try await app.engine.keyRing.tokenVerifier().verify(jws)
            let claims = try #require(try JSONSerialization.jsonObject(with: jws.payload) as? [String: Any])
            #expect(claims["iss"] as? String == app.engine.configuration.issuer)
            #expect(claims["sub"] as? String == "alice")
            #expect(claims["aud"] as? String == (try signer.key.jwk?.thumbprint()))
            #expect((claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0) == 300)
            let discovery = try await client.execute(uri: "/gnap", method: .options) { try HTTPHelpers.json($0.body) }
            #expect(discovery["assertion_formats_supported"] as? [String] == ["id_token"])
        }
    }
}
