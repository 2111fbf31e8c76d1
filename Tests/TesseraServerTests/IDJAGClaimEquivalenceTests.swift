import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A claim a peer signed is compared with configured values and request parameters, which are NFC: before, Swift's `==`
/// made a claim spelled with canonically equivalent code points (`\u{212A}`, KELVIN SIGN, for `K`) match a value
/// it is not byte for byte (RFC 8259 §8.3; RFC 7519 §4.1 compares `iss`, `sub`, `aud` as case-sensitive strings).
/// A protocol claim not in Unicode Normalization Form C now makes the assertion unusable (`invalid_grant`).
extension IDJAGEndpointTests {
    static let kontakte = "https://mcp.test/Kontakte"

    /// An ID-JAG the IdP minted for `https://mcp.test/\u{212A}ontakte`, another resource byte for byte, was redeemed for
    /// the `Kontakte` resource this server serves from that IdP (draft-ietf-oauth-identity-assertion-authz-grant §4.4.1).
    @Test func anIDJAGForALookAlikeResourceIsNotRedeemedForTheResource() async throws {
        let fixture = try await Self.make(configureB: { configuration in
            configuration.chaining.peers[0].idJAG?.resources = [Self.kontakte]
        })
        try await fixture.run { _, b in
            let lookAlike = try await Self.forged(fixture, ["resource": .string("https://mcp.test/\u{212A}ontakte")])
            let refused = try await Self.redeem(b, lookAlike, extra: [("resource", Self.kontakte)])
            #expect(refused.error == "invalid_grant", "\(refused.json)")
            #expect(refused.description.contains("'resource' claim"), "\(refused.json)")
            #expect(refused.json["access_token"] == nil)
            // The control: the resource spelled as configured is redeemed.
            let exact = try await Self.forged(fixture, ["resource": .string(Self.kontakte)])
            let redeemed = try await Self.redeem(b, exact, extra: [("resource", Self.kontakte)])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
        }
    }

    /// An ID token a trusted IdP issued to `\u{212A}iosk`, another client, was exchanged for an ID-JAG by the client
    /// `Kiosk` (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3: the token's audience is the requesting client).
    @Test func anIDTokenForALookAlikeClientIsNotExchangedByTheClient() async throws {
        let fixture = try await Self.make(configureA: { configuration in
            configuration.clients.append(F.client("Kiosk", [GrantType.tokenExchange.rawValue]))
            configuration.chaining.peers[0].idJAG?.clients.append("Kiosk")
        })
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            func idToken(audience: String) async throws -> String {
                try await F.signed([
                    "iss": .string(F.externalIssuer), "sub": .string("bob"), "aud": .string(audience), "iat": .number(now),
                    "exp": .number(now + 300),
                ])
            }
            let refused = try await Self.requestIDJAG(a, idToken: try await idToken(audience: "\u{212A}iosk"), as: "Kiosk")
            #expect(refused.error == "invalid_grant", "\(refused.json)")
            #expect(refused.description.contains("'aud' claim"), "\(refused.json)")
            #expect(refused.json["access_token"] == nil)
            // The control: an ID token issued to `Kiosk` is exchanged.
            let issued = try await Self.requestIDJAG(a, idToken: try await idToken(audience: "Kiosk"), as: "Kiosk")
            #expect(issued.status == .ok, "\(issued.json)")
        }
    }
}
