import Foundation
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// RFC 8414 §3.3: the `issuer` of a peer's metadata MUST be identical to the issuer it was fetched for. Compared with
/// Swift's `==`, a document naming `https://as-a.test/\u{212A}` (KELVIN SIGN) passed for the peer
/// `https://as-a.test/K`, and its keys verified that peer's grants. The two are compared byte for byte now.
extension ChainingMetadataDiscoveryTests {
    @Test func metadataNamingALookAlikeIssuerIsRefused() async throws {
        let issuer = F.issuerA + "/K"
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].issuer = issuer
            configuration.chaining.peers[0].jwksURI = nil
            configuration.chaining.peers[0].metadataURL = "https://look-alike.test/metadata"
        })
        try await fixture.run { a, b in
            let real = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            var claims = try F.claims(real).values
            claims["iss"] = .string(issuer)
            let grant = try await fixture.a.engine.keyRing.signer().sign(claims, type: try CompactJWS(parsing: real).header.typ)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.error == "invalid_grant", "\(response.json)")
            #expect(response.description.contains("another issuer"), "\(response.json)")
            #expect(response.json["access_token"] == nil)
        }
    }
}
