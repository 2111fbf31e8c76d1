import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Review round 13, L5: a token exchange issues the receiving client at most the scopes it is registered for, whatever
/// the subject token holds (RFC 8693 §2.1, RFC 6749 §3.3), as a refresh (J6) and a jwt-bearer redemption do.
@Suite struct ExchangeScopeCeilingTests {
    typealias F = ChainingFixture

    static func readOnlyImpersonator(_ configuration: inout ServerConfiguration) {
        configuration.clients = configuration.clients.map { client in
            client.id == "impersonator" ? F.client("impersonator", [GrantType.tokenExchange.rawValue], scopes: "read") : client
        }
    }

    @Test func anImpersonationClientRegisteredForReadIsNotIssuedWrite() async throws {
        let fixture = try await F.make(configureA: Self.readOnlyImpersonator)
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a, scope: "read write")
            // Nothing asked: what the subject holds, as far as the client is registered for it.
            let narrowed = try await F.exchange(a, subject: subject, as: "impersonator", extra: [])
            #expect(narrowed.status == .ok, "\(narrowed.json)")
            #expect(narrowed.json["scope"] as? String == "read", "\(narrowed.json)")
            let token = try #require(narrowed.json["access_token"] as? String)
            #expect(try F.claims(token).string("scope") == "read")
            // Asked outright: refused, naming the scope.
            let refused = try await F.exchange(a, subject: subject, as: "impersonator", extra: [("scope", "write")])
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_scope", "\(refused.json)")
            #expect((refused.json["error_description"] as? String)?.contains("write") == true, "\(refused.json)")
            // For a peer AS too: the JWT authorization grant carries no scope the client is not registered for.
            let grant = try await F.exchange(
                a,
                subject: subject,
                as: "impersonator",
                extra: [("audience", F.issuerB), ("requested_token_type", TokenTypeIdentifier.jwt)]
            )
            #expect(grant.status == .ok, "\(grant.json)")
            let assertion = try #require(grant.json["access_token"] as? String)
            let carried = try F.claims(assertion)
            #expect(carried.string("scope") == "read", "\(carried)")
            // The subject's own client, registered for both, still exchanges both.
            let own = try await F.exchange(a, subject: subject, extra: [])
            #expect(own.json["scope"] as? String == "read write", "\(own.json)")
        }
    }
}
