import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// An issuer with a path (`https://as.example.com/tenant1`) through the real routes: the metadata
/// where RFC 8414 §3.1, OpenID Connect Discovery §4 and the MCP clients look for it, the endpoints
/// below the path, and GNAP signatures over the target the client sent (RFC 9421 `@target-uri`).
@Suite struct IssuerPathTests {
    static let issuer = "https://as.example.com/tenant1"
    let clock = TestClock()

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await TestServer.build(now: clock.closure) { $0.issuer = Self.issuer }
        try await app.application.test(.router) { client in try await body(client) }
    }

    @Test(arguments: [
        "/.well-known/oauth-authorization-server/tenant1", "/.well-known/openid-configuration/tenant1",
        "/tenant1/.well-known/openid-configuration",
    ])
    func theMetadataIsWhereClientsLookForAPathIssuer(_ path: String) async throws {
        try await withApp { client in
            let document = try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                return try HTTPHelpers.json(response.body)
            }
            #expect(document["issuer"] as? String == Self.issuer)
            #expect(document["token_endpoint"] as? String == Self.issuer + "/token")
            #expect(document["jwks_uri"] as? String == Self.issuer + "/jwks")
        }
    }

    /// Another tenant's name is not ours; a query string survives the path being taken off.
    @Test func anotherPathIsNotThisIssuer() async throws {
        try await withApp { client in
            for path in [
                "/.well-known/oauth-authorization-server/tenant2", "/.well-known/oauth-authorization-server/tenant1/x", "/tenant2/jwks",
            ] {
                let status = try await client.execute(uri: path, method: .get) { $0.status }
                #expect(status == .notFound, "\(path)")
            }
            let keys = try await client.execute(uri: "/tenant1/jwks?x=1", method: .get) { $0.status }
            #expect(keys == .ok)
        }
    }

    /// The token endpoint below the path issues tokens whose `iss` is the issuer, path included.
    @Test func theTokenEndpointBelowThePathIssuesTokensOfThePathIssuer() async throws {
        try await withApp { client in
            let response = try await client.execute(
                uri: "/tenant1/token",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization()),
                body: ByteBuffer(string: "grant_type=client_credentials&scope=read")
            ) { ($0.status, try HTTPHelpers.json($0.body)) }
            #expect(response.0 == .ok, "\(response.1)")
            let access = try #require(response.1["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: access).payload)
            #expect(claims.iss == Self.issuer)
        }
    }

    /// A GNAP request signed for `<issuer>/gnap` is accepted there: the signature base uses the
    /// target as sent, not the routed one. The same signature presented at `/gnap` does not verify.
    @Test func aGNAPSignatureCoversTheTargetWithThePath() async throws {
        let signer = GNAPTestSigner(now: clock.closure)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(accessToken: .single(.init(access: ["photos"])), client: .value(GNAPClientInstance(key: signer.key)))
        )
        try await withApp { client in
            let atRoot = try signer.headers(method: "POST", url: Self.issuer + "/gnap", body: body)
            let misdirected = try await client.execute(uri: "/gnap", method: .post, headers: atRoot, body: ByteBuffer(bytes: body)) {
                $0.status
            }
            #expect(misdirected == .unauthorized)
            let headers = try signer.headers(method: "POST", url: Self.issuer + "/gnap", body: body)
            let response = try await client.execute(uri: "/tenant1/gnap", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
                ($0.status, (try? HTTPHelpers.json($0.body)) ?? [:])
            }
            #expect(response.0 == .ok, "\(response.1)")
        }
    }
}
