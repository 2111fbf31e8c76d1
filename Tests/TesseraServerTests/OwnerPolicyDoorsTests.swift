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

/// One decision point for both doors (issue 19 item 2, docs/policy.md): an owner's `forbid` on a
/// client and a scope is honoured by the OAuth token endpoint and the GNAP grant endpoint alike,
/// through real HTTP, and a broken owner set stops the server from starting.
@Suite struct OwnerPolicyDoorsTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()

    /// `service-a` (OAuth, scopes read write) and `agent-1` (GNAP, backup-api metrics) are both
    /// refused one of their registered rights by the owner; `photos` is refused to everyone.
    static let ownerPolicy = """
        @id("service-a-never-writes")
        forbid (principal == Client::"service-a", action, resource == Scope::"write");

        @id("agent-1-no-metrics")
        forbid (principal == Client::"agent-1", action, resource == Scope::"metrics");

        @id("nobody-gets-photos")
        forbid (principal, action, resource == Scope::"photos");
        """

    func app(policy: String? = Self.ownerPolicy) async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let owner = try policy.map { try OwnerPolicy(text: $0, source: "owner.cedar") }
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.instances = [.init(id: "agent-1", key: agent.key, allowedAccess: ["backup-api", "metrics"])]
        }
    }

    static func token(_ client: any TestClientProtocol, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: "/token",
            method: .post,
            headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization()),
            body: ByteBuffer(string: body)
        ) { response in (response.status, try HTTPHelpers.json(response.body)) }
    }

    static func grant(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ reference: GNAPClientReference,
        _ signer: GNAPTestSigner,
        _ access: [GNAPAccessRight]
    ) async throws -> GNAPEndpointTests.Exchange {
        let body = try GNAPEndpointTests.grantBody(client: reference, tokens: .single(.init(access: access)))
        return try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
    }

    @Test func theOAuthTokenEndpointHonoursTheOwnersForbid() async throws {
        try await app().application.test(.router) { client in
            let (refused, error) = try await Self.token(client, "grant_type=client_credentials&scope=read%20write")
            #expect(refused == .badRequest)
            #expect(error["error"] as? String == "invalid_scope")
            #expect((error["error_description"] as? String)?.contains("service-a-never-writes") == true)

            let (granted, body) = try await Self.token(client, "grant_type=client_credentials&scope=read")
            #expect(granted == .ok)
            #expect(body["scope"] as? String == "read")
            // Nothing asked: the registered scope, less what the owner forbids (RFC 6749 §3.3).
            let (narrowed, whole) = try await Self.token(client, "grant_type=client_credentials")
            #expect(narrowed == .ok)
            #expect(whole["scope"] as? String == "read")
        }
    }

    @Test func theGNAPGrantEndpointHonoursTheOwnersForbid() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let refused = try await Self.grant(client, app, .instance("agent-1"), agent, ["backup-api", "metrics"])
            #expect(refused.status == .forbidden)
            #expect(GNAPEndpointTests.errorCode(refused.json) == "request_denied")

            let approved = try await Self.grant(client, app, .instance("agent-1"), agent, ["backup-api"])
            #expect(approved.status == .ok)
            #expect(approved.json["access_token"] is [String: Any])
        }
    }

    /// An instance id is an identifier like a client id: one with a NUL (which SQLite reads only up to) or
    /// a bidi control must not reach the registry lookup and be taken for the registered `agent-1`, even
    /// by the holder of that instance's key (RFC 9635 §2.3: the instance is named exactly).
    @Test func anInstanceIDThatIsNotCanonicalNamesNoInstance() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            for presented in ["agent-1\u{0}x", "agent-1\u{202E}", "agent-1 "] {
                let refused = try await Self.grant(client, app, .instance(presented), agent, ["backup-api"])
                #expect(refused.status != .ok, "\(presented.unicodeScalars.map(\.value))")
                #expect(refused.json["access_token"] == nil)
            }
        }
    }

    /// A right the owner forbids is not put to a person: the request is refused, not left pending.
    @Test func aForbiddenRightIsNotLeftWaitingForAPerson() async throws {
        let app = try await app()
        let stranger = GNAPTestSigner(now: clock.closure)
        let reference = GNAPClientReference.value(GNAPClientInstance(key: stranger.key))
        try await app.application.test(.router) { client in
            let refused = try await Self.grant(client, app, reference, stranger, ["photos"])
            #expect(refused.status == .forbidden)
            #expect(GNAPEndpointTests.errorCode(refused.json) == "request_denied")

            let pending = try await Self.grant(client, app, reference, stranger, ["albums"])
            #expect(pending.status == .ok)
            #expect(pending.json["access_token"] == nil)
            #expect(pending.json["continue"] is [String: Any])
        }
    }

    /// Routing to a resource owner asks the one policy (`Action::"approve"`): a right the owner's
    /// set lets only bob approve belongs to bob as a `gnap.interaction.resource_owners` entry would,
    /// so a request mixing it with alice's configured right is refused (RFC 9635 §1.4).
    @Test func routingToAResourceOwnerAsksThePolicy() async throws {
        let owner = try OwnerPolicy(
            text: """
                @id("payroll-is-bobs")
                forbid (principal, action == Action::"approve", resource == Scope::"payroll")
                when { context has user && context.user != User::"bob" };
                """,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.interaction.resourceOwners = ["photos": "alice", "hr": "bob"]
        }
        let stranger = GNAPTestSigner(now: clock.closure)
        let reference = GNAPClientReference.value(GNAPClientInstance(key: stranger.key))
        try await app.application.test(.router) { client in
            let mixed = try await Self.grant(client, app, reference, stranger, ["photos", "payroll"])
            #expect(mixed.status == .forbidden, "\(mixed.json)")
            #expect(GNAPEndpointTests.errorCode(mixed.json) == "request_denied")
            let configured = try await Self.grant(client, app, reference, stranger, ["photos", "hr"])
            #expect(GNAPEndpointTests.errorCode(configured.json) == "request_denied", "the translated map routes as before")
            for alone in [["payroll"], ["photos", "albums"], ["payroll", "hr"]] {
                let pending = try await Self.grant(client, app, reference, stranger, alone.map { GNAPAccessRight.reference($0) })
                #expect(pending.status == .ok, "\(alone): \(pending.json)")
                #expect(pending.json["continue"] is [String: Any])
            }
        }
    }

    /// Without an owner set, both doors answer as before the decision point existed.
    @Test func withoutAnOwnerSetBothDoorsAnswerAsBefore() async throws {
        let app = try await app(policy: nil)
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let (status, body) = try await Self.token(client, "grant_type=client_credentials&scope=read%20write")
            #expect(status == .ok)
            #expect(body["scope"] as? String == "read write")
            let (beyond, error) = try await Self.token(client, "grant_type=client_credentials&scope=admin")
            #expect(beyond == .badRequest)
            #expect(error["error"] as? String == "invalid_scope")

            let approved = try await Self.grant(client, app, .instance("agent-1"), agent, ["backup-api", "metrics"])
            #expect(approved.json["access_token"] is [String: Any])
            let pending = try await Self.grant(client, app, .instance("agent-1"), agent, ["photos"])
            #expect(pending.status == .ok)
            #expect(pending.json["access_token"] == nil)
        }
    }

    /// The authorization endpoint asks `Action::"approve"`: a scope the owner forbids is refused
    /// before any page is shown (RFC 6749 §4.1.2.1 `invalid_scope`), the rest is offered as before.
    @Test func theAuthorizationEndpointHonoursTheOwnersForbid() async throws {
        typealias Flow = AuthorizationCodeFlowTests
        let owner = try OwnerPolicy(
            text: #"@id("no-profile-by-consent") forbid (principal, action == Action::"approve", resource == Scope::"profile");"#,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.policy = owner
        }
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            let refused = try await browser.request(Flow.authorizeURI(scope: "openid profile read"))
            #expect(refused.status == .found)
            #expect(Flow.query(try #require(refused.location))["error"] == "invalid_scope")
            let offered = try await browser.request(Flow.authorizeURI(scope: "openid read"))
            #expect(Flow.query(offered.location ?? "")["error"] == nil)
        }
    }

    @Test func aBrokenOwnerSetStopsTheConfigurationFromLoading() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("policy.cedar").path
        try "forbid (principal, action, resource) when { principal.nope };\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigurationLoader.load(file: "policy:\n  file: \(file)\n", environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.field == "policy.file" && "\(error)".contains("\(file):1:1")
        }
        try "permit (principal, action, resource);\n".write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader.load(file: "policy:\n  file: \(file)\n  replace_defaults: true\n", environment: [:])
        #expect(loaded.policy?.includesDefaults == false)
    }
}
