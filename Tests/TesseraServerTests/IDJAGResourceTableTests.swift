import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// An administrator's list of the resources an ID-JAG may name (`chaining.peers[].id_jag.resources`) binds every ID-JAG
/// between the two servers, also one that names none (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3: the IdP
/// applies its policy to the `resource` it asserts; §4.4: the resource AS accepts what its settings for that IdP allow;
/// RFC 8707 §2: `invalid_target` for a resource that is "missing"). Ninth review, G3: an ID-JAG without `resource` was
/// issued although the IdP's table was set, and redeemed at the resource AS for its default audience, a resource in
/// neither table.
@Suite struct IDJAGResourceTableTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests

    @Test func theIdPRefusesAnIDJAGWithoutResourceWhenItsTableIsSet() async throws {
        let fixture = try await E.make()
        try await fixture.run { a, _ in
            // B's table lists two resources: the ID-JAG must name one of them (this was 200 with no `resource`).
            let unnamed = try await E.requestIDJAG(a, idToken: try await E.idToken(fixture), extra: [("scope", "read")])
            #expect(unnamed.status == .badRequest, "\(unnamed.json)")
            #expect(unnamed.error == "invalid_target", "\(unnamed.json)")
            #expect(unnamed.json["access_token"] == nil)
            // The same request naming a listed resource is issued.
            #expect(try await E.requestIDJAG(a, idToken: try await E.idToken(fixture)).status == .ok)
            // C's table is empty: its ID-JAGs name no resource, as before.
            let forC = try await E.requestIDJAG(a, idToken: try await E.idToken(fixture), audience: F.issuerC, extra: [])
            #expect(forC.status == .ok, "\(forC.json)")
            #expect(try F.claims(try #require(forC.json["access_token"] as? String))["resource"] == nil)
        }
    }

    @Test func aSingleListedResourceIsNotChosenForTheClient() async throws {
        // One resource listed: still refused, so an ID-JAG never asserts a resource its client did not ask for.
        let fixture = try await E.make(configureA: { $0.chaining.peers[0].idJAG?.resources = [E.resource] })
        try await fixture.run { a, _ in
            let unnamed = try await E.requestIDJAG(a, idToken: try await E.idToken(fixture), extra: [("scope", "read")])
            #expect(unnamed.error == "invalid_target", "\(unnamed.json)")
        }
    }

    @Test func theResourceASRefusesAnIDJAGWithoutResourceWhenItsTableIsSet() async throws {
        let fixture = try await E.make()
        try await fixture.run { _, b in
            // Signed by the trusted IdP, with no `resource` (this was 200, `aud` B's default audience).
            for extra in [[], [("resource", E.resource)]] {
                let unnamed = try await E.forged(fixture, ["resource": nil])
                let redeemed = try await E.redeem(b, unnamed, extra: extra)
                #expect(redeemed.status == .badRequest, "\(redeemed.json)")
                #expect(redeemed.error == "invalid_target", "\(redeemed.json)")
                #expect(redeemed.json["access_token"] == nil)
            }
            // The refusal spent nothing: an ID-JAG naming the listed resource is redeemed.
            #expect(try await E.redeem(b, try await E.forged(fixture)).status == .ok)
        }
    }

    @Test func theResourceASWithAnEmptyTableKeepsItsDefaultAudience() async throws {
        let fixture = try await E.make(configureB: { $0.chaining.peers[0].idJAG?.resources = [] })
        try await fixture.run { _, b in
            let redeemed = try await E.redeem(b, try await E.forged(fixture, ["resource": nil]), extra: [])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(try F.claims(try #require(redeemed.json["access_token"] as? String)).audience.isEmpty == false)
        }
    }
}
