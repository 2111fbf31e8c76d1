// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant) in both roles over the real routes:
/// AS-A (`https://as-a.test`) is the enterprise IdP minting ID-JAGs through token exchange, AS-B
/// (`https://as-b.test`) the resource AS redeeming them through jwt-bearer — two issuers.
@Suite struct IDJAGEndpointTests {
    typealias F = ChainingFixture
    static let resource = "https://mcp.test/mcp"
    static let otherResource = "https://other.test/api"

    /// A issues ID-JAGs for B (client `app`, scopes read/write, two resources); B redeems A's for one resource.
    static func make(
        configureA: @escaping (inout ServerConfiguration) -> Void = { _ in },
        configureB: @escaping (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ChainingFixture {
        try await F.make(
            configureA: { configuration in
                var settings = IDJAGTrust()
                settings.resources = [resource, otherResource]
                settings.clients = ["app", "other"]
                settings.scopes = Scope(["read", "write"])
                settings.clientIDs = ["other": "app"]
                configuration.chaining.peers[0].idJAG = settings
                var forC = IDJAGTrust()
                forC.clients = ["app"]
                configuration.chaining.peers[1].idJAG = forC
                configureA(&configuration)
            },
            configureB: { configuration in
                var settings = IDJAGTrust()
                settings.resources = [resource]
                configuration.chaining.peers[0].idJAG = settings
                configureB(&configuration)
            }
        )
    }

    /// An ID token of A for `client` (as A's authorization code flow issues them: `typ: JWT`, `aud` = `azp` = the client).
    static func idToken(_ fixture: ChainingFixture, client: String = "app", subject: String = "alice") async throws -> String {
        let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
        let claims: [String: JSONValue] = [
            "iss": .string(F.issuerA), "sub": .string(subject), "aud": .string(client), "azp": .string(client), "iat": .number(now),
            "exp": .number(now + 300), "auth_time": .number(now),
        ]
        return try await recordedIDToken(fixture, claims)
    }

    /// Signs `claims` as an ID token of A and records it in A's ledger under a grant of its own, as A's code flow
    /// does (`TokenIssuer.mintIDToken`): only a recorded, live ID token of A is an identity assertion there.
    static func recordedIDToken(_ fixture: ChainingFixture, _ claims: [String: JSONValue]) async throws -> String {
        var claims = claims
        let jti = TokenIssuer.sortableIdentifier()
        claims["jti"] = .string(jti)
        let client = claims["aud"]?.stringValue ?? "app"
        let issuedAt = Date(timeIntervalSince1970: Double(Int(fixture.clock.now.timeIntervalSince1970)))
        let record = AccessTokenRecord(
            jti: jti,
            grantID: "test-grant-" + jti,
            clientID: client,
            subject: claims["sub"]?.stringValue ?? "alice",
            scope: "",
            audience: [client],
            issuedAt: issuedAt,
            expiresAt: issuedAt.addingTimeInterval(300)
        )
        try await fixture.a.engine.stores.tokens.record(TokenIssuance(accessToken: record, refreshToken: nil))
        return try await fixture.a.engine.keyRing.signer().sign(claims, type: "JWT")
    }

    static func requestIDJAG(
        _ a: any TestClientProtocol,
        idToken: String,
        as id: String = "app",
        audience: String = F.issuerB,
        extra: [(String, String)] = [("resource", resource), ("scope", "read")],
        dpop: String? = nil
    ) async throws -> F.Response {
        let form =
            [
                ("grant_type", GrantType.tokenExchange.rawValue), ("requested_token_type", TokenTypeIdentifier.idJAG),
                ("audience", audience),
                ("subject_token", idToken), ("subject_token_type", TokenTypeIdentifier.idToken),
            ] + extra
        return try await post(a, form, as: id, dpop: dpop)
    }

    static func post(
        _ client: any TestClientProtocol,
        _ form: [(String, String)],
        as id: String = "app",
        dpop: String? = nil
    ) async throws -> F.Response {
        var headers = HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: id, secret: F.secret))
        if let dpop { headers[HTTPField.Name("DPoP")!] = dpop }
        return try await client.execute(
            uri: "/token",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) { response in
            F.Response(status: response.status, json: (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    static func redeem(
        _ b: any TestClientProtocol,
        _ grant: String,
        as id: String = "app",
        extra: [(String, String)] = [("resource", resource)],
        dpop: String? = nil
    ) async throws -> F.Response {
        try await post(b, [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", grant)] + extra, as: id, dpop: dpop)
    }

    static func idJAG(
        _ a: any TestClientProtocol,
        _ fixture: ChainingFixture,
        extra: [(String, String)] = [("resource", resource), ("scope", "read")]
    ) async throws -> String {
        let response = try await requestIDJAG(a, idToken: try await idToken(fixture), extra: extra)
        guard let grant = response.json["access_token"] as? String else { throw OAuthError.serverError("no ID-JAG: \(response.json)") }
        return grant
    }

    /// An ID-JAG signed by `keyRing` with these claims over a valid base.
    static func forged(
        _ fixture: ChainingFixture,
        keyRing: KeyRing? = nil,
        typ: String = IDJAGTrust.type,
        _ changes: [String: JSONValue?] = [:]
    ) async throws -> String {
        let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
        var claims: [String: JSONValue] = [
            "iss": .string(F.issuerA), "sub": .string("alice"), "aud": .string(F.issuerB), "client_id": .string("app"),
            "jti": .string(UUID().uuidString),
            "iat": .number(now), "exp": .number(now + 300), "resource": .string(resource), "scope": .string("read"),
        ]
        for (name, value) in changes { claims[name] = value }
        return try await (keyRing ?? fixture.a.engine.keyRing).signer().sign(claims, type: typ)
    }

    // MARK: - Both legs

    @Test func anIDTokenBecomesAnIDJAGAndTheIDJAGAnAccessTokenForTheResource() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            // The ID token carries no scope; the issuance policy decides (this was invalid_scope "scope exceeds the subject token's scope").
            let issued = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                extra: [("resource", Self.resource), ("scope", "read write")]
            )
            #expect(issued.status == .ok, "\(issued.json)")
            #expect(issued.json["token_type"] as? String == "N_A")
            #expect(issued.json["issued_token_type"] as? String == TokenTypeIdentifier.idJAG)
            #expect(issued.json["expires_in"] as? Int == 300)
            #expect(issued.json["scope"] as? String == "read write")
            #expect(issued.json["refresh_token"] == nil)
            let grant = try #require(issued.json["access_token"] as? String)
            #expect(try CompactJWS(parsing: grant).header.typ == "oauth-id-jag+jwt")
            let claims = try F.claims(grant)
            #expect(claims.string("iss") == F.issuerA)
            #expect(claims.string("sub") == "alice")
            #expect(claims["aud"] == .string(F.issuerB))
            #expect(claims.string("client_id") == "app")
            #expect(claims.string("jti") != nil)
            #expect(claims.string("resource") == Self.resource)
            #expect(claims.string("scope") == "read write")
            #expect(claims.numericDate("exp")! - claims.numericDate("iat")! == 300)
            #expect(claims.numericDate("auth_time") != nil)
            #expect(claims["cnf"] == nil)

            let redeemed = try await Self.redeem(b, grant, extra: [("resource", Self.resource), ("scope", "read")])
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(redeemed.json["token_type"] as? String == "Bearer")
            #expect(redeemed.json["refresh_token"] == nil)
            #expect(redeemed.json["scope"] as? String == "read")
            let access = try F.claims(try #require(redeemed.json["access_token"] as? String))
            #expect(access.string("iss") == F.issuerB)
            #expect(access.string("sub") == "alice")
            #expect(access.audience == [Self.resource])
            #expect(access.string("client_id") == "app")
        }
    }

    @Test func aTrustedIdPsIDTokenIsAcceptedWhenIssuedToTheClient() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let external = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("bob"), "aud": .string("app"), "iat": .number(now),
                "exp": .number(now + 300),
            ])
            let issued = try await Self.requestIDJAG(a, idToken: external)
            #expect(issued.status == .ok, "\(issued.json)")
            #expect(try F.claims(try #require(issued.json["access_token"] as? String)).string("sub") == "bob")
        }
    }

