import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 19 item 3: every token records its parent, and revoking a node revokes its descendants
/// along every derivation edge (exchange subject, refresh family, consent, JWT grant), in the
/// database, so the very next request finds every descendant inactive — through the real routes.
@Suite struct RevocationCascadeTests {
    static let secret = TestClients.secret
    static let app = "service-a"

    /// Where the server keeps its ledger: SQLite, or PostgreSQL (`TESSERA_POSTGRES_URL`, set by scripts/test).
    enum Ledger: String, CaseIterable, Sendable, CustomStringConvertible {
        case sqlite
        case postgres
        var description: String { rawValue }

        struct MissingPostgres: Error, CustomStringConvertible {
            var description: String { "TESSERA_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL cluster" }
        }

        /// A fresh database of this kind (a private schema on PostgreSQL).
        func url() throws -> String {
            switch self {
            case .sqlite:
                return "sqlite:"
                    + FileManager.default.temporaryDirectory.appendingPathComponent("tessera-cascade-\(UUID().uuidString).sqlite").path
            case .postgres:
                guard let base = ProcessInfo.processInfo.environment["TESSERA_POSTGRES_URL"], !base.isEmpty else { throw MissingPostgres() }
                let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&request_timeout=20"
            }
        }
    }

    struct Answer {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var error: String? { json["error"] as? String }
        var token: String? { json["access_token"] as? String }
    }

    static var exchanger: ClientDefinition {
        ClientDefinition(
            id: app,
            auth: "client_secret_basic",
            secret: secret,
            grantTypes: ["client_credentials", "refresh_token", GrantType.tokenExchange.rawValue, GrantType.jwtBearer.rawValue],
            scopes: "read write"
        )
    }

