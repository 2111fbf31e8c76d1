import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Remembered consent and the account page over the real routes: a second identical request is
/// answered without asking, a wider one asks again, and withdrawing a consent on `/account`
/// revokes the tokens issued under it (introspection inactive, refresh refused).
@Suite struct RememberedConsentTests {
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    var basic: String { TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret) }

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.users.append(UserDefinition(username: "bob", password: "bob-password-bob", displayName: "Bob"))
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    /// Starts a request and opens its consent path: the consent page, or the redirect a remembered consent answers with.
    static func open(_ browser: Flow.Browser, _ uri: String) async throws -> (path: String, page: Flow.Page) {
        let start = try await browser.request(uri)
        let path = try #require(start.location)
        return (path, try await browser.request(path))
    }

    static func introspect(_ client: any TestClientProtocol, _ token: String, auth: String) async throws -> Bool? {
        try await client.execute(
            uri: "/introspect",
            method: .post,
            headers: HTTPHelpers.form(authorization: auth),
            body: ByteBuffer(string: "token=\(token)")
        ) { try HTTPHelpers.json($0.body)["active"] as? Bool }
    }

    /// The consent identifiers in the account page's withdraw forms.
    static func consentIDs(_ body: String) -> [String] {
        body.components(separatedBy: "action=\"/account/consents/").dropFirst().map { String($0.prefix { $0 != "/" }) }
    }

    @Test func aSecondIdenticalRequestSkipsConsentAndAWiderOneAsksAgain() async throws {
        let basic = basic
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            // Partial approval: only "openid read" is remembered.
            let first = try await Flow.approve(browser, Flow.authorizeURI(), decision: "approve", scopes: ["openid", "read"])
            #expect(Flow.query(first)["code"] != nil)
            let (_, same) = try await Self.open(browser, Flow.authorizeURI(scope: "openid read"))
            #expect(same.status == .seeOther, "no consent page the second time")
            let location = try #require(same.location)
            #expect(location.hasPrefix(Flow.callback + "?"))
            let answer = Flow.query(location)
            #expect(answer["state"] == "st-123")
            let code = try #require(answer["code"])
            let (status, body) = try await Flow.redeem(client, code: code, auth: basic)
            #expect(status == .ok, "\(body)")
            #expect(body["scope"] as? String == "openid read")
            #expect(body["id_token"] is String)
            // A narrower request is covered too.
            let (_, narrower) = try await Self.open(browser, Flow.authorizeURI(scope: "read"))
            #expect(narrower.status == .seeOther)
            // More scope, another resource or authorization_details: asked again.
            let (_, wider) = try await Self.open(browser, Flow.authorizeURI(scope: "openid profile read"))
            #expect(wider.status == .ok)
            #expect(wider.body.contains("Allow access?"))
            let details = #"[{"type":"billing"}]"#
            let (_, withDetails) = try await Self.open(
                browser,
                Flow.authorizeURI(scope: "read", extra: [("authorization_details", details)])
            )
            #expect(withDetails.status == .ok)
            #expect(withDetails.body.contains("Allow access?"))
            // Another client is not covered by this client's consent.
            let (_, otherClient) = try await Self.open(
                browser,
                Flow.authorizeURI(client: Flow.spa, redirect: Flow.spaCallback, scope: "read")
            )
            #expect(otherClient.status == .ok)
            // Another person is asked for their own consent.
            let bob = Flow.Browser(client)
            try await bob.signIn(username: "bob", password: "bob-password-bob")
            let (_, bobPage) = try await Self.open(bob, Flow.authorizeURI(scope: "openid read"))
            #expect(bobPage.status == .ok)
            #expect(bobPage.body.contains("Allow access?"))
        }
    }

    @Test func authorizationDetailsAreRememberedEntryByEntry() async throws {
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let details = #"[{"type":"photo-api","actions":["read"]},{"type":"billing"}]"#
            _ = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", details)]))
            let (_, same) = try await Self.open(
                browser,
                Flow.authorizeURI(scope: "read", extra: [("authorization_details", #"[{"type":"billing"}]"#)])
            )
            #expect(same.status == .seeOther)
            let sameLocation = try #require(same.location)
            #expect(Flow.query(sameLocation)["code"] != nil)
            let more = #"[{"type":"photo-api","actions":["read","write"]}]"#
            let (_, asked) = try await Self.open(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", more)]))
            #expect(asked.status == .ok)
        }
    }

    @Test func withdrawingAConsentRevokesItsTokensAndTheNextRequestAsksAgain() async throws {
        let basic = basic
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let firstCode = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let (_, first) = try await Flow.redeem(client, code: firstCode, auth: basic)
            // A second code under the same remembered consent: its tokens go too.
            let (_, again) = try await Self.open(browser, Flow.authorizeURI())
            let againLocation = try #require(again.location)
            let secondCode = try #require(Flow.query(againLocation)["code"])
            let (_, second) = try await Flow.redeem(client, code: secondCode, auth: basic)
            let firstRefresh = try #require(first["refresh_token"] as? String)
            // A rotated refresh token stays in the family.
            let (rotatedStatus, rotated) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", firstRefresh)],
                auth: basic
            )
            #expect(rotatedStatus == .ok)
            let tokens = try [
                first["access_token"], second["access_token"], second["refresh_token"], rotated["access_token"], rotated["refresh_token"],
            ]
            .map { try #require($0 as? String) }
            for token in tokens { #expect(try await Self.introspect(client, token, auth: basic) == true) }

            let account = try await browser.request("/account")
            #expect(account.status == .ok)
            #expect(account.body.contains(Flow.web))
            #expect(account.body.contains("openid profile read"))
            let ids = Self.consentIDs(account.body)
            #expect(ids.count == 1, "one consent, remembered once")
            let id = try #require(ids.first)
            let withdrawn = try await browser.request(
                "/account/consents/\(id)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(withdrawn.status == .ok)
            #expect(withdrawn.body.contains("no-consents"))

            for token in tokens { #expect(try await Self.introspect(client, token, auth: basic) == false) }
            let (refused, refusedBody) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", tokens[4])],
                auth: basic
            )
            #expect(refused == .badRequest)
            #expect(refusedBody["error"] as? String == "invalid_grant")
            let (_, asked) = try await Self.open(browser, Flow.authorizeURI())
            #expect(asked.status == .ok)
            #expect(asked.body.contains("Allow access?"))
            // Withdrawn once: a second withdrawal finds nothing.
            let twice = try await browser.request("/account/consents/\(id)/withdraw", method: .post, form: [("csrf", account.csrf ?? "")])
            #expect(twice.status == .notFound)
        }
    }

    /// `prompt=consent` asks the person again (OpenID Connect Core §3.1.2.1); when she then denies (§3.1.2.4: the
    /// decision is hers), the remembered consent that would have answered the request is withdrawn as on `/account`,
    /// with every token issued under it, and the next request asks again. Ninth review: it was kept, so the next
    /// request without `prompt` was answered under the consent she had just refused.
    @Test func denyingAtPromptConsentWithdrawsTheRememberedConsent() async throws {
        let basic = basic
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let (_, issued) = try await Flow.redeem(client, code: code, auth: basic)
            let tokens = try [issued["access_token"], issued["refresh_token"]].map { try #require($0 as? String) }
            for token in tokens { #expect(try await Self.introspect(client, token, auth: basic) == true) }

            let (path, page) = try await Self.open(browser, Flow.authorizeURI(extra: [("prompt", "consent")]))
            #expect(page.status == .ok, "prompt=consent shows the page")
            let denied = try await browser.request(path, method: .post, form: [("csrf", page.csrf ?? ""), ("decision", "deny")])
            #expect(Flow.query(try #require(denied.location))["error"] == "access_denied")

            for token in tokens { #expect(try await Self.introspect(client, token, auth: basic) == false) }
            #expect(Self.consentIDs(try await browser.request("/account").body).isEmpty)
            let (_, asked) = try await Self.open(browser, Flow.authorizeURI())
            #expect(asked.status == .ok, "no remembered consent answers: \(asked.location ?? "")")
            #expect(asked.body.contains("Allow access?"))
        }
    }

    /// Denying a request the remembered consent does not cover (it asks for more) refuses that request only: the
    /// narrower consent was not asked about, so it stands and still answers what it covers.
    @Test func denyingAWiderRequestKeepsTheNarrowerRememberedConsent() async throws {
        let basic = basic
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let first = try await Flow.approve(browser, Flow.authorizeURI(), decision: "approve", scopes: ["openid", "read"])
            let (_, issued) = try await Flow.redeem(client, code: try #require(Flow.query(first)["code"]), auth: basic)
            let access = try #require(issued["access_token"] as? String)

            let (path, page) = try await Self.open(browser, Flow.authorizeURI(scope: "openid profile read"))
            #expect(page.status == .ok)
            let denied = try await browser.request(path, method: .post, form: [("csrf", page.csrf ?? ""), ("decision", "deny")])
            #expect(Flow.query(try #require(denied.location))["error"] == "access_denied")

            #expect(try await Self.introspect(client, access, auth: basic) == true)
            let (_, same) = try await Self.open(browser, Flow.authorizeURI(scope: "openid read"))
            #expect(same.status == .seeOther, "the remembered consent still answers")
            #expect(Flow.query(try #require(same.location))["code"] != nil)
        }
    }

    @Test func aCodeIssuedUnderAConsentIsRefusedAfterTheConsentIsWithdrawn() async throws {
        let basic = basic
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let account = try await browser.request("/account")
            let id = try #require(Self.consentIDs(account.body).first)
            let withdrawn = try await browser.request(
                "/account/consents/\(id)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(withdrawn.status == .ok)
            let (status, body) = try await Flow.redeem(client, code: code, auth: basic)
            #expect(status == .badRequest)
            #expect(body["error"] as? String == "invalid_grant")
        }
    }

    @Test func anotherPersonsConsentCannotBeWithdrawnAndCSRFIsRequired() async throws {
        let basic = basic
        try await withApp { client in
            let alice = Flow.Browser(client)
            try await alice.signIn()
            let code = try #require(Flow.query(try await Flow.approve(alice, Flow.authorizeURI()))["code"])
            let (_, tokens) = try await Flow.redeem(client, code: code, auth: basic)
            let access = try #require(tokens["access_token"] as? String)
            let aliceAccount = try await alice.request("/account")
            let id = try #require(Self.consentIDs(aliceAccount.body).first)

            // Not signed in: to the sign-in page, nothing changes.
            let anonymous = try await Flow.Browser(client).request("/account")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.location == "/signin?next=" + FormParameters.encode("/account"))

            let bob = Flow.Browser(client)
            try await bob.signIn(username: "bob", password: "bob-password-bob")
            let bobAccount = try await bob.request("/account")
            #expect(bobAccount.body.contains("no-consents"))
            #expect(!bobAccount.body.contains(id))
            let stolen = try await bob.request("/account/consents/\(id)/withdraw", method: .post, form: [("csrf", bobAccount.csrf ?? "")])
            #expect(stolen.status == .notFound)

            let missing = try await alice.request("/account/consents/\(id)/withdraw", method: .post, form: [])
            #expect(missing.status == .forbidden)
            let wrong = try await alice.request("/account/consents/\(id)/withdraw", method: .post, form: [("csrf", bobAccount.csrf ?? "x")])
            #expect(wrong.status == .forbidden)

            #expect(try await Self.introspect(client, access, auth: basic) == true, "nothing was withdrawn")
            #expect(Self.consentIDs(try await alice.request("/account").body) == [id])
        }
    }

    @Test func theAccountPageEscapesWhatItShowsAndIsLinkedFromTheConsentPage() async throws {
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let (_, consent) = try await Self.open(browser, Flow.authorizeURI())
            #expect(consent.body.contains("href=\"/account\""))
            let details = #"[{"type":"billing","note":"<script>alert(1)</script>"}]"#
            _ = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", details)]))
            let account = try await browser.request("/account")
            #expect(account.body.contains("billing"))
            #expect(!account.body.contains("<script>"))
            #expect(account.body.contains("&lt;script&gt;"))
        }
    }
}
