import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 19 item 6, "two doors, one answer": the same access asked through the OAuth door (client
/// credentials, authorization code, token exchange; with and without RFC 9396 `authorization_details`,
/// with and without DPoP) and through the GNAP door (an `access` array with and without `locations`,
/// key-bound or bearer) is decided alike and yields equivalent tokens — the same `sub`, `aud`, rights,
/// binding to the proven key and lifetime — and both tokens introspect alike at OAuth `/introspect`
/// (RFC 7662) and at GNAP introspection (RFC 9767 §3.3).
///
/// The audience rule both doors share: the RFC 8707 `resource` values, then every `locations` entry of
/// the granted rights (RFC 9396 §2, RFC 9635 §8), each once; the issuer when neither names a server.
@Suite struct TwoDoorsTests {
    static let issuer = "https://as.two-doors.example"
    static let backup = "https://backup.example/"
    static let metrics = "https://metrics.example/"
    static let callback = "https://agent.example/cb"
    static let exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    /// Not the 300 s default, so a door that hard-codes its own ID-token lifetime shows.
    static let idTokenLifetime: TimeInterval = 600
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()
    let dpop = DPoPProofSigner()

    /// The access asked for, in each door's words.
    enum Rights: String, CaseIterable, Sendable {
        /// A scope token (OAuth) / a reference (GNAP): the issuer is the audience.
        case reference
        /// Plus one rich right located at the backup server: that server is the audience.
        case located
        /// Plus one rich right without `locations`: the issuer is the audience.
        case unlocated
        /// Plus two rich rights at two servers: both are the audience.
        case twoLocations
        /// A located right, and (OAuth only, GNAP has no such parameter) `resource` naming the same server.
        case resourceAndLocation

        static var backupRead: [String: Any] { ["type": "backup-api", "actions": ["read"], "locations": [backup]] }
        static var metricsRead: [String: Any] { ["type": "metrics-api", "actions": ["read"], "locations": [metrics]] }

        var objects: [[String: Any]] {
            switch self {
            case .reference: []
            case .located, .resourceAndLocation: [Self.backupRead]
            case .unlocated: [["type": "backup-api", "actions": ["read"]]]
            case .twoLocations: [Self.backupRead, Self.metricsRead]
            }
        }

        var resources: [String] { self == .resourceAndLocation ? [backup] : [] }

        var expectedAudience: [String] {
            switch self {
            case .reference, .unlocated: [issuer]
            case .located, .resourceAndLocation: [backup]
            case .twoLocations: [backup, metrics]
            }
        }

        /// The GNAP `access` array: the reference, then the objects.
        func gnapAccess() throws -> [GNAPAccessRight] {
            let json = try JSONSerialization.data(withJSONObject: ["read"] + objects.map { $0 as Any })
            return try JSONDecoder().decode([GNAPAccessRight].self, from: json)
        }

        /// The OAuth request parameters: `scope`, `resource`, `authorization_details`.
        func oauthParameters() throws -> [(String, String)] {
            var form = [("scope", "read")] + resources.map { ("resource", $0) }
            if !objects.isEmpty {
                let json = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])
                form.append(("authorization_details", String(decoding: json, as: UTF8.self)))
            }
            return form
        }
    }

    /// How the OAuth door is asked; GNAP's counterpart is the instance acting for itself, or a person approving.
    enum Flow: String, CaseIterable, Sendable {
        case clientCredentials, authorizationCode, tokenExchange
        var person: String? { self == .authorizationCode ? "alice" : nil }
    }

    enum Binding: String, CaseIterable, Sendable { case bearer, key }

    struct Case: Sendable, CustomTestStringConvertible {
        var rights: Rights
        var flow: Flow
        var binding: Binding
        var testDescription: String { "\(flow.rawValue) \(rights.rawValue) \(binding.rawValue)" }
    }

    static let cases: [Case] = Flow.allCases.flatMap { flow in
        Rights.allCases.flatMap { rights in Binding.allCases.map { Case(rights: rights, flow: flow, binding: $0) } }
    }

    func app(policy: String = Self.ownerPolicy) async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let owner = try OwnerPolicy(text: policy, source: "owner.cedar")
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.issuer = Self.issuer
            configuration.idTokenLifetime = Self.idTokenLifetime
            // One owner rule for both doors: `delete` is registered to agent-1 at both, and forbidden (refusal rows).
            configuration.policy = owner
            // One party at both doors: the OAuth client and the GNAP instance share the name "agent-1".
            var agentClient = ClientDefinition(
                id: "agent-1",
                auth: "client_secret_basic",
                secret: TestClients.secret,
                grantTypes: ["client_credentials", "authorization_code", Self.exchange],
                scopes: "openid read delete"
            )
            agentClient.redirectURIs = [Self.callback]
            var resourceServer = ClientDefinition(
                id: "rs-backup",
                auth: "client_secret_basic",
                secret: TestClients.secret,
                grantTypes: ["client_credentials"],
                scopes: ""
            )
            resourceServer.introspectionAudiences = [Self.backup, Self.metrics, Self.issuer]
            configuration.clients = TestClients.definitions + [agentClient, resourceServer]
            configuration.users = [
                UserDefinition(username: "alice", password: "alice-password", displayName: "Alice"),
                UserDefinition(username: "bob", password: "bob-password", displayName: "Bob"),
            ]
            configuration.authorizationDetailsTypes = [
                AuthorizationDetailsTypeDefinition(type: "backup-api"), AuthorizationDetailsTypeDefinition(type: "metrics-api"),
            ]
            configuration.gnap.continuationWait = 5
            configuration.gnap.instances = [
                .init(
                    id: "agent-1",
                    key: agent.key,
                    displayName: "Agent",
                    allowedAccess: ["read", "delete", "backup-api", "metrics-api"],
                    allowBearer: true
                )
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.backup, Self.metrics, Self.issuer])]
        }
    }

    // MARK: - The OAuth door

    func oauthToken(_ row: Case, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> String {
        let proof = { row.binding == .key ? dpop.proof(method: "POST", uri: app.engine.configuration.tokenEndpoint, now: clock.now) : nil }
        let rights = try row.rights.oauthParameters()
        var form: [(String, String)]
        switch row.flow {
        case .clientCredentials:
            form = [("grant_type", "client_credentials")] + rights
        case .authorizationCode:
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            let uri = AuthorizationCodeFlowTests.authorizeURI(
                client: "agent-1",
                redirect: Self.callback,
                scope: "read",
                extra: rights.filter { $0.0 != "scope" }
            )
            let location = try await AuthorizationCodeFlowTests.approve(browser, uri)
            let code = try #require(AuthorizationCodeFlowTests.query(location)["code"], "\(location)")
            form = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.callback),
                ("code_verifier", AuthorizationCodeFlowTests.verifier),
            ]
        case .tokenExchange:
            // The subject: a bearer client-credentials token with these rights; the exchange keeps them.
            let (status, subject) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials")] + rights,
                id: "agent-1"
            )
            #expect(status == .ok, "\(subject)")
            form = [
                ("grant_type", Self.exchange), ("subject_token", try #require(subject["access_token"] as? String)),
                ("subject_token_type", Self.accessTokenType),
            ]
        }
        let (status, body) = try await TokenLedgerTests.form(client, "/token", form, id: "agent-1", dpop: proof())
        #expect(status == .ok, "\(body)")
        return try #require(body["access_token"] as? String, "\(body)")
    }

    // MARK: - The GNAP door

    func gnapToken(_ row: Case, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> String {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let request = GNAPTokenRequest(access: try row.rights.gnapAccess(), flags: row.binding == .bearer ? ["bearer"] : nil)
        // A person's approval is asked for by asking about the person (RFC 9635 §2.2).
        let subject = row.flow.person.map { _ in GNAPSubjectRequest(subIDFormats: ["opaque"]) }
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(request), subject: subject)
        var answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(answer.status == .ok, "\(answer.json)")
        if let person = row.flow.person {
            let cont = try #require(answer.json["continue"] as? [String: Any], "\(answer.json)")
            let path = String(try #require(cont["uri"] as? String).dropFirst(Self.issuer.count))
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
            #expect(
                try await app.engine.gnap.decide(grantID: String(path.split(separator: "/").last ?? ""), approve: true, subject: person)
            )
            clock.advance(by: 6)
            answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: path, body: nil, token: token)
            #expect(answer.status == .ok, "\(answer.json)")
        }
        let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
        return try #require(token["value"] as? String)
    }

    /// RFC 9767 §3.3 introspection by resource server `rs-1`.
    func gnapIntrospect(_ client: any TestClientProtocol, _ app: TesseraApplication, _ token: String) async throws -> [String: Any] {
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let request = GNAPIntrospectionRequest(accessToken: token, proof: nil, resourceServer: .instance("rs-1"))
        let answer = try await GNAPEndpointTests.send(
            client,
            app,
            rs,
            method: .post,
            path: "/gnap/introspect",
            body: try GNAPTestSigner.body(request)
        )
        #expect(answer.status == .ok)
        return answer.json
    }

    // MARK: - Comparing

    /// What must be the same for both tokens: who, where, what, bound to which kind of key, for how long.
    struct View: Equatable, CustomStringConvertible {
        var active: Bool
        var subject: String?
        var audience: [String]
        var rights: Set<String>
        var lifetime: Int?
        var bound: Bool
        var description: String {
            "active=\(active) sub=\(subject ?? "-") aud=\(audience) rights=\(rights.sorted()) life=\(lifetime ?? -1) bound=\(bound)"
        }
    }

    static func audience(_ value: Any?) -> [String] { (value as? [String]) ?? (value as? String).map { [$0] } ?? [] }

    static func lifetime(_ json: [String: Any]) -> Int? {
        guard let exp = json["exp"] as? Int, let iat = json["iat"] as? Int else { return nil }
        return exp - iat
    }

    /// The token's own claims (the signature is checked by both introspections below).
    static func claims(_ token: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: try CompactJWS(parsing: token).payload) as? [String: Any])
    }

    static func claimsView(_ claims: [String: Any]) throws -> View {
        var rights = try TokenLedgerTests.oauthRights(claims)
        if let access = claims["access"] as? [Any] { rights.formUnion(try TokenLedgerTests.rights(access)) }
        return View(
            active: true,
            subject: claims["sub"] as? String,
            audience: audience(claims["aud"]),
            rights: rights,
            lifetime: lifetime(claims),
            bound: (claims["cnf"] as? [String: Any])?["jkt"] != nil
        )
    }

    static func oauthView(_ answer: [String: Any]) throws -> View {
        View(
            active: answer["active"] as? Bool == true,
            subject: answer["sub"] as? String,
            audience: audience(answer["aud"]),
            rights: try TokenLedgerTests.oauthRights(answer),
            lifetime: lifetime(answer),
            bound: (answer["cnf"] as? [String: Any])?["jkt"] != nil
        )
    }

    static func gnapView(_ answer: [String: Any]) throws -> View {
        View(
            active: answer["active"] as? Bool == true,
            subject: answer["sub"] as? String,
            audience: audience(answer["aud"]),
            rights: try TokenLedgerTests.rights((answer["access"] as? [Any]) ?? []),
            lifetime: lifetime(answer),
            bound: try TokenLedgerTests.gnapBinding(answer) != nil
        )
    }

    @Test(arguments: cases) func theSameAccessGetsOneAnswerThroughBothDoors(_ row: Case) async throws {
        #expect(Self.cases.count >= 30)
        let app = try await app()
        try await app.application.test(.router) { client in
            let oauth = try await oauthToken(row, client, app)
            let gnap = try await gnapToken(row, client, app)

            // The tokens themselves.
            let oauthClaims = try Self.claims(oauth)
            let gnapClaims = try Self.claims(gnap)
            let expected = View(
                active: true,
                subject: row.flow.person ?? "agent-1",
                audience: row.rights.expectedAudience,
                rights: try TokenLedgerTests.rights(["read"] + row.rights.objects.map { $0 as Any }),
                lifetime: 3600,
                bound: row.binding == .key
            )
            #expect(try Self.claimsView(oauthClaims) == expected, "OAuth token")
            #expect(try Self.claimsView(gnapClaims) == expected, "GNAP token")
            #expect(oauthClaims["client_id"] as? String == gnapClaims["client_id"] as? String)
            // Bound to the key each client proved: its DPoP key, its GNAP key.
            let agentJKT = try GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure).key.jwk?.thumbprint()
            #expect((oauthClaims["cnf"] as? [String: Any])?["jkt"] as? String == (row.binding == .key ? dpop.thumbprint : nil))
            #expect((gnapClaims["cnf"] as? [String: Any])?["jkt"] as? String == (row.binding == .key ? agentJKT : nil))

            // Both tokens at both introspection endpoints.
            for token in [oauth, gnap] {
                let atOAuth = try Self.oauthView(try await TokenLedgerTests.oauthIntrospect(client, token))
                let atGNAP = try Self.gnapView(try await gnapIntrospect(client, app, token))
                #expect(atOAuth == expected, "\(token == oauth ? "OAuth" : "GNAP") token at /introspect")
                #expect(atGNAP == expected, "\(token == oauth ? "OAuth" : "GNAP") token at GNAP introspection")
            }
        }
    }

    /// One ID-token path with one configured lifetime (OpenID Connect Core §2): the ID token of the code
    /// flow and the GNAP `id_token` subject assertion (RFC 9635 §3.4) live equally long.
    @Test func idTokensLiveEquallyLongThroughBothDoors() async throws {
        let app = try await app()
        let clock = clock
        try await app.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            let uri = AuthorizationCodeFlowTests.authorizeURI(client: "agent-1", redirect: Self.callback, scope: "openid read")
            let code = try #require(AuthorizationCodeFlowTests.query(try await AuthorizationCodeFlowTests.approve(browser, uri))["code"])
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.callback),
                    ("code_verifier", AuthorizationCodeFlowTests.verifier),
                ],
                id: "agent-1"
            )
            #expect(status == .ok, "\(body)")
            let oauth = try Self.claims(try #require(body["id_token"] as? String))

            let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
            let grant = try GNAPEndpointTests.grantBody(
                client: .instance("agent-1"),
                tokens: .single(.init(access: ["read"])),
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"], assertionFormats: ["id_token"])
            )
            let first = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: grant)
            let cont = try #require(first.json["continue"] as? [String: Any], "\(first.json)")
            let path = String(try #require(cont["uri"] as? String).dropFirst(Self.issuer.count))
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
            #expect(
                try await app.engine.gnap.decide(grantID: String(path.split(separator: "/").last ?? ""), approve: true, subject: "alice")
            )
            clock.advance(by: 6)
            let approved = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: path, body: nil, token: token)
            let assertions = try #require(
                (approved.json["subject"] as? [String: Any])?["assertions"] as? [[String: Any]],
                "\(approved.json)"
            )
            let gnap = try Self.claims(try #require(assertions.first?["value"] as? String))

            #expect(Self.lifetime(oauth) == Int(Self.idTokenLifetime))
            #expect(Self.lifetime(gnap) == Int(Self.idTokenLifetime))
            #expect(oauth["sub"] as? String == gnap["sub"] as? String)
            #expect(oauth["iss"] as? String == gnap["iss"] as? String)
            #expect(oauth["aud"] as? String == gnap["aud"] as? String, "the same party, named alike at both doors")
        }
    }
}
