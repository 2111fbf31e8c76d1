import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

@Suite struct TokenEndpointTests {
    let now = Fixtures.epoch

    func post(
        _ body: String,
        authorization: String? = TestClients.basicAuthorization(),
        contentType: String = "application/x-www-form-urlencoded",
        path: String = "/token",
        check: @escaping @Sendable (TestResponse) throws -> Void
    ) async throws {
        let epoch = now
        let app = try await TestServer.build(now: { epoch })
        var headers: HTTPFields = [.contentType: contentType]
        if let authorization { headers[.authorization] = authorization }
        let requestHeaders = headers
        try await app.application.test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: requestHeaders, body: ByteBuffer(string: body)) { try check($0) }
        }
    }

    @Test func clientCredentialsWithBasicIssuesASignedJWT() async throws {
        try await post("grant_type=client_credentials&scope=read") { response in
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try HTTPHelpers.json(response.body)
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["scope"] as? String == "read")
            #expect(body["expires_in"] as? Int == 3600)
            #expect(body["refresh_token"] is String)
            let token = try #require(body["access_token"] as? String)
            let jws = try CompactJWS(parsing: token)
            #expect(jws.header.typ == "at+jwt")
            #expect(jws.header.alg == "ES256")
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: jws.payload)
            #expect(claims.sub == TestClients.secretClientID)
            #expect(claims.clientID == TestClients.secretClientID)
            #expect(claims.exp == Int(Fixtures.epoch.timeIntervalSince1970) + 3600)
        }
    }

    @Test func resourceSetsTheAudience() async throws {
        try await post("grant_type=client_credentials&resource=https%3A%2F%2Fapi.example%2F") { response in
            let token = try #require(try HTTPHelpers.json(response.body)["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
            #expect(claims.aud.values == ["https://api.example/"])
        }
    }

    @Test func clientSecretPostWorks() async throws {
        try await post("grant_type=client_credentials&client_id=service-post&client_secret=\(TestClients.secret)", authorization: nil) {
            response in
            #expect(response.status == .ok)
        }
    }

    @Test func privateKeyJWTWorks() async throws {
        let assertion = try await TestClients.assertion(audience: "http://127.0.0.1:1", now: now)
        // The issuer depends on the free port; accept the token endpoint form built from the app instead.
        let epoch = now
        let app = try await TestServer.build(now: { epoch })
        let good = try await TestClients.assertion(audience: app.engine.configuration.issuer, now: now)
        try await app.application.test(.router) { client in
            let body =
                "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
            try await client.execute(uri: "/token", method: .post, headers: HTTPHelpers.form, body: ByteBuffer(string: body + good)) {
                response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/token", method: .post, headers: HTTPHelpers.form, body: ByteBuffer(string: body + assertion)) {
                response in
                #expect(response.status == .unauthorized)
                #expect((try? HTTPHelpers.json(response.body))?["error"] as? String == "invalid_client")
            }
        }
    }

    @Test(arguments: [
        ("grant_type=password&username=a&password=b", "unsupported_grant_type"),
        ("scope=read", "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
        ("grant_type=client_credentials&scope=admin", "invalid_scope"),
        ("grant_type=client_credentials&resource=not-a-uri", "invalid_target"),
        ("grant_type=client_credentials&resource=https%3A%2F%2Fa%2F%23frag", "invalid_target"),
        ("grant_type=refresh_token&refresh_token=unknown", "invalid_grant"),
        ("grant_type=refresh_token", "invalid_request"),
        ("grant_type=client_credentials&x=%ZZ", "invalid_request"),
    ])
    func badRequestsGetTheirOAuthError(_ body: String, _ code: String) async throws {
        try await post(body) { response in
            #expect(response.status == .badRequest)
            #expect(response.headers[.cacheControl] == "no-store")
            let json = try HTTPHelpers.json(response.body)
            #expect(json["error"] as? String == code)
            #expect((json["error_description"] as? String)?.isEmpty == false)
        }
    }

    @Test(arguments: [
        TestClients.basicAuthorization(secret: "wrong-wrong-wrong-wrong-wrong-wrong"),
        TestClients.basicAuthorization(id: "unknown-client"),
        "Basic !!!not-base64!!!",
        "Basic " + Data("no-colon".utf8).base64EncodedString(),
        "Bearer abc",
    ])
    func badClientCredentialsGet401WithChallenge(_ authorization: String) async throws {
        try await post("grant_type=client_credentials", authorization: authorization) { response in
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            #expect((try? HTTPHelpers.json(response.body))?["error"] as? String == "invalid_client")
        }
    }

    @Test func nonFormContentTypeIsRefused() async throws {
        try await post(#"{"grant_type":"client_credentials"}"#, contentType: "application/json") { response in
            #expect(response.status == .badRequest)
            #expect((try? HTTPHelpers.json(response.body))?["error"] as? String == "invalid_request")
        }
    }

    @Test func oversizedBodyIsRefusedWithoutA500() async throws {
        let body = "grant_type=client_credentials&pad=" + String(repeating: "a", count: 70_000)
        try await post(body) { response in
            #expect(response.status.code < 500)
        }
    }

    @Test func twoAuthenticationMethodsAreRefused() async throws {
        try await post("grant_type=client_credentials&client_id=service-a&client_secret=\(TestClients.secret)") { response in
            #expect(response.status == .badRequest)
            #expect((try? HTTPHelpers.json(response.body))?["error"] as? String == "invalid_request")
        }
    }

    @Test func clientNotRegisteredForTheGrantIsUnauthorized() async throws {
        try await post(
            "grant_type=refresh_token&refresh_token=x&client_id=service-post&client_secret=\(TestClients.secret)",
            authorization: nil
        ) { response in
            #expect(response.status == .badRequest)
            #expect((try? HTTPHelpers.json(response.body))?["error"] as? String == "unauthorized_client")
        }
    }
}
