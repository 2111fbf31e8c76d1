import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H1: a `forbid` in one Cedar `authorization_details` entry constrains every
/// entry the resource server merges with it (``TesseraResource/GrantedPolicyEnforcer`` enforces a token's
/// Cedar entries as one set), so a token derived from it (RFC 8693 exchange, refresh, ID-JAG redemption)
/// that asks for a sibling entry only must keep that forbid: it may never permit what its parent forbids
/// (RFC 8693 §2.1, RFC 9396 §7, RFC 6749 §6). Each token is judged by the RS's enforcer.
@Suite struct CedarForbidDerivationTests {
    typealias D = CedarDocsFixtures
    typealias Answer = DerivedTokenTests.Answer
    static let secret = TestClients.secret

    /// `service-a` may exchange and refresh; the AS knows the `docs` types.
    static func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
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
            configuration.authorizationDetailsTypes = D.detailTypes()
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    /// The parent: both entries granted by `client_credentials`; it denies write on "secret".
    static func parent(_ client: any TestClientProtocol, _ entries: [JSONValue]) async throws -> Answer {
        let parent = try await DerivedTokenTests.token(
            client,
            [("grant_type", "client_credentials"), ("authorization_details", D.json(entries))]
        )
        #expect(parent.status == .ok, "\(parent.json)")
        let granted = D.entries(parent.json["authorization_details"])
        #expect(granted.count == entries.count)
        #expect(!D.allows(granted, "write", "secret"), "the parent forbids write on secret")
        #expect(D.allows(granted, "write", "a"))
        return parent
    }

    /// What a derived token must still say: write on "secret" denied (the sibling's forbid), write on "a" allowed
    /// (what was asked for), read on "b" not granted (the sibling's permit was left out).
    static func expectKeepsTheForbid(_ answer: Answer) throws {
        #expect(answer.status == .ok, "\(answer.json)")
        let details = D.entries(answer.json["authorization_details"])
        #expect(!D.allows(details, "write", "secret"), "the derived token allows what its parent forbids: \(details)")
        #expect(D.allows(details, "write", "a"), "\(details)")
        let claims = try DerivedTokenTests.claims(try #require(answer.token))
        #expect(claims.authorizationDetails == details, "the token carries what the response says")
    }

    @Test func anExchangeAskingForTheSiblingEntryOnlyKeepsItsForbid() async throws {
        try await Self.withApp { client in
            let parent = try await Self.parent(client, [D.entry(D.readWriteAny), D.entry(D.denySecret)])
            let granted = D.entries(parent.json["authorization_details"])
            let child = try await DerivedTokenTests.token(
                client,
                DerivedTokenTests.exchange(try #require(parent.token), [("authorization_details", D.json([granted[0]]))])
            )
            try Self.expectKeepsTheForbid(child)
        }
    }

    @Test func aRefreshAskingForTheSiblingEntryOnlyKeepsItsForbid() async throws {
        try await Self.withApp { client in
            let parent = try await Self.parent(client, [D.entry(D.readWriteAny), D.entry(D.denySecret)])
            let granted = D.entries(parent.json["authorization_details"])
            let refresh = try #require(parent.json["refresh_token"] as? String)
            let child = try await DerivedTokenTests.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("authorization_details", D.json([granted[0]]))]
            )
            try Self.expectKeepsTheForbid(child)
        }
    }

    /// The merge scope is every Cedar entry of the token, whatever its type: an RS that accepts both types
    /// (or all, the enforcer's default) merges a `docs2` forbid with a `docs` permit.
    @Test func aForbidOfAnotherCedarTypeIsKeptForTheResourceServersThatMergeBoth() async throws {
        try await Self.withApp { client in
            let parent = try await Self.parent(client, [D.entry(D.readWriteAny), D.entry(D.denySecret, type: D.otherType)])
            let granted = D.entries(parent.json["authorization_details"])
            let child = try await DerivedTokenTests.token(
                client,
                DerivedTokenTests.exchange(try #require(parent.token), [("authorization_details", D.json([granted[0]]))])
            )
            try Self.expectKeepsTheForbid(child)
            let details = D.entries(child.json["authorization_details"])
            #expect(!D.allows(details, "write", "secret", acceptedTypes: [D.type, D.otherType]))
        }
    }
}
