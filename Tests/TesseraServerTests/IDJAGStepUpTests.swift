// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The IdP's step-up for ID-JAGs over `/token` (draft-ietf-oauth-identity-assertion-authz-grant
/// §4.3.3, `step-up` branch; RFC 9470 §3 extended to token responses; digest part F.4, B.2 rule 5,
/// B.5): with a peer's `id_jag.step_up`, an ID token whose sign-in is too old (`auth_time` beyond
/// `max_age`) or too weak (`acr` not in `acr_values`) gets 400 `insufficient_user_authentication`
/// with `acr_values` / `max_age` — only when a new sign-in would succeed; otherwise the ordinary error.
@Suite struct IDJAGStepUpTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests
    static let mfa = "urn:example:mfa"

    static func make(_ stepUp: AuthenticationRequirement?) async throws -> ChainingFixture {
        try await E.make(configureA: { $0.chaining.peers[0].idJAG?.stepUp = stepUp })
    }

    /// An ID token of A for `client` that says the person signed in `age` seconds ago with `acr`.
    static func idToken(_ fixture: ChainingFixture, age: Int?, acr: String? = nil, client: String = "app") async throws -> String {
        let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
        var claims: [String: JSONValue] = [
            "iss": .string(F.issuerA), "sub": .string("alice"), "aud": .string(client), "azp": .string(client), "iat": .number(now),
            "exp": .number(now + 300),
        ]
        if let age { claims["auth_time"] = .number(now - Double(age)) }
        if let acr { claims["acr"] = .string(acr) }
        return try await E.recordedIDToken(fixture, claims)
    }

    @Test func aSignInOlderThanMaxAgeAsksForAFreshOne() async throws {
        let fixture = try await Self.make(AuthenticationRequirement(maxAge: 600))
        try await fixture.run { a, b in
            for token in [try await Self.idToken(fixture, age: 601), try await Self.idToken(fixture, age: nil)] {
                let refused = try await E.requestIDJAG(a, idToken: token)
                #expect(refused.status == .badRequest, "\(refused.json)")
                #expect(refused.error == "insufficient_user_authentication", "\(refused.json)")
                #expect(refused.json["max_age"] as? Int == 600)
                #expect(refused.json["acr_values"] == nil)
                #expect((refused.json["error_description"] as? String)?.isEmpty == false)
            }
            // A sign-in exactly max_age old is fresh enough; the ID-JAG is redeemed as always.
            let issued = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 600))
            #expect(issued.status == .ok, "\(issued.json)")
            let redeemed = try await E.redeem(b, try #require(issued.json["access_token"] as? String))
            #expect(redeemed.status == .ok, "\(redeemed.json)")
        }
    }

    @Test func aSignInOfAnotherClassAsksForAStrongerOne() async throws {
        let fixture = try await Self.make(AuthenticationRequirement(acrValues: [Self.mfa, "phr"]))
        try await fixture.run { a, _ in
            for acr in ["pwd", nil, "PHR", Self.mfa + " phr"] as [String?] {
                let refused = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 5, acr: acr))
                #expect(
                    refused.status == .badRequest && refused.error == "insufficient_user_authentication",
                    "\(acr ?? "-"): \(refused.json)"
                )
                #expect(refused.json["acr_values"] as? String == Self.mfa + " phr")
                #expect(refused.json["max_age"] == nil)
            }
            let issued = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 86_400, acr: "phr"))
            #expect(issued.status == .ok, "\(issued.json)")
            #expect(try F.claims(try #require(issued.json["access_token"] as? String)).string("acr") == "phr")
        }
    }

    @Test func bothRequirementsAreSentTogether() async throws {
        let fixture = try await Self.make(AuthenticationRequirement(acrValues: [Self.mfa], maxAge: 300))
        try await fixture.run { a, _ in
            for (age, acr) in [(301, Self.mfa), (10, "pwd")] {
                let refused = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: age, acr: acr))
                #expect(refused.error == "insufficient_user_authentication", "\(refused.json)")
                #expect(refused.json["acr_values"] as? String == Self.mfa && refused.json["max_age"] as? Int == 300)
            }
            let issued = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 300, acr: Self.mfa))
            #expect(issued.status == .ok, "\(issued.json)")
        }
    }

    /// B.2 rule 5: a request no sign-in could make succeed gets the ordinary error, even from a stale, weak sign-in.
    @Test func whatNoNewSignInCouldFixGetsTheOrdinaryError() async throws {
        let fixture = try await Self.make(AuthenticationRequirement(acrValues: [Self.mfa], maxAge: 60))
        try await fixture.run { a, _ in
            let stale = try await Self.idToken(fixture, age: 3_600, acr: "pwd")
            let resource = try await E.requestIDJAG(a, idToken: stale, extra: [("resource", "https://elsewhere.test/")])
            #expect(resource.error == "invalid_target", "\(resource.json)")
            let scope = try await E.requestIDJAG(a, idToken: stale, extra: [("resource", E.resource), ("scope", "read admin")])
            #expect(scope.error == "invalid_scope", "\(scope.json)")
            let audience = try await E.requestIDJAG(a, idToken: stale, audience: "https://unknown.test")
            #expect(audience.error == "invalid_target", "\(audience.json)")
            let notListed = try await E.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture, age: 3_600, acr: "pwd", client: "reader"),
                as: "reader"
            )
            #expect(notListed.error == "invalid_target", "\(notListed.json)")
            let anotherClients = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 3_600, client: "reader"))
            #expect(anotherClients.error == "invalid_grant", "\(anotherClients.json)")
            for refused in [resource, scope, audience, notListed, anotherClients] {
                #expect(refused.json["acr_values"] == nil && refused.json["max_age"] == nil)
            }
        }
    }

    /// Off by default: without `step_up`, `auth_time` and `acr` are carried, never checked.
    @Test func withoutStepUpTheSignInIsNotChecked() async throws {
        let fixture = try await Self.make(nil)
        try await fixture.run { a, _ in
            for token in [try await Self.idToken(fixture, age: 864_000, acr: "pwd"), try await Self.idToken(fixture, age: nil)] {
                let issued = try await E.requestIDJAG(a, idToken: token)
                #expect(issued.status == .ok, "\(issued.json)")
            }
        }
    }

    /// Step-up belongs to the peer it is configured for: another audience of the same IdP is not asked.
    @Test func stepUpIsPerPeer() async throws {
        let fixture = try await E.make(configureA: { configuration in
            configuration.chaining.peers[1].idJAG?.stepUp = AuthenticationRequirement(maxAge: 60)
        })
        try await fixture.run { a, _ in
            let issued = try await E.requestIDJAG(a, idToken: try await Self.idToken(fixture, age: 3_600))
            #expect(issued.status == .ok, "\(issued.json)")
        }
    }
}
