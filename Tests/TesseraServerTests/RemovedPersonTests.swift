import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Thirteenth review, J8: removing a person (`tessera users remove`, ``PeopleStore/removeUser(username:at:)``) ends what
/// they approved at both doors, and a newcomer given the same username inherits none of it (OpenID Connect Core §2).
extension GNAPApprovalStandingTests {
    @Test func removingAPersonEndsWhatTheyApprovedAndANewcomerInheritsNothing() async throws {
        typealias Flow = AuthorizationCodeFlowTests
        let basic = TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let opened = Mutex<Stores?>(nil)
        let app = try await TestServer.build(
            now: clock.closure,
            configure: { configuration in
                Flow.configure(&configuration)
                configuration.gnap.continuationWait = 5
                configuration.gnap.instances = [.init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: ["metrics"])]
                configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.api])]
            },
            database: { database in
                database.wrappingStores { stores in
                    opened.withLock { $0 = stores }
                    return stores
                }
            }
        )
        let clock = clock
        try await app.application.test(.router) { client in
            let party = Party(client: client, app: app, agent: agent, rs: rs)
            let stores = try #require(opened.withLock { $0 })
            // Alice approves the web app ("Approve all": remembered) and the GNAP agent.
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let (redeemed, tokens) = try await Flow.redeem(client, code: code, auth: basic)
            #expect(redeemed == .ok)
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)
            let gnap = try await approved(party, [Self.read], by: "alice")

            // What `tessera users remove alice` does.
            #expect(try await stores.people.removeUser(username: "alice", at: clock.closure()))

            #expect(try await RememberedConsentTests.introspect(client, access, auth: basic) == false)
            let (refused, refusedBody) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                auth: basic
            )
            #expect(refused == .badRequest)
            #expect(refusedBody["error"] as? String == "invalid_grant")
            #expect(try await active(party, gnap.value) == false)
            clock.advance(by: 6)
            let continued = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: gnap.grantPath,
                body: nil,
                token: gnap.continuation
            )
            #expect(GNAPEndpointTests.errorCode(continued.json) == GNAPError.Code.invalidContinuation.rawValue, "\(continued.json)")
            let rotated = try await rotate(party, gnap)
            #expect(rotated.status != .ok, "\(rotated.json)")

            // `tessera users add alice` refuses the name; with --force a newcomer gets it, and nothing of the old alice.
            let people = PeopleService(store: stores.people, now: clock.closure)
            await #expect(throws: UserDefinitionError.self) { try await people.refuseRemovedName("alice") }
            try await people.addUser(username: "alice", password: "alice-password", displayName: "Alice Newcomer")
            try await people.refuseRemovedName("alice")  // an existing user's password change is not a reuse
            let newcomer = Flow.Browser(client)
            try await newcomer.signIn()
            let account = try await newcomer.request("/account")
            #expect(RememberedConsentTests.consentIDs(account.body).isEmpty, "\(account.body)")
            #expect(TwoDoorsTests.grantIDs(account.body).isEmpty)
            let (_, silent) = try await RememberedConsentTests.open(newcomer, Flow.authorizeURI(extra: [("prompt", "none")]))
            let answer = Flow.query(try #require(silent.location))
            #expect(answer["code"] == nil)
            #expect(answer["error"] == "consent_required")
        }
    }

    /// A server configured as ``AuthorizationCodeFlowTests``'s, run with its stores in hand: what the CLI's `users` and
    /// `clients` commands write to.
    func withCodeFlowServer(_ body: @escaping @Sendable (any TestClientProtocol, Stores) async throws -> Void) async throws {
        let opened = Mutex<Stores?>(nil)
        let app = try await TestServer.build(
            now: clock.closure,
            configure: AuthorizationCodeFlowTests.configure,
            database: { database in
                database.wrappingStores { stores in
                    opened.withLock { $0 = stores }
                    return stores
                }
            }
        )
        try await app.application.test(.router) { client in try await body(client, try #require(opened.withLock { $0 })) }
    }

    /// Review round 11, J15: a changed password (`tessera users add` for an existing name) signs the person out of every
    /// browser, so a session taken by whoever knew the old password ends with it; the same password with a new display
    /// name (a restart re-reading the config file) keeps the session.
    @Test func aChangedPasswordSignsThePersonOutOfEveryBrowser() async throws {
        typealias Flow = AuthorizationCodeFlowTests
        let clock = clock
        try await withCodeFlowServer { client, stores in
            let people = PeopleService(store: stores.people, now: clock.closure)
            let (victim, thief) = (Flow.Browser(client), Flow.Browser(client))
            try await victim.signIn()
            try await thief.signIn()
            #expect(try await thief.request("/account").status == .ok)

            try await people.ensureUser(username: "alice", password: "alice-password", passwordHash: nil, displayName: "Alice A.")
            #expect(try await thief.request("/account").status == .ok, "the same password keeps the session")

            try await people.addUser(username: "alice", password: "a-new-password", displayName: "Alice A.")
            for browser in [thief, victim] {
                let page = try await browser.request("/account")
                #expect(page.status == .seeOther)
                #expect(page.location?.hasPrefix("/signin") == true, "\(page.location ?? "")")
            }
            try await victim.signIn(password: "a-new-password")
            #expect(try await victim.request("/account").status == .ok)
        }
    }

    /// Review round 13, L11: removing a client (`tessera clients remove`, a DCR DELETE, a GNAP registry change: each
    /// calls ``TokenStore/revokeTokens(clientID:at:)``) withdraws the consents people gave it and spends its codes, so
    /// a client registered later under the same id is asked again and inherits no approval.
    @Test func removingAClientEndsThePeoplesConsentsToIt() async throws {
        typealias Flow = AuthorizationCodeFlowTests
        let clock = clock
        try await withCodeFlowServer { client, stores in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            #expect(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"] != nil)
            let silent = Flow.authorizeURI(extra: [("prompt", "none")])
            let (_, remembered) = try await RememberedConsentTests.open(browser, silent)
            let rememberedAt = try #require(remembered.location)
            let pending = try #require(Flow.query(rememberedAt)["code"], "the consent is remembered")

            // What `tessera clients remove web-app` does, then the id registered again.
            let record = try #require(try await stores.clients.client(id: Flow.web))
            #expect(try await stores.clients.remove(id: Flow.web))
            try await stores.tokens.revokeTokens(clientID: Flow.web, at: clock.closure())
            try await stores.clients.insert(record)

            let (_, asked) = try await RememberedConsentTests.open(browser, silent)
            let askedAt = try #require(asked.location)
            #expect(Flow.query(askedAt)["error"] == "consent_required", "\(askedAt)")
            let (replayed, body) = try await Flow.redeem(
                client,
                code: pending,
                auth: TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
            )
            #expect(replayed == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_grant")
        }
    }

    /// Review round 13, L1: a server whose configuration names a person and a client alike does not start; the
    /// operator is told which name to change.
    @Test func aPersonAndAClientNamedAlikeStopTheStart() async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await TestServer.build(now: clock.closure) { configuration in
                configuration.users = [UserDefinition(username: "alice", password: "alice-password", displayName: "Alice")]
                configuration.clients = [
                    ClientDefinition(
                        id: "alice",
                        auth: "client_secret_basic",
                        secret: TestClients.secret,
                        grantTypes: ["client_credentials"],
                        scopes: "read"
                    )
                ]
            }
        }
    }
}
