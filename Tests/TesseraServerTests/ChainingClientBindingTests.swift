import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 18 item 5: a JWT authorization grant minted for one client is redeemed only by that client
/// (RFC 7523 §3; draft-ietf-oauth-identity-chaining §2.3.3 `client_id`), over the real routes.
@Suite struct ChainingClientBindingTests {
    typealias F = ChainingFixture

    @Test func aGrantMintedForOneClientIsRefusedToAnother() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try F.claims(grant).string("client_id") == "app")
            let stolen = try await F.redeem(b, grant: grant, as: "reader")
            #expect(stolen.status == .badRequest, "\(stolen.json)")
            #expect(stolen.error == "invalid_grant")
            #expect(stolen.json["access_token"] == nil)
            // The refusal did not burn the grant: its own client still redeems it.
            let rightful = try await F.redeem(b, grant: grant, as: "app")
            #expect(rightful.status == .ok, "\(rightful.json)")
        }
    }

    @Test func aPeerGrantNamingItsClientInAzpIsBoundToo() async throws {
        let fixture = try await F.make(configureB: { configuration in
            var peer = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            peer.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            configuration.chaining.peers = [peer]
        })
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            func grant(_ jti: String, _ extra: [String: JSONValue]) async throws -> String {
                var claims: [String: JSONValue] = [
                    "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                    "exp": .number(now + 60), "jti": .string(jti), "scope": .string("read"),
                ]
                for (key, value) in extra { claims[key] = value }
                return try await F.signed(claims)
            }
            let forApp = try await grant("azp-1", ["azp": .string("app")])
            #expect(try await F.redeem(b, grant: forApp, as: "reader").error == "invalid_grant")
            #expect(try await F.redeem(b, grant: forApp, as: "app").status == .ok)
            // client_id wins over azp when both are present.
            let both = try await grant("both-1", ["client_id": .string("reader"), "azp": .string("app")])
            #expect(try await F.redeem(b, grant: both, as: "app").error == "invalid_grant")
            #expect(try await F.redeem(b, grant: both, as: "reader").status == .ok)
            // A peer grant naming no client is a bearer grant (docs/chaining.md): any jwt-bearer client of ours may redeem it.
            let unbound = try await grant("unbound-1", [:])
            #expect(try await F.redeem(b, grant: unbound, as: "reader").status == .ok)
        }
    }

    @Test func aJTIThatIsNotTextIsRefusedBeforeItBecomesASingleUseKey() async throws {
        // SQLite stores 'g\0x' as written, PostgreSQL refuses the NUL: one replay key, read two ways.
        let fixture = try await F.make(configureB: { configuration in
            var peer = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            peer.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            configuration.chaining.peers = [peer]
        })
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            for jti in ["g\u{0}x", "g\u{7}", "g\u{200B}", "e\u{0301}"] {
                let grant = try await F.signed([
                    "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                    "exp": .number(now + 60), "jti": .string(jti), "scope": .string("read"),
                ])
                let answer = try await F.redeem(b, grant: grant, as: "reader")
                #expect(answer.error == "invalid_grant", "\(jti.unicodeScalars.map(\.value))")
            }
        }
    }
}