    @Test func metadataAdvertisesBothRoles() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            try await a.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                let idp = try HTTPHelpers.json(response.body)
                #expect((idp["identity_chaining_requested_token_types_supported"] as? [String] ?? []).contains(TokenTypeIdentifier.idJAG))
            }
            try await b.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                let ras = try HTTPHelpers.json(response.body)
                #expect(ras["authorization_grant_profiles_supported"] as? [String] == ["urn:ietf:params:oauth:grant-profile:id-jag"])
                #expect((ras["grant_types_supported"] as? [String] ?? []).contains(GrantType.jwtBearer.rawValue))
            }
        }
    }

    // MARK: - IdP refusals

    @Test func anIDTokenIssuedToAnotherClientIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let response = try await Self.requestIDJAG(a, idToken: try await Self.idToken(fixture, client: "reader"))
            #expect(response.error == "invalid_grant", "\(response.json)")
            #expect(response.description.contains("aud"))
        }
    }

    @Test func anAccessTokenIsNotAnIdentityAssertion() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let response = try await Self.requestIDJAG(a, idToken: try await F.accessToken(a))
            #expect(response.error == "invalid_grant", "\(response.json)")
        }
    }

    @Test func thePolicyDecidesClientsResourcesAndScopes() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let idToken = try await Self.idToken(fixture, client: "reader")
            let notListed = try await Self.requestIDJAG(a, idToken: idToken, as: "reader")
            #expect(notListed.error == "invalid_target", "\(notListed.json)")
            let scope = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                extra: [("resource", Self.resource), ("scope", "read admin")]
            )
            #expect(scope.error == "invalid_scope", "\(scope.json)")
            #expect(scope.description.contains("admin"))
            let resource = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                extra: [("resource", "https://elsewhere.test/")]
            )
            #expect(resource.error == "invalid_target", "\(resource.json)")
            let audience = try await Self.requestIDJAG(a, idToken: try await Self.idToken(fixture), audience: "https://unknown.test")
            #expect(audience.error == "invalid_target", "\(audience.json)")
        }
    }

    @Test func aCedarPolicyFileCanNarrowIssuanceByResource() async throws {
        let policy = try ChainingPolicy(
            text: """
                permit(principal == Client::"app", action == Action::"request_id_jag", resource == Peer::"b")
                  when { context.resource.contains("\(Self.resource)") };
                permit(principal, action == Action::"request_scope", resource == Scope::"read");
                """,
            source: "test"
        )
        let fixture = try await Self.make(configureA: { $0.chaining.idJAGPolicy = policy })
        try await fixture.run { a, _ in
            let allowed = try await Self.requestIDJAG(a, idToken: try await Self.idToken(fixture))
            #expect(allowed.status == .ok, "\(allowed.json)")
            let other = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                extra: [("resource", Self.otherResource), ("scope", "read")]
            )
            #expect(other.error == "invalid_target", "\(other.json)")
            let write = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                extra: [("resource", Self.resource), ("scope", "write")]
            )
            #expect(write.error == "invalid_scope", "\(write.json)")
        }
    }

    @Test func theClientIDIsTheClientsIdentifierAtTheResourceAS() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let response = try await Self.requestIDJAG(a, idToken: try await Self.idToken(fixture, client: "other"), as: "other")
            #expect(response.status == .ok, "\(response.json)")
            #expect(try F.claims(try #require(response.json["access_token"] as? String)).string("client_id") == "app")
        }
    }

    /// Only the ID-JAG profile lets the policy decide an ID token's access: every other exchange of an ID token still only narrows.
    @Test func otherExchangesOfAnIDTokenStillOnlyNarrow() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let external = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("bob"), "aud": .string(F.issuerA), "azp": .string("app"),
                "iat": .number(now),
                "exp": .number(now + 300),
            ])
            // B is an ID-JAG peer: nothing but an ID-JAG is issued for it (IDJAGPeerGrantPathTests), so only A's own
            // audience is left to show that another exchange of an ID token only narrows.
            for (target, error) in [(F.issuerB, "invalid_target"), (F.issuerA, "invalid_scope")] {
                let response = try await F.exchange(
                    a,
                    subject: external,
                    type: TokenTypeIdentifier.idToken,
                    extra: [("audience", target), ("scope", "read")]
                )
                #expect(response.error == error, "\(response.json)")
            }
        }
    }

    // MARK: - Resource AS refusals, one per check

    @Test func wrongTypIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { _, b in
            let response = try await Self.redeem(b, try await Self.forged(fixture, typ: "at+jwt"))
            #expect(response.error == "invalid_grant")
        }
    }

    @Test func wrongAudienceIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let forC = try await Self.requestIDJAG(a, idToken: try await Self.idToken(fixture), audience: F.issuerC, extra: [])
            let grant = try #require(forC.json["access_token"] as? String, "\(forC.json)")
            let response = try await Self.redeem(b, grant, extra: [])
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("aud"))
            let twoAudiences = try await Self.forged(fixture, ["aud": .array([.string(F.issuerB), .string(F.issuerC)])])
            #expect(try await Self.redeem(b, twoAudiences).error == "invalid_grant")
            let tokenEndpoint = try await Self.forged(fixture, ["aud": .string(F.issuerB + "/token")])
            #expect(try await Self.redeem(b, tokenEndpoint).error == "invalid_grant")
            let oneElementArray = try await Self.forged(fixture, ["aud": .array([.string(F.issuerB)])])
            #expect(try await Self.redeem(b, oneElementArray).status == .ok)
        }
    }

    @Test func anotherClientCannotRedeemNorBurnTheIDJAG() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            let stolen = try await Self.redeem(b, grant, as: "reader")
            #expect(stolen.error == "invalid_grant")
            #expect(stolen.description.contains("client_id"))
            #expect(try await Self.redeem(b, grant).status == .ok)
        }
    }

    /// Draft §8 (ID-JAGs are for confidential clients) and EMA §7.7 (client authentication MUST be enforced).
    @Test func aPublicClientCannotRedeemAnIDJAG() async throws {
        let fixture = try await Self.make(configureB: { configuration in
            configuration.clients.append(
                ClientDefinition(id: "pub", auth: "none", grantTypes: [GrantType.jwtBearer.rawValue], scopes: "read")
            )
        })
        try await fixture.run { _, b in
            let grant = try await Self.forged(fixture, ["client_id": .string("pub")])
            let response = try await F.post(
                b,
                [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", grant), ("client_id", "pub"), ("resource", Self.resource)],
                as: nil
            )
            #expect(response.status == .unauthorized, "\(response.json)")
            #expect(response.error == "invalid_client")
        }
    }

    @Test func aReplayedJTIIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            #expect(try await Self.redeem(b, grant).status == .ok)
            let replay = try await Self.redeem(b, grant)
            #expect(replay.error == "invalid_grant")
            #expect(replay.description.contains("jti"))
        }
    }

    /// An ID-JAG is a grant for jwt-bearer only: offered to token exchange as a `jwt` subject token it
    /// would dodge the single-use `jti`, the `client_id` binding and the resource table.
    @Test func anIDJAGIsNotASubjectTokenForTokenExchange() async throws {
        let fixture = try await Self.make(configureB: { configuration in
            // The IdP is trusted here both as an ID-JAG issuer and as an issuer of subject tokens.
            configuration.clients[0] = F.client("app", [GrantType.jwtBearer.rawValue, GrantType.tokenExchange.rawValue])
            var idp = TrustConfiguration.SubjectTokenIssuer(issuer: F.issuerA)
            idp.jwksURI = F.issuerA + "/jwks"
            configuration.chaining.subjectTokenIssuers = [idp]
        })
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            for _ in 0..<2 {
                let exchange = try await Self.post(
                    b,
                    [
                        ("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", grant),
                        ("subject_token_type", TokenTypeIdentifier.jwt),
                    ]
                )
                #expect(exchange.error == "invalid_request", "\(exchange.json)")
                #expect(exchange.description.contains("oauth-id-jag+jwt"), "\(exchange.json)")
                #expect(exchange.json["access_token"] == nil)
            }
            #expect(try await Self.redeem(b, grant).status == .ok)
        }
    }

    @Test func anExpiredIDJAGIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            fixture.clock.advance(by: 300 + 61)
            let response = try await Self.redeem(b, grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("expired"))
        }
    }

    @Test func anUntrustedIssuersIDJAGIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let grant = try await F.signed(
                [
                    "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "client_id": .string("app"),
                    "jti": .string("u1"), "iat": .number(now), "exp": .number(now + 60), "resource": .string(Self.resource),
                ],
                typ: IDJAGTrust.type
            )
            let response = try await Self.redeem(b, grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("trusted"))
        }
    }

    @Test func aPeerWithoutIDJAGSettingsIsNotAnIDJAGIssuer() async throws {
        let fixture = try await Self.make(configureB: { $0.chaining.peers[0].idJAG = nil })
        try await fixture.run { a, b in
            let response = try await Self.redeem(b, try await Self.idJAG(a, fixture))
            #expect(response.error == "invalid_grant")
        }
    }

    @Test func anIDJAGFromOurOwnIssuerIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { _, b in
            let own = try await Self.forged(fixture, keyRing: fixture.b.engine.keyRing, ["iss": .string(F.issuerB)])
            let response = try await Self.redeem(b, own)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("this server"))
        }
    }

    @Test func aResourceMismatchIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            let other = try await Self.redeem(b, grant, extra: [("resource", Self.otherResource)])
            #expect(other.error == "invalid_grant")
            #expect(other.description.contains("resource"))
            // A resource A may name but B does not serve from this IdP.
            let notServed = try await Self.idJAG(a, fixture, extra: [("resource", Self.otherResource)])
            let refused = try await Self.redeem(b, notServed, extra: [])
            #expect(refused.error == "invalid_grant")
            // The refusals did not spend the first ID-JAG.
            #expect(try await Self.redeem(b, grant).status == .ok)
        }
    }

    @Test func scopeOnlyNarrowsAtTheResourceAS() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try await Self.idJAG(a, fixture)
            let wider = try await Self.redeem(b, grant, extra: [("resource", Self.resource), ("scope", "read write")])
            #expect(wider.error == "invalid_scope")
        }
    }

    @Test func noRefreshTokenEvenForAClientAllowedRefreshTokens() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let response = try await Self.redeem(b, try await Self.idJAG(a, fixture))
            #expect(response.status == .ok, "\(response.json)")
            #expect(response.json["refresh_token"] == nil)
        }
    }

    @Test func aDPoPProofAtTheIdPBindsTheIDJAGAndItsAccessToken() async throws {
        let fixture = try await Self.make()
        let key = DPoPProofSigner()
        try await fixture.run { a, b in
            let issued = try await Self.requestIDJAG(
                a,
                idToken: try await Self.idToken(fixture),
                dpop: key.proof(method: "POST", uri: fixture.a.engine.configuration.tokenEndpoint, now: fixture.clock.now)
            )
            #expect(issued.status == .ok, "\(issued.json)")
            #expect(issued.json["token_type"] as? String == "N_A")
            let grant = try #require(issued.json["access_token"] as? String)
            #expect(try F.claims(grant).decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)

            let endpoint = fixture.b.engine.configuration.tokenEndpoint
            let unproven = try await Self.redeem(b, grant)
            #expect(unproven.error == "invalid_grant")
            let otherKey = try await Self.redeem(
                b,
                grant,
                dpop: DPoPProofSigner().proof(method: "POST", uri: endpoint, now: fixture.clock.now)
            )
            #expect(otherKey.error == "invalid_grant")
            let proven = try await Self.redeem(b, grant, dpop: key.proof(method: "POST", uri: endpoint, now: fixture.clock.now))
            #expect(proven.status == .ok, "\(proven.json)")
            #expect(proven.json["token_type"] as? String == "DPoP")
            let access = try F.claims(try #require(proven.json["access_token"] as? String))
            #expect(access.decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)
        }
    }
}
