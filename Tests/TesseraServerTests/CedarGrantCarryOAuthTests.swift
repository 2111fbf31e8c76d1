import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H8 at the OAuth door: a token derived from one carrying Cedar entries (RFC 8693
/// exchange, refresh, ID-JAG redemption) that keeps a scope is still decided by the parent's Cedar entries of
/// every type at a resource server with a default grant for tokens without a Cedar grant of its type (the MCP
/// example). Asking for a scope alone keeps every entry (as before); asking for the entries of one type keeps
/// the parent's entries of each type left out (RFC 8693 §2.1, RFC 9396 §7: never more than the parent).
@Suite struct CedarGrantCarryOAuthTests {
    typealias D = CedarDocsFixtures
    typealias G = CedarGrantCarryGNAPTests

    /// The parent, by `client_credentials` for `read write` with `entries`.
    static func parent(_ client: any TestClientProtocol, _ entries: [JSONValue]) async throws -> DerivedTokenTests.Answer {
        let parent = try await DerivedTokenTests.token(
            client,
            [("grant_type", "client_credentials"), ("scope", "read write"), ("authorization_details", D.json(entries))]
        )
        #expect(parent.status == .ok, "\(parent.json)")
        #expect(!G.allowsWithDefaultGrant(D.entries(parent.json["authorization_details"]), "read", "b"))
        return parent
    }

    /// The child's details (the response's, equal to the token's) judged at the default-grant RS for each type.
    static func expectDecidedByTheParentsGrants(_ answer: DerivedTokenTests.Answer, otherType: Bool = false) throws {
        #expect(answer.status == .ok, "\(answer.json)")
        #expect(answer.json["scope"] as? String == "read", "\(answer.json)")
        let details = D.entries(answer.json["authorization_details"])
        #expect(G.allowsWithDefaultGrant(details, "read", "a"), "\(details)")
        #expect(!G.allowsWithDefaultGrant(details, "read", "b"), "the token falls back to the default grant: \(details)")
        if otherType {
            #expect(G.allowsWithDefaultGrant(details, "read", "c", type: D.otherType), "\(details)")
            #expect(!G.allowsWithDefaultGrant(details, "read", "b", type: D.otherType), "falls back for docs2: \(details)")
        }
        let claims = try DerivedTokenTests.claims(try #require(answer.token))
        #expect(claims.authorizationDetails == details, "the token carries what the response says")
    }

    static let both = [D.entry(G.readA), D.entry(G.readC, type: D.otherType)]

    /// The control of rx6: asking for a scope only keeps the subject token's entries (held before the fix).
    @Test func anExchangeAskingOnlyForAScopeKeepsTheEntries() async throws {
        try await CedarForbidDerivationTests.withApp { client in
            let parent = try await Self.parent(client, Self.both)
            let child = try await DerivedTokenTests.token(
                client,
                DerivedTokenTests.exchange(try #require(parent.token), [("scope", "read")])
            )
            try Self.expectDecidedByTheParentsGrants(child, otherType: true)
        }
    }

    /// A refresh for a narrower scope without `authorization_details` keeps the grant's entries (held before).
    @Test func aRefreshForANarrowerScopeKeepsTheEntries() async throws {
        try await CedarForbidDerivationTests.withApp { client in
            let parent = try await Self.parent(client, Self.both)
            let refresh = try #require(parent.json["refresh_token"] as? String)
            let child = try await DerivedTokenTests.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", "read")]
            )
            try Self.expectDecidedByTheParentsGrants(child, otherType: true)
        }
    }

    @Test func anExchangeAskingForOneTypeKeepsTheParentsGrantOfTheOther() async throws {
        try await CedarForbidDerivationTests.withApp { client in
            let parent = try await Self.parent(client, Self.both)
            let granted = D.entries(parent.json["authorization_details"])
            let child = try await DerivedTokenTests.token(
                client,
                DerivedTokenTests.exchange(
                    try #require(parent.token),
                    [("scope", "read"), ("authorization_details", D.json([granted[0]]))]
                )
            )
            try Self.expectDecidedByTheParentsGrants(child, otherType: true)
        }
    }

    @Test func aRefreshAskingForOneTypeKeepsTheGrantsEntriesOfTheOther() async throws {
        try await CedarForbidDerivationTests.withApp { client in
            let parent = try await Self.parent(client, Self.both)
            let granted = D.entries(parent.json["authorization_details"])
            let refresh = try #require(parent.json["refresh_token"] as? String)
            let child = try await DerivedTokenTests.token(
                client,
                [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", "read"),
                    ("authorization_details", D.json([granted[0]])),
                ]
            )
            try Self.expectDecidedByTheParentsGrants(child, otherType: true)
        }
    }

    /// RFC 7523: a peer's assertion carrying Cedar entries, redeemed for its scope only. A plain jwt-bearer grant's
    /// details are carried only when asked for, but a token that keeps the scope is still decided by the grant's
    /// Cedar entries, never by a resource server's default grant.
    @Test func aJWTBearerRedemptionAskingOnlyForAScopeKeepsTheGrantsCedarEntries() async throws {
        typealias F = ChainingFixture
        let fixture = try await F.make(configureB: {
            $0.authorizationDetailsTypes = D.detailTypes()
            var idp = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            idp.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            $0.chaining.peers.append(idp)
        })
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let assertion = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60), "jti": .string("carry-1"), "client_id": .string("app"), "scope": .string("read"),
                "authorization_details": .array(Self.both),
            ])
            let redeemed = try await F.redeem(b, grant: assertion, extra: [("scope", "read")])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(redeemed.json["scope"] as? String == "read", "\(redeemed.json)")
            let details = D.entries(redeemed.json["authorization_details"])
            #expect(!G.allowsWithDefaultGrant(details, "read", "b"), "falls back to the default grant: \(details)")
            #expect(!G.allowsWithDefaultGrant(details, "read", "b", type: D.otherType), "falls back for docs2: \(details)")
            #expect(G.allowsWithDefaultGrant(details, "read", "c", type: D.otherType), "\(details)")
        }
    }

    /// ID-JAG: the redemption asks only for the scope (the MCP SDK's leg 2 sends no details): every entry kept.
    @Test func anIDJAGRedemptionAskingOnlyForAScopeKeepsTheEntries() async throws {
        try await Self.redeem(asking: nil)
    }

    /// ID-JAG: the redemption asks for the scope and the `docs` entry: the `docs2` entry is kept too.
    @Test func anIDJAGRedemptionAskingForOneTypeKeepsTheOther() async throws {
        try await Self.redeem(asking: 0)
    }

    /// Redeems an ID-JAG carrying ``both`` at the resource AS for `read`, with the carried entry `asking` if any.
    static func redeem(asking index: Int?) async throws {
        typealias E = IDJAGEndpointTests
        let fixture = try await E.make(
            configureA: { configuration in
                configuration.authorizationDetailsTypes = D.detailTypes()
                configuration.chaining.peers[0].idJAG?.scopes = Scope(["read", "write", D.type, D.otherType])
            },
            configureB: { $0.authorizationDetailsTypes = D.detailTypes() }
        )
        try await fixture.run { a, b in
            let issued = try await E.requestIDJAG(
                a,
                idToken: try await E.idToken(fixture),
                extra: [("resource", E.resource), ("scope", "read"), ("authorization_details", D.json(both))]
            )
            #expect(issued.status == .ok, "\(issued.json)")
            let carried = D.entries(issued.json["authorization_details"])
            #expect(carried.count == 2, "\(carried)")
            var extra = [("resource", E.resource), ("scope", "read")]
            if let index, carried.indices.contains(index) { extra.append(("authorization_details", D.json([carried[index]]))) }
            let redeemed = try await E.redeem(b, try #require(issued.json["access_token"] as? String), extra: extra)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(redeemed.json["scope"] as? String == "read", "\(redeemed.json)")
            let details = D.entries(redeemed.json["authorization_details"])
            #expect(G.allowsWithDefaultGrant(details, "read", "a"), "\(details)")
            #expect(!G.allowsWithDefaultGrant(details, "read", "b"), "falls back to the default grant: \(details)")
            #expect(G.allowsWithDefaultGrant(details, "read", "c", type: D.otherType), "\(details)")
            #expect(!G.allowsWithDefaultGrant(details, "read", "b", type: D.otherType), "falls back for docs2: \(details)")
        }
    }
}
