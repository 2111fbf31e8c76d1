import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 21: consent a person can read, through the real routes. The GNAP and OAuth consent pages
/// explain each Cedar policy in plain language from the schema of the `authorization_details` type
/// (the shipped Examples/BankAPI schema with its display names), keep the exact policy behind a
/// disclosure, show the narrowing the AS will apply before the person approves; the sign-in page
/// names who asks and keeps the username after a wrong password; the account page lists GNAP
/// grants and withdrawing one revokes its tokens.
@Suite struct ConsentPagesTests {
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    /// The shipped example schema, with its `@label` annotations.
    static func exampleSchema() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Examples/BankAPI/bank.cedarschema"), encoding: .utf8)
    }

    static let amountLimit = #"context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00"))"#
    static let backupRead = GNAPAccessRight.object(
        GNAPAccessObject(type: "backup-api", actions: ["read"], locations: ["https://backup.example/"])
    )

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure) }
    var rs: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure) }

    func app() async throws -> TesseraApplication {
        let (agent, rs) = (agent, rs)
        let schema = try Self.exampleSchema()
        return try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.users.append(UserDefinition(username: "bob", password: "bob-password-bob", displayName: "Bob"))
            configuration.gnap.continuationWait = 0
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Fintech agent", allowedAccess: ["payment_initiation", "backup-api"])
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: ["https://backup.example/"])]
            let cedar = AuthorizationDetailsTypeDefinition.Cedar(
                schema: schema,
                policies: SeedFigures.delegationPolicies(client: "agent-1") + "\n" + SeedFigures.delegationPolicies(client: Flow.web),
                conditions: [Self.amountLimit],
                validFor: 600
            )
            configuration.authorizationDetailsTypes.append(AuthorizationDetailsTypeDefinition(type: "payment_initiation", cedar: cedar))
        }
    }

    /// A GNAP grant for `access` that waits for a person through a redirect interaction; returns the
    /// interaction path, the continuation path and token, and the grant id.
    func startGrant(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        access: [GNAPAccessRight]
    ) async throws -> (interaction: String, continuation: String, token: String, grantID: String) {
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: access)),
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
                client: .instance("agent-1"),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        let pending = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(pending.status == .ok, "\(pending.json)")
        let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
        let cont = try #require(pending.json["continue"] as? [String: Any])
        let continuation = String(try #require(cont["uri"] as? String).dropFirst(app.engine.configuration.issuer.count))
        let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
        let interaction = String(redirect.dropFirst(app.engine.configuration.issuer.count))
        return (interaction, continuation, token, String(continuation.split(separator: "/").last ?? ""))
    }

    static func hidden(_ body: String, _ name: String) -> String? {
        guard let range = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(body[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The text of the first element that starts at `marker` up to `end`.
    static func section(_ body: String, from marker: String, to end: String) -> String? {
        guard let start = body.range(of: marker), let stop = body[start.upperBound...].range(of: end) else { return nil }
        return String(body[start.lowerBound..<stop.upperBound])
    }

    /// What every page explaining Figure 2 under the example schema must show.
    static func expectExplainedFigure2(_ body: String, card: String) {
        // The sentence, from the schema's display names.
        #expect(body.contains("may initiate the payment, check its status or cancel it on creditor"), "\(body)")
        #expect(body.contains("the amount is exactly 123.50 EUR"))
        #expect(body.contains("the IBAN of the account of the creditor is DE02 1001 0010 9307 1186 03"))
        // The exact policy only behind the disclosure.
        let disclosure = section(body, from: "<details", to: "</details>") ?? ""
        #expect(disclosure.contains("<summary>Show the exact policy</summary>"), "\(disclosure)")
        #expect(disclosure.contains("resource.creditorAccount.iban == &quot;DE02100100109307118603&quot;"), "\(disclosure)")
        let raw = body.range(of: "DE02100100109307118603")
        let details = body.range(of: "<details")
        #expect(raw != nil && details != nil)
        if let raw, let details { #expect(details.lowerBound < raw.lowerBound, "the raw policy is not shown outside the disclosure") }
        #expect(!body.contains("rarFormat"), "no stray rarFormat block")
        // The narrowing the AS will apply, before approval: `cancel` is not delegated, the amount limit
        // and the expiry are added.
        let narrowing = section(body, from: "<section class=\"narrowing\" id=\"narrowing-\(card)\"", to: "</section>") ?? ""
        #expect(narrowing.contains("cancel it"), "\(narrowing)")
        #expect(narrowing.contains("the amount is at most 1000.00 EUR"), "\(narrowing)")
        #expect(narrowing.contains("until "), "\(narrowing)")
        // One primary approval; the person is greeted by name.
        #expect(body.components(separatedBy: "name=\"decision\" value=\"approve").count == 2, "one approve button")
        #expect(body.components(separatedBy: "class=\"primary\"").count == 2)
        #expect(body.contains("Alice Liddell"))
    }

    @Test func theGNAPConsentPageExplainsEachCedarPolicyAndTheNarrowingBeforeApproval() async throws {
        let app = try await app()
        let figure2 = try SeedFigures.policySet(SeedFigures.figure2)
        let right = GNAPCedarRightsTests.right(figure2)
        try await app.application.test(.router) { client in
            let grant = try await startGrant(client, app, access: [right])
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let page = try await browser.request(grant.interaction)
            #expect(page.status == .ok)
            Self.expectExplainedFigure2(page.body, card: "t0r0p0")
            #expect(page.body.contains("name=\"policy\" value=\"t0r0p0\""), "per-policy approval is kept")
            // The page's digest is the one of the request, unchanged by the rendering.
            let shown = try await app.engine.gnap.interaction(id: String(grant.interaction.split(separator: "/").last ?? ""), for: "alice")
            #expect(Self.hidden(page.body, "rights_digest") == shown.rightsDigest)

            // What is issued is what the page said it would be.
            let decided = try await browser.request(
                grant.interaction,
                method: .post,
                form: [
                    ("csrf", page.csrf ?? ""), ("rights_digest", Self.hidden(page.body, "rights_digest") ?? ""), ("decision", "approve"),
                    ("right", "t0r0"), ("policy", "t0r0p0"),
                ]
            )
            #expect(decided.status == .ok, "\(decided.body)")
            let approved = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: grant.continuation,
                body: nil,
                token: grant.token
            )
            #expect(approved.status == .ok, "\(approved.json)")
            let granted = try #require((approved.json["access_token"] as? [String: Any])?["access"] as? [[String: Any]])
            let text = try #require(granted.first?["policySet"] as? String)
            #expect(!text.contains("cancel") && text.contains("1000.00") && text.contains("context.now <"), "\(text)")
        }
    }

    @Test func theOAuthConsentPageExplainsCedarDetailsAndNamesTheClient() async throws {
        let app = try await app()
        let details = SeedFigures.json(SeedFigures.figure2)
        try await app.application.test(.router) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let start = try await browser.request(Flow.authorizeURI(scope: "read", extra: [("authorization_details", details)]))
            let path = try #require(start.location)
            let page = try await browser.request(path)
            #expect(page.status == .ok, "\(page.body)")
            Self.expectExplainedFigure2(page.body, card: "d0p0")
            #expect(page.body.contains(Flow.web), "the client is named")
            // A plain entry is a readable card of its members, not JSON.
            let plain = #"[{"type":"photo-api","actions":["read","write"],"locations":["https://photos.example/"]}]"#
            let other = try await browser.request(
                try #require(
                    try await browser.request(Flow.authorizeURI(scope: "read", extra: [("authorization_details", plain)])).location
                )
            )
            #expect(other.body.contains("<dt>Actions</dt><dd>read, write</dd>"), "\(other.body)")
            #expect(other.body.contains("<dt>Locations</dt><dd>https://photos.example/</dd>"))
        }
    }

    @Test func theSignInPageNamesWhoAsksAndKeepsTheUsernameAfterAWrongPassword() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            // OAuth: the registered client's identity.
            let browser = Flow.Browser(client)
            let start = try await browser.request(Flow.authorizeURI(scope: "read"))
            let consent = try await browser.request(try #require(start.location))
            let signInPath = try #require(consent.location)
            #expect(signInPath.hasPrefix("/signin?next="))
            let signIn = try await browser.request(signInPath)
            #expect(signIn.status == .ok)
            #expect(signIn.body.contains("id=\"asking\""), "\(signIn.body)")
            #expect(Self.section(signIn.body, from: "id=\"asking\"", to: "</p>")?.contains(Flow.web) == true, "\(signIn.body)")
            let next = try #require(Self.hidden(signIn.body, "next"))
            let wrong = try await browser.request(
                "/signin",
                method: .post,
                form: [("csrf", signIn.csrf ?? ""), ("username", "alice"), ("password", "not-her-password"), ("next", next)]
            )
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.contains("class=\"error\" role=\"alert\""))
            #expect(wrong.body.contains("id=\"username\" name=\"username\" value=\"alice\""), "\(wrong.body)")
            #expect(Self.section(wrong.body, from: "id=\"asking\"", to: "</p>")?.contains(Flow.web) == true, "still says who asks")
            // A typed name with markup is kept escaped.
            let markup = try await browser.request(
                "/signin",
                method: .post,
                form: [("csrf", signIn.csrf ?? ""), ("username", "al\"><script>"), ("password", "x"), ("next", next)]
            )
            #expect(!markup.body.contains("<script>"))

            // GNAP: the instance's registered name.
            let grant = try await startGrant(client, app, access: [Self.backupRead])
            let gnapBrowser = Flow.Browser(client)
            let redirected = try await gnapBrowser.request(grant.interaction)
            let gnapSignIn = try await gnapBrowser.request(try #require(redirected.location))
            #expect(
                Self.section(gnapSignIn.body, from: "id=\"asking\"", to: "</p>")?.contains("Fintech agent") == true,
                "\(gnapSignIn.body)"
            )
        }
    }

    @Test func theAccountPageListsGNAPGrantsAndWithdrawingOneRevokesItsTokens() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let grant = try await startGrant(client, app, access: [Self.backupRead])
            let alice = Flow.Browser(client)
            try await alice.signIn()
            let page = try await alice.request(grant.interaction)
            let decided = try await alice.request(
                grant.interaction,
                method: .post,
                form: [
                    ("csrf", page.csrf ?? ""), ("rights_digest", Self.hidden(page.body, "rights_digest") ?? ""),
                    ("decision", "approve_all"),
                ]
            )
            #expect(decided.status == .ok)
            let approved = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: grant.continuation,
                body: nil,
                token: grant.token
            )
            let value = try #require((approved.json["access_token"] as? [String: Any])?["value"] as? String)
            #expect(try await GNAPEndpointTests.introspect(client, app, rs, value, nil).json["active"] as? Bool == true)

            let account = try await alice.request("/account")
            #expect(account.status == .ok)
            let action = "/account/grants/\(grant.grantID)/withdraw"
            #expect(account.body.contains("action=\"\(action)\""), "\(account.body)")
            #expect(account.body.contains("Fintech agent"))
            #expect(account.body.contains("backup-api"))

            // Another person, with their own session and CSRF token, cannot withdraw it; nor can a form without CSRF.
            let bob = Flow.Browser(client)
            try await bob.signIn(username: "bob", password: "bob-password-bob")
            let bobAccount = try await bob.request("/account")
            #expect(!bobAccount.body.contains(grant.grantID), "bob does not see alice's grant")
            #expect(try await bob.request(action, method: .post, form: [("csrf", bobAccount.csrf ?? "")]).status == .notFound)
            #expect(try await alice.request(action, method: .post, form: [("csrf", "forged")]).status == .forbidden)
            // An id no server mints (a control character) is refused before any lookup.
            #expect(
                try await alice.request("/account/grants/\(grant.grantID)%00/withdraw", method: .post, form: [("csrf", account.csrf ?? "")])
                    .status == .notFound
            )
            #expect(try await GNAPEndpointTests.introspect(client, app, rs, value, nil).json["active"] as? Bool == true)

            let withdrawn = try await alice.request(action, method: .post, form: [("csrf", account.csrf ?? "")])
            #expect(withdrawn.status == .ok)
            #expect(!withdrawn.body.contains("action=\"\(action)\""))
            #expect(try await GNAPEndpointTests.introspect(client, app, rs, value, nil).json["active"] as? Bool == false)
            // The grant is finalized: its continuation is refused.
            let after = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: grant.continuation,
                body: nil,
                token: grant.token
            )
            #expect(GNAPEndpointTests.errorCode(after.json) != nil)
            #expect(try await alice.request(action, method: .post, form: [("csrf", account.csrf ?? "")]).status == .notFound)
        }
    }
}
