import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

@Suite struct DiscoveryTests {
    @Test func metadataListsExactlyWhatIsImplemented() async throws {
        let app = try await TestServer.build()
        let issuer = app.engine.configuration.issuer
        try await app.application.test(.router) { client in
            try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                #expect(response.status == .ok)
                let metadata = try JSONDecoder().decode(AuthorizationServerMetadata.self, from: Data(buffer: response.body))
                #expect(metadata.issuer == issuer)
                #expect(metadata.tokenEndpoint == issuer + "/token")
                #expect(metadata.jwksURI == issuer + "/jwks")
                // Token exchange works within the domain without configuration; jwt-bearer needs a trusted peer.
                #expect(
                    Set(metadata.grantTypesSupported)
                        == ["authorization_code", "client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"]
                )
                #expect(metadata.identityChainingRequestedTokenTypesSupported == nil)
                #expect(
                    Set(metadata.tokenEndpointAuthMethodsSupported) == [
                        "client_secret_basic", "client_secret_post", "private_key_jwt", "none",
                    ]
                )
                #expect(!metadata.tokenEndpointAuthSigningAlgValuesSupported.contains("none"))
            }
        }
    }

    /// OpenID Connect Discovery 1.0 §3 (`prompt_values_supported`, as amended by Initiating User Registration §4.1):
    /// exactly the `prompt` values `/authorize` acts on (OpenID Connect Core §3.1.2.1), on both metadata routes.
    @Test(arguments: ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"])
    func metadataListsThePromptValuesAuthorizeHonours(path: String) async throws {
        let app = try await TestServer.build()
        try await app.application.test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let values = try #require(object["prompt_values_supported"] as? [String])
                #expect(values.sorted() == ["consent", "login", "none"])
            }
        }
    }

    @Test func jwksPublishesPublicKeysOnly() async throws {
        let app = try await TestServer.build()
        try await app.application.test(.router) { client in
            try await client.execute(uri: "/jwks", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(!text.contains("\"d\""))
                let set = try JSONDecoder().decode(PublicJWKSet.self, from: Data(buffer: response.body))
                #expect(set.keys.count == 1)
                #expect(set.keys[0].alg == "ES256")
            }
        }
    }

    @Test func rotatedKeysArePublishedAtOnceSignAfterThePublishDelayAndOldOnesStayPublished() async throws {
        let clock = TestClock()
        let app = try await TestServer.build(now: clock.closure)
        let old = try await app.engine.keyRing.signer().kid
        let (new, _) = try await app.engine.keyRing.rotate()
        #expect(old != new)
        #expect(Set(await app.engine.keyRing.jwks().keys.compactMap(\.kid)) == [old, new])
        #expect(try await app.engine.keyRing.signer().kid == old)
        clock.advance(by: ServerConfiguration().keys.publishDelay)
        #expect(try await app.engine.keyRing.signer().kid == new)
        #expect(Set(await app.engine.keyRing.jwks().keys.compactMap(\.kid)) == [old, new])
    }

    @Test func healthReadinessAndMetrics() async throws {
        let app = try await TestServer.build()
        // Live: /metrics answers loopback peers only, and the router test transport has no peer address.
        try await app.application.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/token",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization()),
                body: ByteBuffer(string: "grant_type=client_credentials")
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"tessera_tokens_issued_total{grant_type="client_credentials"} 1"#))
                #expect(text.contains("tessera_http_request_duration_seconds"))
            }
        }
    }
}
