import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Review round 13, L10: lowering the self-registration ceiling (`registration.allowed_scopes`, `allowed_grant_types`)
/// reaches the clients that registered under the higher one, at the next start (RFC 7591 §2).
@Suite struct RegistrationCeilingTests {
    typealias Registration = ClientRegistrationTests
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()

    struct Registered: Sendable {
        var basic: String
        var path: String
        var bearer: String
    }

    @Test func aLoweredCeilingNarrowsTheClientsRegisteredBefore() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ceiling-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func withApp<Value: Sendable>(
            scopes: [String],
            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
        ) async throws -> Value {
            let app = try await TestServer.build(now: clock.closure) { configuration in
                configuration.database = "sqlite:" + path
                configuration.registration.mode = .open
                configuration.registration.allowedScopes = scopes
                configuration.registration.allowedGrantTypes = [.clientCredentials]
            }
            return try await app.application.test(.router) { client in try await body(client) }
        }
        let registered = try await withApp(scopes: ["read", "write"]) { client in
            let answer = try await Registration.send(
                client,
                json: Registration.with([
                    "grant_types": ["client_credentials"], "response_types": nil, "redirect_uris": nil, "scope": "read write",
                ])
            )
            #expect(answer.status == .created, "\(answer.json)")
            let id = try #require(answer.json["client_id"] as? String)
            let secret = try #require(answer.json["client_secret"] as? String)
            let basic = TestClients.basicAuthorization(id: id, secret: secret)
            let (status, token) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "write")], auth: basic)
            #expect(status == .ok, "\(token)")
            return Registered(
                basic: basic,
                path: try Registration.path(answer),
                bearer: try #require(answer.json["registration_access_token"] as? String)
            )
        }
        try await withApp(scopes: ["read"]) { client in
            let (refused, body) = try await Flow.token(
                client,
                [("grant_type", "client_credentials"), ("scope", "write")],
                auth: registered.basic
            )
            #expect(refused == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_scope")
            let (status, token) = try await Flow.token(client, [("grant_type", "client_credentials")], auth: registered.basic)
            #expect(status == .ok, "\(token)")
            #expect(token["scope"] as? String == "read")
            // The registration the client reads back says so (RFC 7592 §2.1).
            let read = try await Registration.send(client, registered.path, method: .get, bearer: registered.bearer)
            #expect(read.json["scope"] as? String == "read", "\(read.json)")
        }
    }
}
