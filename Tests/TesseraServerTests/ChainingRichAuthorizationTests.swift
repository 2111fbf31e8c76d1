import Foundation
import HTTPTypes
import Testing
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting

/// `authorization_details` with the Cedar profile through token exchange (RFC 8693) and the
/// jwt-bearer grant (RFC 7523): decided and narrowed by the issuing AS's own policies.
@Suite struct ChainingRichAuthorizationTests {
    typealias F = ChainingFixture

    static func policySet(_ response: F.Response) -> String? {
        ((response.json["authorization_details"] as? [[String: Any]])?.first)?["policySet"] as? String
    }

    @Test func exchangeAndRedeemDecideDetailsWithTheirOwnPolicies() async throws {
        let fixture = try await F.make(
            configureA: { $0.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app") },
            configureB: { $0.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app") }
        )
        let figure2 = SeedFigures.json(SeedFigures.figure2)
        try await fixture.run { a, b in
            let token = try await F.accessToken(a)
            // A local exchange: the new token carries the narrowed set (cancel dropped by A's policies).
            let local = try await F.exchange(a, subject: token, extra: [("authorization_details", figure2)])
            #expect(local.status == .ok, "\(local.json)")
            let granted = try #require(Self.policySet(local))
            #expect(!granted.contains("cancel"))
            #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: local.json["access_token"] as! String).payload)
            #expect(claims.authorizationDetails?.count == 1)

            // Another client is not delegated anything by A's policies.
            let otherToken = try await F.accessToken(a, as: "other")
            let refused = try await F.exchange(a, subject: otherToken, as: "other", extra: [("authorization_details", figure2)])
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_authorization_details")

            // Details are not smuggled into a grant for a peer AS.
            let toPeer = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("authorization_details", figure2)])
            #expect(toPeer.error == "invalid_authorization_details")
            #expect(toPeer.description.contains("peer AS"))

            // B decides them itself when the grant is redeemed.
            let exchanged = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("scope", "read")])
            let grant = try #require(exchanged.json["access_token"] as? String)
            let redeemed = try await F.redeem(b, grant: grant, extra: [("authorization_details", SeedFigures.json(SeedFigures.figure3))])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let accounts = try #require(Self.policySet(redeemed))
            #expect(try BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_balances")))
            #expect(try !BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_transactions")))
        }
    }
}
