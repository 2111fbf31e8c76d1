import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `authorization_details` with the Cedar profile through token exchange (RFC 8693) and the
/// jwt-bearer grant (RFC 7523): only ever a narrowing of what the parent token or grant carries,
/// decided and narrowed further by the issuing AS's own policies.
@Suite struct ChainingRichAuthorizationTests {
    typealias F = ChainingFixture

    static func policySet(_ response: F.Response) -> String? {
        ((response.json["authorization_details"] as? [[String: Any]])?.first)?["policySet"] as? String
    }

    @Test func exchangeAndRedeemDecideDetailsWithTheirOwnPolicies() async throws {
        let fixture = try await F.make(
            configureA: { $0.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app") },
            configureB: {
                $0.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app")
                var idp = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
                idp.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
                $0.chaining.peers.append(idp)
            }
        )
        let figure2 = SeedFigures.json(SeedFigures.figure2)
        try await fixture.run { a, b in
            let token = try await F.accessToken(a)
            // A local exchange cannot mint details its subject token does not carry.
            let minted = try await F.exchange(a, subject: token, extra: [("authorization_details", figure2)])
            #expect(minted.error == "invalid_authorization_details")
            // One that carries them (cancel dropped by A's policies at issuance) passes them on.
            let withDetails = try await F.post(a, [("grant_type", "client_credentials"), ("authorization_details", figure2)])
            let local = try await F.exchange(a, subject: try #require(withDetails.json["access_token"] as? String), extra: [])
            #expect(local.status == .ok, "\(local.json)")
            let granted = try #require(Self.policySet(local))
            #expect(!granted.contains("cancel"))
            #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
            let claims = try JSONDecoder().decode(
                AccessTokenClaims.self,
                from: try CompactJWS(parsing: local.json["access_token"] as! String).payload
            )
            #expect(claims.authorizationDetails?.count == 1)

            // Another client is not delegated anything by A's policies.
            let refused = try await F.post(a, [("grant_type", "client_credentials"), ("authorization_details", figure2)], as: "other")
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_authorization_details")

            // Details are not smuggled into a grant for a peer AS.
            let toPeer = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("authorization_details", figure2)])
            #expect(toPeer.error == "invalid_authorization_details")
            #expect(toPeer.description.contains("peer AS"))

            // A grant without details yields none at B...
            let exchanged = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("scope", "read")])
            let grant = try #require(exchanged.json["access_token"] as? String)
            let bare = try await F.redeem(b, grant: grant, extra: [("authorization_details", SeedFigures.json(SeedFigures.figure3))])
            #expect(bare.error == "invalid_authorization_details")
            // ...and a peer grant carrying them is narrowed by B's own policies when redeemed.
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let carrying = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60),
                "jti": .string("details-1"), "client_id": .string("app"),
                "authorization_details": try JSONDecoder().decode(JSONValue.self, from: Data(SeedFigures.json(SeedFigures.figure3).utf8)),
            ])
            let redeemed = try await F.redeem(b, grant: carrying, extra: [("authorization_details", SeedFigures.json(SeedFigures.figure3))])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let accounts = try #require(Self.policySet(redeemed))
            #expect(try BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_balances")))
            #expect(try !BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_transactions")))
        }
    }
}
