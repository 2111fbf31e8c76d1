// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// An owner's rule on a rich authorization type (RFC 9396 §2) holds for the jwt-bearer grant (RFC 7523) too: the
/// `authorization_details` a peer's grant carries are asked of the one decision point by type, as at every other door.
@Suite struct ChainingRichTypeTests {
    typealias F = ChainingFixture

    @Test func anOwnersForbidOnARichTypeRefusesItAtJWTBearer() async throws {
        let owner = try OwnerPolicy(
            text: "forbid (principal, action, resource == Scope::\"account_information\");",
            source: "owner.cedar"
        )
        let fixture = try await F.make(configureB: {
            $0.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app")
            var idp = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            idp.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            $0.chaining.peers.append(idp)
            $0.policy = owner
        })
        let details = SeedFigures.json(SeedFigures.figure3)
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let grant = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60), "jti": .string("owner-type-1"), "client_id": .string("app"),
                "authorization_details": try JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)),
            ])
            // It was granted: the jwt-bearer grant never asked the decision point about the entries' types.
            let refused = try await F.redeem(b, grant: grant, extra: [("authorization_details", details)])
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_authorization_details", "\(refused.json)")
            #expect(refused.description.contains("owner.cedar"))
            // The same grant without the forbidden details is still redeemed (the refusal did not spend it).
            let plain = try await F.redeem(b, grant: grant)
            #expect(plain.status == .ok, "\(plain.json)")
        }
    }
}