    static func withApp(
        database: String = "sqlite::memory:",
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            configuration.database = database
            configuration.clients = [exchanger]
            configure(&configuration)
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ path: String,
        _ form: [(String, String)],
        as id: String = app,
        secret: String = secret
    )
        async throws -> Answer
    {
        try await client.execute(
            uri: path,
            method: .post,
            headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: id, secret: secret)),
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) { response in
            Answer(status: response.status, json: response.body.readableBytes == 0 ? [:] : (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    static func exchange(
        _ client: any TestClientProtocol,
        _ subject: String,
        as id: String = app,
        secret: String = secret
    ) async throws -> Answer {
        try await post(
            client,
            "/token",
            [
                ("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", subject),
                ("subject_token_type", TokenTypeIdentifier.accessToken),
            ],
            as: id,
            secret: secret
        )
    }

    static func exchanged(_ client: any TestClientProtocol, _ subject: String) async throws -> String {
        let answer = try await exchange(client, subject)
        return try #require(answer.token, "\(answer.json)")
    }

    static func active(_ client: any TestClientProtocol, _ token: String, as id: String = app, secret: String = secret) async throws -> Bool
    {
        let answer = try await post(client, "/introspect", [("token", token)], as: id, secret: secret)
        return try #require(answer.json["active"] as? Bool, "\(answer.json)")
    }

    /// `count` tokens exchanged from `parents` (round robin), at most `width` requests at a time.
    static func exchangeLevel(_ client: any TestClientProtocol, from parents: [String], count: Int, width: Int = 8) async throws -> [String]
    {
        try await withThrowingTaskGroup(of: String.self) { group in
            var children: [String] = []
            for index in 0..<count {
                if index >= width, let child = try await group.next() { children.append(child) }
                let parent = parents[index % parents.count]
                group.addTask { try await exchanged(client, parent) }
            }
            for try await child in group { children.append(child) }
            return children
        }
    }

    // MARK: - The 1,000-token tree

    /// A refresh family (three access tokens through two rotations) under which 997 tokens are exchanged from
    /// exchanged tokens, six levels deep. Revoking the family's refresh token at /revoke leaves no survivor:
    /// all 1,000 access tokens and the live refresh token are inactive at /introspect on the next request,
    /// and none is accepted as a subject token.
    @Test(arguments: Ledger.allCases)
    func revokingTheRootLeavesNoSurvivorInAThousandTokenTree(_ ledger: Ledger) async throws {
        try await Self.withApp(database: try ledger.url()) { client in
            let first = try await Self.post(client, "/token", [("grant_type", "client_credentials"), ("scope", "read write")])
            var family = [try #require(first.token)]
            var refresh = try #require(first.json["refresh_token"] as? String)
            let root = refresh
            for _ in 0..<2 {
                let rotated = try await Self.post(client, "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
                family.append(try #require(rotated.token, "\(rotated.json)"))
                refresh = try #require(rotated.json["refresh_token"] as? String)
            }
            var tree = family
            var level = family
            while tree.count < 1000 {
                level = try await Self.exchangeLevel(client, from: level, count: min(level.count * 3, 1000 - tree.count))
                tree += level
            }
            #expect(tree.count == 1000)
            #expect(Set(tree).count == 1000)
            for token in tree.prefix(10) + tree.suffix(10) { #expect(try await Self.active(client, token)) }

            let started = ContinuousClock.now
            let revoked = try await Self.post(client, "/revoke", [("token", root), ("token_type_hint", "refresh_token")])
            let took = ContinuousClock.now - started
            #expect(revoked.status == .ok)
            print("revoking a 1,000-token derivation tree (\(ledger)) took \(took)")

            var survivors = 0
            for token in tree where try await Self.active(client, token) { survivors += 1 }
            #expect(survivors == 0, "\(survivors) of \(tree.count) tokens survived the revocation of their root")
            #expect(try await Self.active(client, refresh) == false)
            let refused = try await Self.exchange(client, try #require(tree.last))
            #expect(refused.error == "invalid_request")
        }
    }

    // MARK: - One edge each

    /// Exchange subject: revoking one access token revokes what was exchanged from it, at any depth, and
    /// nothing else — not its refresh-family siblings nor their descendants (RFC 7009 §2.1 leaves that a MAY).
    @Test(arguments: Ledger.allCases)
    func revokingAnAccessTokenRevokesOnlyWhatDerivesFromIt(_ ledger: Ledger) async throws {
        try await Self.withApp(database: try ledger.url()) { client in
            let first = try await Self.post(client, "/token", [("grant_type", "client_credentials")])
            let root = try #require(first.token)
            let refresh = try #require(first.json["refresh_token"] as? String)
            let sibling = try #require(
                try await Self.post(client, "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)]).token
            )
            let child = try await Self.exchanged(client, root)
            let grandchild = try await Self.exchanged(client, child)
            let cousin = try await Self.exchanged(client, sibling)

            #expect(try await Self.post(client, "/revoke", [("token", root)]).status == .ok)
            for token in [root, child, grandchild] { #expect(try await Self.active(client, token) == false) }
            for token in [sibling, cousin] { #expect(try await Self.active(client, token)) }
            #expect(try await Self.exchange(client, grandchild).error == "invalid_request")
            #expect(try await Self.exchange(client, cousin).token != nil)

            // Revoking a middle node takes its subtree only.
            let second = try await Self.exchanged(client, cousin)
            #expect(try await Self.post(client, "/revoke", [("token", cousin)]).status == .ok)
            #expect(try await Self.active(client, second) == false)
            #expect(try await Self.active(client, sibling))
        }
    }

    /// Refresh family: revoking the refresh token, or replaying a rotated-out one (RFC 9700 §4.14.2),
    /// revokes every token of the family and everything exchanged from them.
    @Test func revokingARefreshFamilyRevokesWhatWasExchangedFromIt() async throws {
        try await Self.withApp { client in
            for replay in [false, true] {
                let first = try await Self.post(client, "/token", [("grant_type", "client_credentials")])
                let refresh = try #require(first.json["refresh_token"] as? String)
                let rotated = try await Self.post(client, "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
                let refreshed = try #require(rotated.token)
                let fromFirst = try await Self.exchanged(client, try #require(first.token))
                let fromRefreshed = try await Self.exchanged(client, refreshed)
                let deeper = try await Self.exchanged(client, fromRefreshed)
                if replay {
                    let reused = try await Self.post(client, "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
                    #expect(reused.error == "invalid_grant")
                } else {
                    let current = try #require(rotated.json["refresh_token"] as? String)
                    #expect(try await Self.post(client, "/revoke", [("token", current)]).status == .ok)
                }
                for token in [refreshed, fromFirst, fromRefreshed, deeper] {
                    #expect(try await Self.active(client, token) == false, "replay: \(replay)")
                }
            }
        }
    }

    /// Consent: withdrawing a consent on /account revokes the tokens issued under it and what was exchanged from them.
    @Test func withdrawingAConsentRevokesTokensExchangedFromItsTokens() async throws {
        typealias Flow = AuthorizationCodeFlowTests
        let basic = TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
        let app = try await TestServer.build(now: { Fixtures.epoch }) { configuration in
            Flow.configure(&configuration)
            for index in configuration.clients.indices where configuration.clients[index].id == Flow.web {
                configuration.clients[index].grantTypes.append(GrantType.tokenExchange.rawValue)
            }
        }
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let (_, issued) = try await Flow.redeem(client, code: code, auth: basic)
            let access = try #require(issued["access_token"] as? String)
            let child = try #require(try await Self.exchange(client, access, as: Flow.web, secret: Flow.webSecret).token)
            let grandchild = try #require(try await Self.exchange(client, child, as: Flow.web, secret: Flow.webSecret).token)
            #expect(try await Self.active(client, grandchild, as: Flow.web, secret: Flow.webSecret))

            let account = try await browser.request("/account")
            let id = try #require(RememberedConsentTests.consentIDs(account.body).first)
            let withdrawn = try await browser.request(
                "/account/consents/\(id)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(withdrawn.status == .ok)

            for token in [access, child, grandchild] {
                #expect(try await Self.active(client, token, as: Flow.web, secret: Flow.webSecret) == false)
            }
            #expect(try await Self.exchange(client, child, as: Flow.web, secret: Flow.webSecret).error == "invalid_request")
        }
    }

    /// JWT grant lineage: domain A mints a JWT authorization grant from a subject token (identity chaining
    /// §2.3) and domain B redeems it (RFC 7523). When both domains keep one ledger (one database), revoking
    /// the subject token at A revokes the grant and the token B issued from it.
    @Test func aTokenRedeemedFromAJWTGrantDiesWithTheGrantsSubjectToken() async throws {
        let database = try Ledger.sqlite.url()
        // One ledger, one client registry: both domains declare the same clients.
        let exchange = GrantType.tokenExchange.rawValue
        let clients = [
            ChainingFixture.client("app", ["client_credentials", "refresh_token", exchange, GrantType.jwtBearer.rawValue]),
            ChainingFixture.client("other", ["client_credentials", exchange]),
            ChainingFixture.client("delegate", ["client_credentials", exchange]),
            ChainingFixture.client("impersonator", [exchange]),
            ChainingFixture.client("reader", ["client_credentials", exchange]),
        ]
        let fixture = try await ChainingFixture.make(
            configureA: { configuration in
                configuration.database = database
                configuration.clients = clients
            },
            configureB: { configuration in
                configuration.database = database
                configuration.clients = clients
            }
        )
        try await fixture.run { clientA, clientB in
            let subject = try await ChainingFixture.accessToken(clientA)
            let minted = try await ChainingFixture.exchange(clientA, subject: subject)
            let grant = try #require(minted.json["access_token"] as? String, "\(minted.json)")
            let redeemed = try await ChainingFixture.redeem(clientB, grant: grant)
            let token = try #require(redeemed.json["access_token"] as? String, "\(redeemed.json)")
            #expect(try await Self.introspect(clientB, token) == true)

            #expect(try await ChainingFixture.post(clientA, [("token", subject)], path: "/revoke").status == .ok)
            #expect(try await Self.introspect(clientB, token) == false)
        }
    }

    static func introspect(_ client: any TestClientProtocol, _ token: String) async throws -> Bool? {
        try await ChainingFixture.post(client, [("token", token)], path: "/introspect").json["active"] as? Bool
    }
}
