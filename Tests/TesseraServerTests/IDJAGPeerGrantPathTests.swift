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

/// A peer with an `id_jag:` block is reached only through ID-JAGs, under that block's rules, on both sides
/// (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3: the IdP applies its administrator's policy to
/// every identity assertion it issues for a resource AS; §4.4: the resource AS accepts what that IdP's
/// settings allow). Eighth review, F6: a client refused an ID-JAG for the peer asked for a plain JWT
/// authorization grant (`requested_token_type` jwt) for the same peer instead and got one carrying every
/// scope of its token, which the resource AS redeemed outside `id_jag.resources`; and the resource AS
/// ignored `id_jag.scopes`.
@Suite struct IDJAGPeerGrantPathTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests

    @Test func aPlainJWTGrantForAnIDJAGPeerIsRefusedAtTheIdP() async throws {
        let fixture = try await E.make()
        try await fixture.run { a, _ in
            // `reader` may have no ID-JAG for B (not in id_jag.clients) …
            let idJAG = try await E.requestIDJAG(a, idToken: try await E.idToken(fixture, client: "reader"), as: "reader")
            #expect(idJAG.error == "invalid_target", "\(idJAG.json)")
            // … nor, with its own access token, a plain JWT grant for the same peer (this was 200, scope "read write").
            let subject = try await F.accessToken(a, as: "reader", scope: "read write")
            for requested in [TokenTypeIdentifier.jwt, nil] {
                let plain = try await F.exchange(
                    a,
                    subject: subject,
                    as: "reader",
                    extra: [("audience", F.issuerB)] + (requested.map { [("requested_token_type", $0)] } ?? [])
                )
                #expect(plain.status == .badRequest, "\(plain.json)")
                #expect(plain.error == "invalid_target", "\(plain.json)")
                #expect(plain.json["access_token"] == nil)
            }
            // A client the ID-JAG rules permit gets no plain grant either: the ID-JAG is the one way to that peer.
            let permitted = try await F.exchange(a, subject: try await F.accessToken(a, scope: "read"), extra: [("audience", F.issuerB)])
            #expect(permitted.error == "invalid_target", "\(permitted.json)")
        }
    }

    @Test func metadataOffersNoPlainGrantWhenEveryPeerIsAnIDJAGPeer() async throws {
        let fixture = try await E.make()
        try await fixture.run { a, _ in
            try await a.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                let metadata = try HTTPHelpers.json(response.body)
                // Both of A's peers have id_jag: the JWT grant type was listed although no peer could get one.
                #expect(metadata["identity_chaining_requested_token_types_supported"] as? [String] == [TokenTypeIdentifier.idJAG])
            }
        }
    }

    @Test func aRedeemBlockBesideIDJAGRefusesTheStart() throws {
        let yaml = """
            chaining:
              peers:
                - name: b
                  issuer: https://b.test
                  redeem: {client_id: a, authentication: private_key_jwt, token_endpoint: https://b.test/token}
                  id_jag: {resources: [https://mcp.test]}
            """
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            let refusal = error as? ConfigurationError
            return refusal?.field == "chaining.peers[0].redeem" && "\(error)".contains("ID-JAGs only")
        }
    }

    @Test func anIDJAGPeersPlainJWTGrantIsRefusedAtTheResourceAS() async throws {
        let fixture = try await E.make()
        try await fixture.run { _, b in
            // Signed by the IdP's own key, as x4.py's step 3: a `typ: JWT` grant without `resource`, and one without `typ`.
            for typ in ["JWT", ""] {
                let plain = try await E.forged(fixture, typ: typ, ["resource": nil, "scope": .string("read write")])
                let redeemed = try await E.redeem(b, plain, extra: [])
                #expect(redeemed.status == .badRequest, "\(redeemed.json)")
                #expect(redeemed.error == "invalid_grant", "\(redeemed.json)")
                #expect(redeemed.json["access_token"] == nil)
            }
            // The same IdP's ID-JAG is still redeemed.
            #expect(try await E.redeem(b, try await E.forged(fixture)).status == .ok)
        }
    }

    @Test func theResourceASCapsAnIDJAGAtItsIDJAGScopes() async throws {
        let fixture = try await E.make(configureB: { $0.chaining.peers[0].idJAG?.scopes = Scope(["read"]) })
        try await fixture.run { a, b in
            let grant = try await E.idJAG(a, fixture, extra: [("resource", E.resource), ("scope", "read write")])
            #expect(try F.claims(grant).scope == Scope(["read", "write"]))
            let redeemed = try await E.redeem(b, grant)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            // `write` is not among B's id_jag.scopes for this IdP (it was granted: the setting was ignored here).
            #expect(redeemed.json["scope"] as? String == "read", "\(redeemed.json)")
            let token = try #require(redeemed.json["access_token"] as? String)
            #expect(try F.claims(token).scope == Scope(["read"]))
            // Asked for explicitly, it is refused.
            let asked = try await E.redeem(
                b,
                try await E.idJAG(a, fixture, extra: [("resource", E.resource), ("scope", "read write")]),
                extra: [("resource", E.resource), ("scope", "write")]
            )
            #expect(asked.error == "invalid_scope", "\(asked.json)")
        }
    }
}
