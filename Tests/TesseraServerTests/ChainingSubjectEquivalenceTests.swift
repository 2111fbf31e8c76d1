import Foundation
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A peer's subject is mapped by its exact spelling (draft-ietf-oauth-identity-chaining §2.5; RFC 8259 §8.3): before,
/// the map was a Swift `Dictionary`, so a grant for `\u{212A}im` (KELVIN SIGN), a different account at the peer, was
/// mapped to the local identity configured for `Kim`. A subject not in Unicode Normalization Form C is refused.
extension ChainingEndpointTests {
    @Test func aPeerSubjectSpelledEquivalentlyIsNotMappedToAnother() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].inbound.requireSubjectMapping = true
            configuration.chaining.peers[0].inbound.subjectMap = ["Kim": "kim@b", "app": "app@a"]
        })
        try await fixture.run { a, b in
            // A real grant from A, its subject replaced and signed again with A's key (as A would for that account).
            let real = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let header = try CompactJWS(parsing: real).header
            func grant(subject: String) async throws -> String {
                var claims = try F.claims(real).values
                claims["sub"] = .string(subject)
                claims["jti"] = .string(UUID().uuidString)
                return try await fixture.a.engine.keyRing.signer().sign(claims, type: header.typ)
            }
            let equivalent = try await F.redeem(b, grant: try await grant(subject: "\u{212A}im"))
            #expect(equivalent.error == "invalid_grant", "\(equivalent.json)")
            #expect(equivalent.json["access_token"] == nil)
            // The control: the exact spelling is mapped.
            let exact = try await F.redeem(b, grant: try await grant(subject: "Kim"))
            let token = try #require(exact.json["access_token"] as? String, "\(exact.json)")
            #expect(try F.claims(token).string("sub") == "kim@b")
        }
    }
}
