import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A derived token's rich authorization entries go to its client only if that client may hold their type now
/// (review round 11, J13 and J6): an exchange by another client (impersonation), and a refresh after the operator has
/// taken the type from the client, are refused like a request of its own (`invalid_authorization_details`).
@Suite struct DerivedDetailsClientTests {
    typealias F = ChainingFixture
    static let files = #"[{"type":"files","actions":["read"]}]"#

    @Test func anExchangeByAnotherClientDoesNotHandOverATypeItMayNotHold() async throws {
        let fixture = try await F.make(configureA: {
            $0.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files", clients: ["app"])]
        })
        try await fixture.run { a, _ in
            let issued = try await F.post(
                a,
                [("grant_type", "client_credentials"), ("scope", "read"), ("authorization_details", Self.files)]
            )
            let subject = try #require(issued.json["access_token"] as? String, "\(issued.json)")
            let refused = try await F.exchange(a, subject: subject, as: "impersonator", extra: [])
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_authorization_details", "\(refused.json)")
            // Its own client still exchanges it, entries and all.
            let own = try await F.exchange(a, subject: subject, extra: [])
            #expect(own.status == .ok, "\(own.json)")
            #expect((own.json["authorization_details"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func aTypeTakenFromTheClientEndsAtItsFamiliesNextRefresh() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("types-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock()
        func withApp<Value: Sendable>(
            clients: [String],
            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
        ) async throws -> Value {
            let app = try await TestServer.build(now: clock.closure) { configuration in
                configuration.database = "sqlite:" + path
                configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files", clients: clients)]
            }
            return try await app.application.test(.router) { client in try await body(client) }
        }
        let refreshToken = try await withApp(clients: [TestClients.secretClientID]) { client in
            let body = "grant_type=client_credentials&scope=read&authorization_details=\(FormParameters.encode(Self.files))"
            let issued = try await OwnerPolicyDoorsTests.token(client, body)
            #expect(issued.0 == .ok, "\(issued.1)")
            return issued.1["refresh_token"] as? String
        }
        let token = try #require(refreshToken)
        try await withApp(clients: ["someone-else"]) { client in
            let refused = try await OwnerPolicyDoorsTests.token(client, "grant_type=refresh_token&refresh_token=\(token)")
            #expect(refused.0 == .badRequest, "\(refused.1)")
            #expect(refused.1["error"] as? String == "invalid_authorization_details")
        }
    }
}
