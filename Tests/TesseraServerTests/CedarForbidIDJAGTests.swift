import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H1 across trust domains: the access token a resource AS mints from an ID-JAG
/// that carries two Cedar entries, asked for one of them only, keeps the other's `forbid` (the RS merges
/// entries; draft-ietf-oauth-identity-assertion-authz-grant §4.4.1: at most the ID-JAG's access).
@Suite struct CedarForbidIDJAGTests {
    typealias D = CedarDocsFixtures
    typealias E = IDJAGEndpointTests

    @Test func aRedemptionAskingForTheSiblingEntryOnlyKeepsItsForbid() async throws {
        let fixture = try await E.make(
            configureA: { configuration in
                configuration.authorizationDetailsTypes = D.detailTypes()
                configuration.chaining.peers[0].idJAG?.scopes = Scope(["read", "write", D.type])
            },
            configureB: { $0.authorizationDetailsTypes = D.detailTypes() }
        )
        try await fixture.run { a, b in
            let issued = try await E.requestIDJAG(
                a,
                idToken: try await E.idToken(fixture),
                extra: [
                    ("resource", E.resource), ("scope", "read"),
                    ("authorization_details", D.json([D.entry(D.readWriteAny), D.entry(D.denySecret)])),
                ]
            )
            #expect(issued.status == .ok, "\(issued.json)")
            let carried = D.entries(issued.json["authorization_details"])
            #expect(carried.count == 2 && !D.allows(carried, "write", "secret"), "\(carried)")
            let grant = try #require(issued.json["access_token"] as? String)
            let redeemed = try await E.redeem(
                b,
                grant,
                extra: [("resource", E.resource), ("authorization_details", D.json([carried[0]]))]
            )
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let details = D.entries(redeemed.json["authorization_details"])
            #expect(!D.allows(details, "write", "secret"), "the access token allows what the ID-JAG forbids: \(details)")
            #expect(D.allows(details, "write", "a"), "\(details)")
        }
    }
}
