import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A scope the operator takes from a client is taken from the refresh families it already holds, at their next
/// refresh (review round 11, J6; RFC 6749 §6: the refreshed token is the AS's decision, within the original grant).
@Suite struct RefreshRegisteredScopeTests {
    let clock = TestClock()

    func withApp<Value: Sendable>(
        scopes: String,
        database: String,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.database = database
            configuration.clients = configuration.clients.map { definition in
                var definition = definition
                if definition.id == TestClients.secretClientID { definition.scopes = scopes }
                return definition
            }
        }
        return try await app.application.test(.router) { client in try await body(client) }
    }

    @Test func aScopeTakenFromTheClientEndsWithItsFamiliesNextRefresh() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("narrowed-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let issued = try await withApp(scopes: "read write", database: "sqlite:" + path) { client in
            let answer = try await OwnerPolicyDoorsTests.token(client, "grant_type=client_credentials&scope=read%20write").1
            #expect(answer["scope"] as? String == "read write", "\(answer)")
            return answer["refresh_token"] as? String
        }
        let refreshToken = try #require(issued)
        try await withApp(scopes: "read", database: "sqlite:" + path) { client in
            let widened = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=refresh_token&refresh_token=\(refreshToken)&scope=read%20write"
            )
            #expect(widened.0 == .badRequest, "\(widened.1)")
            #expect(widened.1["error"] as? String == "invalid_scope")
            let refreshed = try await OwnerPolicyDoorsTests.token(client, "grant_type=refresh_token&refresh_token=\(refreshToken)")
            #expect(refreshed.0 == .ok, "\(refreshed.1)")
            #expect(refreshed.1["scope"] as? String == "read")
            // The family itself is narrowed: its next refresh token no longer carries `write` either.
            let next = try #require(refreshed.1["refresh_token"] as? String)
            let again = try await OwnerPolicyDoorsTests.token(client, "grant_type=refresh_token&refresh_token=\(next)&scope=write")
            #expect(again.1["error"] as? String == "invalid_scope", "\(again.1)")
        }
    }
}
