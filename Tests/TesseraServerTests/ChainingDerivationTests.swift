import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 18 item 4 at the chaining edges: a trusted issuer's subject token reaches no resource of ours
/// beyond the AS's default audience, and a key-bound JWT authorization grant (`cnf`) is redeemed only with
/// a proof of its key, over the real routes (docs/chaining.md, "Derived tokens never exceed their parent").
@Suite struct ChainingDerivationTests {
    typealias F = ChainingFixture

    @Test func aTrustedIssuersIDTokenReachesOnlyThisASsDefaultAudience() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let idToken = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerA), "azp": .string("app"),
                "iat": .number(now), "exp": .number(now + 300), "scope": .string("read"),
            ])
            let toResource = try await F.exchange(
                a,
                subject: idToken,
                type: TokenTypeIdentifier.idToken,
                extra: [("resource", "https://rs1.test/")]
            )
            #expect(toResource.status == .badRequest, "\(toResource.json)")
            #expect(toResource.error == "invalid_target")
            let untargeted = try await F.exchange(a, subject: idToken, type: TokenTypeIdentifier.idToken, extra: [])
            #expect(untargeted.status == .ok, "\(untargeted.json)")
            #expect(try F.claims(try #require(untargeted.json["access_token"] as? String)).audience == [F.issuerA])
            // Nor does it carry authorization_details of ours to narrow.
            let details = try await F.exchange(
                a,
                subject: idToken,
                type: TokenTypeIdentifier.idToken,
                extra: [("authorization_details", #"[{"type": "customer_information", "actions": ["read"]}]"#)]
            )
            #expect(details.error == "invalid_authorization_details")
        }
    }

    @Test func aKeyBoundGrantIsRedeemedOnlyWithAProofOfItsKey() async throws {
        let fixture = try await F.make(configureB: { configuration in
            var peer = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            peer.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            configuration.chaining.peers = [peer]
        })
        let key = DPoPProofSigner()
        let endpoint = fixture.b.engine.configuration.tokenEndpoint
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let grant = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60),
                "jti": .string("bound-1"), "scope": .string("read"), "client_id": .string("app"),
                "cnf": .object(["jkt": .string(key.thumbprint)]),
            ])
            func redeem(_ proof: String?) async throws -> F.Response {
                var headers = HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: "app", secret: F.secret))
                if let proof { headers[HTTPField.Name("DPoP")!] = proof }
                let body = FormParameters([("grant_type", GrantType.jwtBearer.rawValue), ("assertion", grant)]).encoded
                return try await b.execute(uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    F.Response(status: response.status, json: (try? HTTPHelpers.json(response.body)) ?? [:])
                }
            }
            let unproven = try await redeem(nil)
            #expect(unproven.error == "invalid_grant", "\(unproven.json)")
            let otherKey = try await redeem(DPoPProofSigner().proof(method: "POST", uri: endpoint, now: fixture.clock.now))
            #expect(otherKey.error == "invalid_grant", "\(otherKey.json)")
            let proven = try await redeem(key.proof(method: "POST", uri: endpoint, now: fixture.clock.now))
            #expect(proven.status == .ok, "\(proven.json)")
            #expect(proven.json["token_type"] as? String == "DPoP")
            let access = try F.claims(try #require(proven.json["access_token"] as? String))
            #expect(access.decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)
        }
    }
}
