import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// Spellings the specifications make equivalent, and only those (ninth review, nits):
/// - RFC 7515 §4.1.9 lets a `typ` omit ONE `application/` prefix, so `application/oauth-id-jag+jwt` is an ID-JAG but
///   `application/application/oauth-id-jag+jwt` is no media type at all: it was read as an ID-JAG, every
///   `application/` being removed.
/// - RFC 3986 §3.1: a URI scheme is case-insensitive, so a peer's metadata naming `HTTPS://…` as its `jwks_uri` is
///   that key set; it was refused as "no usable jwks_uri". The origin and outbound checks stay as strict.
@Suite struct JOSESpellingTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests

    @Test func anIDJAGTypMayOmitOneApplicationPrefixAndNoMore() async throws {
        let fixture = try await E.make()
        try await fixture.run { _, b in
            for typ in ["application/oauth-id-jag+jwt", "APPLICATION/OAUTH-ID-JAG+JWT"] {
                let redeemed = try await E.redeem(b, try await E.forged(fixture, typ: typ))
                #expect(redeemed.status == .ok, "\(typ): \(redeemed.json)")
            }
            for typ in ["application/application/oauth-id-jag+jwt", "oauth-id-jag+jwt/application/", "x-application/oauth-id-jag+jwt"] {
                let refused = try await E.redeem(b, try await E.forged(fixture, typ: typ))
                #expect(refused.status == .badRequest, "\(typ): \(refused.json)")
                #expect(refused.error == "invalid_grant", "\(typ): \(refused.json)")
                #expect(refused.json["access_token"] == nil)
            }
        }
    }

    @Test func aPeersJWKSURIWithAnUpperCaseSchemeIsItsKeySet() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].jwksURI = nil
            configuration.chaining.peers[0].metadataURL = F.issuerA + "/.well-known/upper-case-scheme"
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.status == .ok, "\(response.json)")
        }
    }
}
