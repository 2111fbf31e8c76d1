import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Routing to a person the owner's policy names (docs/policy.md, "Routing a grant to its resource owner"):
/// with no `gnap.interaction.resource_owners` at all, a right only bob may approve is bob's, so the grant's
/// interaction waits for bob whatever the client's `user` hint says (RFC 9635 §1.4: the client operator is
/// not the authorizing party). A right nobody owns still follows the hint.
extension OwnerPolicyDoorsTests {
    static let payrollIsBobs = """
        @id("payroll-is-bobs")
        forbid (principal, action == Action::"approve", resource == Scope::"payroll")
        when { context has user && context.user != User::"bob" };
        """

    /// A stranger's grant of `access` with a `user` hint naming alice, waiting at its interaction page.
    /// - Returns: the interaction page's path and the grant id.
    func hintedGrant(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        access: [GNAPAccessRight]
    ) async throws -> (page: String, grant: String) {
        let stranger = GNAPTestSigner(now: clock.closure)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: access)),
                client: .value(GNAPClientInstance(key: stranger.key)),
                user: .value(subIDs: [["format": .string("opaque"), "id": .string("alice")]], assertions: nil),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        let pending = try await GNAPEndpointTests.send(client, app, stranger, method: .post, path: "/gnap", body: body)
        #expect(pending.status == .ok, "\(pending.json)")
        let interact = pending.json["interact"] as? [String: Any]
        let redirect = try #require(interact?["redirect"] as? String, "\(pending.json)")
        let uri = try #require((pending.json["continue"] as? [String: Any])?["uri"] as? String, "\(pending.json)")
        let page = String(redirect.dropFirst(app.engine.configuration.issuer.count))
        return (page, String(uri.split(separator: "/").last ?? ""))
    }

    /// Signs `person` in and opens `page`; for the owner, approves everything shown.
    /// - Returns: the page's status.
    func open(_ page: String, as person: String, approving: Bool, _ client: any TestClientProtocol) async throws -> HTTPResponse.Status {
        let browser = AuthorizationCodeFlowTests.Browser(client)
        try await browser.signIn(username: person, password: person + "-password")
        let shown = try await browser.request(page)
        guard approving, shown.status == .ok else { return shown.status }
        let form = [
            ("csrf", shown.csrf ?? ""), ("rights_digest", ConsentPagesTests.hidden(shown.body, "rights_digest") ?? ""),
            ("decision", "approve_all"),
        ]
        let decided = try await browser.request(page, method: .post, form: form)
        #expect(decided.status == .ok, "\(decided.body)")
        return shown.status
    }

    @Test func aGrantIsRoutedToThePersonTheOwnersPolicyNames() async throws {
        let owner = try OwnerPolicy(text: Self.payrollIsBobs, source: "owner.cedar")
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.users = ["alice", "bob"].map { UserDefinition(username: $0, password: $0 + "-password") }
        }
        try await app.application.test(.router) { client in
            // Owned by bob: alice (whom the hint names) is refused "not yours", bob approves.
            let payroll = try await hintedGrant(client, app, access: ["payroll"])
            #expect(try await open(payroll.page, as: "alice", approving: false, client) == .forbidden)
            #expect(try await open(payroll.page, as: "bob", approving: true, client) == .ok, "the policy routes payroll to bob")
            #expect(try await app.engine.stores.gnap.grant(id: payroll.grant)?.state == .approved)
            #expect(try await app.engine.stores.gnap.grant(id: payroll.grant)?.subject == "bob")

            // Owned by nobody (the control): the client's hint routes it to alice, as before.
            let albums = try await hintedGrant(client, app, access: ["albums"])
            #expect(try await open(albums.page, as: "bob", approving: false, client) == .forbidden)
            #expect(try await open(albums.page, as: "alice", approving: true, client) == .ok)
            #expect(try await app.engine.stores.gnap.grant(id: albums.grant)?.subject == "alice")
        }
    }

    /// The page's `<h1>`.
    static func heading(_ body: String) -> String? {
        body.components(separatedBy: "<h1>").dropFirst().first?.components(separatedBy: "</h1>").first
    }

    /// A routing refusal says what it is (issue 19): the policies route payroll to its owner, so alice's consent
    /// page answers 403 "someone else must approve", without naming bob; the client's hint naming alice, which
    /// bob meets on the albums page, keeps the "not yours" page.
    @Test func aRoutingRefusalSaysSomeoneElseMustApproveWithoutNamingThem() async throws {
        let owner = try OwnerPolicy(text: Self.payrollIsBobs, source: "owner.cedar")
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.users = ["alice", "bob"].map { UserDefinition(username: $0, password: $0 + "-password") }
        }
        try await app.application.test(.router) { client in
            let payroll = try await hintedGrant(client, app, access: ["payroll"])
            let albums = try await hintedGrant(client, app, access: ["albums"])
            let alice = AuthorizationCodeFlowTests.Browser(client)
            try await alice.signIn()
            let bob = AuthorizationCodeFlowTests.Browser(client)
            try await bob.signIn(username: "bob", password: "bob-password")

            let routed = try await alice.request(payroll.page)
            #expect(routed.status == .forbidden)
            #expect(Self.heading(routed.body) == "Someone else must approve this", "\(routed.body)")
            #expect(!routed.body.contains("bob"), "the owner's name leaked")
            let hinted = try await bob.request(albums.page)
            #expect(hinted.status == .forbidden)
            #expect(Self.heading(hinted.body) == "Not yours to approve", "\(hinted.body)")
        }
    }
}
