import Foundation
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A peer's grant listing its scope as an `scp` array was taken item by item without RFC 6749 §3.3's character
/// check: `"\u{212A}YC"` (KELVIN SIGN) passed the client's registered `KYC` by Swift's `==` and an owner's `forbid` on
/// `Scope::"KYC"` by Cedar's byte compare, and the token carried it (security review, 2026-12-07). An `scp` array with
/// an item that is not one scope token now carries nothing.
extension ChainingEndpointTests {
    @Test func aLookAlikeScopeInAPeersScpArrayIsNotGranted() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.clients[0].scopes = "KYC read"
            configuration.policy = try OwnerPolicy(
                text: """
                    @id("no-kyc")
                    forbid (principal, action, resource == Scope::"KYC");
                    """,
                source: "owner.cedar"
            )
        })
        try await fixture.run { a, b in
            let real = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let header = try CompactJWS(parsing: real).header
            func grant(scp: [String]) async throws -> String {
                var claims = try F.claims(real).values
                claims["scope"] = nil
                claims["scp"] = .array(scp.map(JSONValue.string))
                claims["jti"] = .string(UUID().uuidString)
                return try await fixture.a.engine.keyRing.signer().sign(claims, type: header.typ)
            }
            let lookAlike = try await F.redeem(b, grant: try await grant(scp: ["\u{212A}YC", "read"]))
            let scope = (lookAlike.json["scope"] as? String) ?? ""
            #expect(!scope.unicodeScalars.contains("\u{212A}"), "\(lookAlike.json)")
            #expect(try !Scope(parsing: scope).tokens.contains { $0.utf8.elementsEqual("\u{212A}YC".utf8) }, "\(lookAlike.json)")
            // The control: a well-formed array is granted, without the scope the owner forbids.
            let plain = try await F.redeem(b, grant: try await grant(scp: ["KYC", "read"]))
            #expect(plain.json["scope"] as? String == "read", "\(plain.json)")
        }
    }
}
