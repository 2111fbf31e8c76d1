// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 18 item 4: a token derived by token exchange (RFC 8693 §2.1, §5; RFC 9700 §4.8) never
/// carries more than its subject token — rights, audiences or freedom from its key — over the real route.
@Suite struct DerivedTokenTests {
    static let secret = TestClients.secret
    static let rs1 = "https://rs1.test/"
    static let bank = "https://bank.example/"

    struct Answer {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var error: String? { json["error"] as? String }
        var token: String? { json["access_token"] as? String }
    }

    /// `service-a` (whose Cedar delegation policies allow payments) may exchange and refresh.
    static func withApp(_ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void) async throws {
        let app = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            configuration.clients = [
                ClientDefinition(
                    id: "service-a",
                    auth: "client_secret_basic",
                    secret: secret,
                    grantTypes: ["client_credentials", "refresh_token", GrantType.tokenExchange.rawValue],
                    scopes: "read write"
                )
            ]
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes()
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    static func token(_ client: any TestClientProtocol, _ form: [(String, String)], dpop: String? = nil) async throws -> Answer {
        var headers = HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: "service-a", secret: secret))
        if let dpop { headers[HTTPField.Name("DPoP")!] = dpop }
        return try await client.execute(
            uri: "/token",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) { response in
            Answer(status: response.status, json: (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    static func exchange(_ subject: String, _ extra: [(String, String)] = []) -> [(String, String)] {
        [
            ("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", subject),
            ("subject_token_type", TokenTypeIdentifier.accessToken),
        ] + extra
    }

    static func claims(_ token: String) throws -> AccessTokenClaims {
        try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
    }

    @Test func aReadOnlyTokenIsNotExchangedForAPaymentPermit() async throws {
        try await Self.withApp { client, _ in
            let readOnly = try #require(try await Self.token(client, [("grant_type", "client_credentials"), ("scope", "read")]).token)
            let attack = try await Self.token(
                client,
                Self.exchange(readOnly, [("authorization_details", SeedFigures.json(SeedFigures.figure2))])
            )
            #expect(attack.status == .badRequest, "\(attack.json)")
            #expect(attack.error == "invalid_authorization_details")
            #expect(attack.token == nil)
        }
    }

    @Test func exchangedDetailsOnlyNarrowTheSubjectTokens() async throws {
        try await Self.withApp { client, _ in
            let granted = try await Self.token(
                client,
                [("grant_type", "client_credentials"), ("authorization_details", SeedFigures.json(SeedFigures.figure2))]
            )
            let subject = try #require(granted.token)
            let parentDetails = try #require(try Self.claims(subject).authorizationDetails)
            // Without authorization_details the exchanged token keeps the subject token's, as it keeps its scope.
            let kept = try await Self.token(client, Self.exchange(subject))
            #expect(kept.status == .ok, "\(kept.json)")
            #expect(try Self.claims(try #require(kept.token)).authorizationDetails == parentDetails)
            // Asking again for the full figure 2 (with `cancel`, which the subject's set dropped) is refused.
            let wider = try await Self.token(
                client,
                Self.exchange(subject, [("authorization_details", SeedFigures.json(SeedFigures.figure2))])
            )
            #expect(wider.error == "invalid_authorization_details", "\(wider.json)")
            // Asking for exactly the subject's set is allowed.
            let same = String(decoding: try JSONEncoder().encode(parentDetails), as: UTF8.self)
            let narrowed = try await Self.token(client, Self.exchange(subject, [("authorization_details", same)]))
            #expect(narrowed.status == .ok, "\(narrowed.json)")
            #expect(try Self.claims(try #require(narrowed.token)).authorizationDetails == parentDetails)
        }
    }

    @Test func anExchangedTokenNeverReachesAnAudienceItsSubjectCouldNot() async throws {
        try await Self.withApp { client, app in
            let subject = try #require(
                try await Self.token(client, [("grant_type", "client_credentials"), ("scope", "read"), ("resource", Self.rs1)]).token
            )
            let otherResource = try await Self.token(client, Self.exchange(subject, [("resource", Self.bank)]))
            #expect(otherResource.status == .badRequest, "\(otherResource.json)")
            #expect(otherResource.error == "invalid_target")
            let ourIssuer = try await Self.token(client, Self.exchange(subject, [("audience", app.engine.configuration.issuer)]))
            #expect(ourIssuer.error == "invalid_target", "\(ourIssuer.json)")
            // No target: the subject token's audience, not the server's default.
            let untargeted = try await Self.token(client, Self.exchange(subject))
            #expect(untargeted.status == .ok, "\(untargeted.json)")
            #expect(try Self.claims(try #require(untargeted.token)).aud.values == [Self.rs1])
            let same = try await Self.token(client, Self.exchange(subject, [("resource", Self.rs1)]))
            #expect(same.status == .ok, "\(same.json)")
        }
    }

    @Test func aDPoPBoundSubjectTokenNeedsItsKeyAndStaysBound() async throws {
        try await Self.withApp { client, app in
            let endpoint = app.engine.configuration.tokenEndpoint
            let key = DPoPProofSigner()
            let bound = try await Self.token(
                client,
                [("grant_type", "client_credentials"), ("scope", "read")],
                dpop: key.proof(method: "POST", uri: endpoint, now: Fixtures.epoch)
            )
            let subject = try #require(bound.token)
            #expect(bound.json["token_type"] as? String == "DPoP")

            let unproven = try await Self.token(client, Self.exchange(subject))
            #expect(unproven.status == .badRequest, "\(unproven.json)")
            #expect(unproven.error == "invalid_dpop_proof")
            #expect(unproven.token == nil)

            let other = DPoPProofSigner()
            let wrongKey = try await Self.token(
                client,
                Self.exchange(subject),
                dpop: other.proof(method: "POST", uri: endpoint, now: Fixtures.epoch)
            )
            #expect(wrongKey.status == .badRequest, "\(wrongKey.json)")
            #expect(wrongKey.error == "invalid_request")

            let proven = try await Self.token(
                client,
                Self.exchange(subject),
                dpop: key.proof(method: "POST", uri: endpoint, now: Fixtures.epoch)
            )
            #expect(proven.status == .ok, "\(proven.json)")
            #expect(proven.json["token_type"] as? String == "DPoP")
            #expect(try Self.claims(try #require(proven.token)).cnf?.jkt == key.thumbprint)
        }
    }

    /// A refresh is a derivation too: a confidential client's DPoP-bound grant does not come back as bearer.
    @Test func aDPoPBoundGrantIsNotRefreshedIntoABearerToken() async throws {
        try await Self.withApp { client, app in
            let endpoint = app.engine.configuration.tokenEndpoint
            let key = DPoPProofSigner()
            let bound = try await Self.token(
                client,
                [("grant_type", "client_credentials"), ("scope", "read")],
                dpop: key.proof(method: "POST", uri: endpoint, now: Fixtures.epoch)
            )
            let refresh = try #require(bound.json["refresh_token"] as? String)
            let unproven = try await Self.token(client, [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(unproven.status == .badRequest, "\(unproven.json)")
            #expect(unproven.error == "invalid_dpop_proof")
            #expect(unproven.token == nil)
            let proven = try await Self.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                dpop: key.proof(method: "POST", uri: endpoint, now: Fixtures.epoch)
            )
            #expect(proven.status == .ok, "\(proven.json)")
            #expect(try Self.claims(try #require(proven.token)).cnf?.jkt == key.thumbprint)
        }
    }
}
