import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The owner's policies decide derived tokens too (issue 19 item 2, docs/policy.md): a forbid at
/// AS A holds for token exchange, and one at AS B for redeeming A's JWT authorization grant.
@Suite struct OwnerPolicyChainingTests {
    typealias F = ChainingFixture

    @Test func anOwnerForbidHoldsForTokenExchange() async throws {
        let atA = try OwnerPolicy(
            text: #"@id("no-exchanged-write") forbid (principal, action == Action::"exchange", resource == Scope::"write");"#,
            source: "a.cedar"
        )
        let fixture = try await F.make(configureA: { $0.policy = atA })
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a, scope: "read write")
            let refused = try await F.exchange(a, subject: subject, extra: [("audience", F.issuerB), ("scope", "read write")])
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_scope")
            #expect(refused.description.contains("no-exchanged-write"))

            // Without a scope, the exchange carries the subject token's scope less what policy forbids.
            let exchanged = try await F.exchange(a, subject: subject)
            #expect(exchanged.status == .ok, "\(exchanged.json)")
            let grant = try #require(exchanged.json["access_token"] as? String)
            #expect(try F.claims(grant).string("scope") == "read")
        }
    }

    @Test func anOwnerForbidHoldsForJWTGrantRedemption() async throws {
        let atB = try OwnerPolicy(
            text: #"@id("no-redeemed-write") forbid (principal == Client::"app", action == Action::"redeem", resource == Scope::"write");"#,
            source: "b.cedar"
        )
        let fixture = try await F.make(configureB: { $0.policy = atB })
        try await fixture.run { a, b in
            let subject = try await F.accessToken(a, scope: "read write")
            let first = try #require(try await F.exchange(a, subject: subject).json["access_token"] as? String)
            let refused = try await F.redeem(b, grant: first, extra: [("scope", "read write")])
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_scope")
            #expect(refused.description.contains("no-redeemed-write"))

            let second = try #require(try await F.exchange(a, subject: subject).json["access_token"] as? String)
            let redeemed = try await F.redeem(b, grant: second)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(try F.claims(try #require(redeemed.json["access_token"] as? String)).string("scope") == "read")
        }
    }
}
