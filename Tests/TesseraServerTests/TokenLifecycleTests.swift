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

/// Refresh rotation, introspection and revocation through the real routes.
@Suite struct TokenLifecycleTests {
    let now = Fixtures.epoch
    let basic = TestClients.basicAuthorization()

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let epoch = now
        let app = try await TestServer.build(now: { epoch })
        try await app.application.test(.router) { client in try await body(client) }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ path: String,
        _ body: String,
        auth: String
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: path, method: .post, headers: HTTPHelpers.form(authorization: auth), body: ByteBuffer(string: body)) {
            response in
            let json = response.body.readableBytes == 0 ? [:] : try HTTPHelpers.json(response.body)
            return (response.status, json)
        }
    }

    @Test func refreshTokensRotateAndReuseRevokesTheFamily() async throws {
        let basic = basic
        try await withApp { client in
            let (_, first) = try await Self.call(client, "/token", "grant_type=client_credentials&scope=read+write", auth: basic)
            let refresh1 = try #require(first["refresh_token"] as? String)
            let access1 = try #require(first["access_token"] as? String)

            let (status2, second) = try await Self.call(
                client,
                "/token",
                "grant_type=refresh_token&refresh_token=\(refresh1)&scope=read",
                auth: basic
            )
            #expect(status2 == .ok)
            #expect(second["scope"] as? String == "read")
            let refresh2 = try #require(second["refresh_token"] as? String)
            #expect(refresh2 != refresh1)

            // The rotated-out token is reused: refused, and the whole family dies.
            let (status3, third) = try await Self.call(client, "/token", "grant_type=refresh_token&refresh_token=\(refresh1)", auth: basic)
            #expect(status3 == .badRequest)
            #expect(third["error"] as? String == "invalid_grant")
            let (_, afterReuse) = try await Self.call(client, "/token", "grant_type=refresh_token&refresh_token=\(refresh2)", auth: basic)
            #expect(afterReuse["error"] as? String == "invalid_grant")
            let (_, introspected) = try await Self.call(client, "/introspect", "token=\(access1)", auth: basic)
            #expect(introspected["active"] as? Bool == false)
        }
    }

    @Test func refreshCannotWidenScope() async throws {
        let basic = basic
        try await withApp { client in
            let (_, first) = try await Self.call(client, "/token", "grant_type=client_credentials&scope=read", auth: basic)
            let refresh = try #require(first["refresh_token"] as? String)
            let (status, body) = try await Self.call(
                client,
                "/token",
                "grant_type=refresh_token&refresh_token=\(refresh)&scope=read+write",
                auth: basic
            )
            #expect(status == .badRequest)
            #expect(body["error"] as? String == "invalid_scope")
        }
    }

    @Test func introspectionReportsActiveTokensAndRevocationEndsThem() async throws {
        let basic = basic
        try await withApp { client in
            let (_, issued) = try await Self.call(client, "/token", "grant_type=client_credentials&scope=read", auth: basic)
            let access = try #require(issued["access_token"] as? String)
            let (status, active) = try await Self.call(client, "/introspect", "token=\(access)", auth: basic)
            #expect(status == .ok)
            #expect(active["active"] as? Bool == true)
            #expect(active["client_id"] as? String == TestClients.secretClientID)
            #expect(active["scope"] as? String == "read")

            let (revokeStatus, _) = try await Self.call(client, "/revoke", "token=\(access)", auth: basic)
            #expect(revokeStatus == .ok)
            let (_, inactive) = try await Self.call(client, "/introspect", "token=\(access)", auth: basic)
            #expect(inactive as NSDictionary == ["active": false] as NSDictionary)
        }
    }

    @Test func revokingTheRefreshTokenRevokesItsAccessTokens() async throws {
        let basic = basic
        try await withApp { client in
            let (_, issued) = try await Self.call(client, "/token", "grant_type=client_credentials", auth: basic)
            let access = try #require(issued["access_token"] as? String)
            let refresh = try #require(issued["refresh_token"] as? String)
            _ = try await Self.call(client, "/revoke", "token=\(refresh)&token_type_hint=refresh_token", auth: basic)
            let (_, inactive) = try await Self.call(client, "/introspect", "token=\(access)", auth: basic)
            #expect(inactive["active"] as? Bool == false)
        }
    }

    @Test func unknownTokensRevokeQuietlyAndIntrospectInactive() async throws {
        let basic = basic
        try await withApp { client in
            let (status, _) = try await Self.call(client, "/revoke", "token=never-issued", auth: basic)
            #expect(status == .ok)
            let forged = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0.AAAA"
            let (_, body) = try await Self.call(client, "/introspect", "token=\(forged)", auth: basic)
            #expect(body["active"] as? Bool == false)
        }
    }

    @Test func introspectionRequiresClientAuthentication() async throws {
        try await withApp { client in
            try await client.execute(uri: "/introspect", method: .post, headers: HTTPHelpers.form, body: ByteBuffer(string: "token=x")) {
                response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func anotherClientCannotRevokeMyToken() async throws {
        let basic = basic
        try await withApp { client in
            let (_, issued) = try await Self.call(client, "/token", "grant_type=client_credentials", auth: basic)
            let access = try #require(issued["access_token"] as? String)
            let other = try await client.execute(
                uri: "/revoke",
                method: .post,
                headers: HTTPHelpers.form,
                body: ByteBuffer(string: "token=\(access)&client_id=service-post&client_secret=\(TestClients.secret)")
            ) { $0.status }
            #expect(other == .badRequest)
            let (_, still) = try await Self.call(client, "/introspect", "token=\(access)", auth: basic)
            #expect(still["active"] as? Bool == true)
        }
    }
}
