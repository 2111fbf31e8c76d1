import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// An ID-JAG never outlives the ID token it is minted from (draft-ietf-oauth-identity-assertion-authz-grant
/// §4.3; as every derived token here, RFC 8693 §2.1: `DerivedTokenRules.expiry`): its `exp` and `expires_in`
/// are capped at the ID token's `exp`.
@Suite struct IDJAGExpiryCapTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests

    @Test func anIDJAGExpiresNoLaterThanItsIDToken() async throws {
        let fixture = try await E.make()
        try await fixture.run { a, _ in
            let idToken = try await E.idToken(fixture)
            let idTokenExpiry = try #require(try F.claims(idToken).numericDate("exp"))
            // 60 s of the ID token's 300 s are left: the ID-JAG gets those, not its own 300 s.
            fixture.clock.advance(by: 240)
            let issued = try await E.requestIDJAG(a, idToken: idToken)
            #expect(issued.status == .ok, "\(issued.json)")
            #expect(issued.json["expires_in"] as? Int == 60, "\(issued.json)")
            let claims = try F.claims(try #require(issued.json["access_token"] as? String))
            #expect(claims.numericDate("exp") == idTokenExpiry)
        }
    }
}
