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

/// The owner's policies may read the facts of a redeemed peer grant (`context.chaining`, issue 19
/// item 2): the vocabulary declares them, so `policy.file` validates and the rule holds over HTTP.
@Suite struct OwnerPolicyChainingContextTests {
    typealias F = ChainingFixture

    static let forbidA = #"""
        @id("no-grants-from-a")
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining has issuer && context.chaining.issuer == "https://as-a.test" };
        """#

    @Test func anOwnerForbidByThePeerGrantsIssuerRefusesItsRedemption() async throws {
        let atB = try OwnerPolicy(text: Self.forbidA, source: "b.cedar")
        let fixture = try await F.make(configureB: {
            $0.policy = atB
            var idp = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            idp.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            $0.chaining.peers.append(idp)
        })
        try await fixture.run { a, b in
            let subject = try await F.accessToken(a, scope: "read write")
            let grant = try #require(try await F.exchange(a, subject: subject).json["access_token"] as? String)
            let refused = try await F.redeem(b, grant: grant, extra: [("scope", "read")])
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_scope")
            #expect(refused.description.contains("no-grants-from-a"))

            // Control: another peer's grant is redeemed under the same policy set.
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let other = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60), "jti": .string("chaining-context-1"), "client_id": .string("app"), "scope": .string("read"),
            ])
            let redeemed = try await F.redeem(b, grant: other, extra: [("scope", "read")])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(try F.claims(try #require(redeemed.json["access_token"] as? String)).string("scope") == "read")
        }
    }
}
