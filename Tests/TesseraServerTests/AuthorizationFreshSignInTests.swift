import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `prompt` and `max_age` at `/authorize` (OpenID Connect Core §3.1.2.1): `prompt=login` and a `max_age` the
/// session's sign-in is older than make the person sign in again on the same pages, and the ID token's
/// `auth_time` is that new sign-in; `prompt=consent` asks even under a remembered consent; `prompt=none` shows
/// no page at all and answers `login_required` / `consent_required`. A client told `max_age` by a step-up
/// error (RFC 9470 §3) can thereby get a fresh sign-in.
extension AuthorizationCodeFlowTests {
    /// The ID token's `auth_time` after redeeming the code in `location`.
    func authTime(_ client: any TestClientProtocol, _ location: String) async throws -> Int? {
        let code = try #require(Self.query(location)["code"], "\(location)")
        let (status, body) = try await Self.redeem(client, code: code, auth: webBasic)
        #expect(status == .ok, "\(body)")
        let idToken = try CompactJWS(parsing: try #require(body["id_token"] as? String))
        return try JSONDecoder().decode(IDTokenClaims.self, from: idToken.payload).authTime
    }

    /// Starts a request and opens its consent page; returns the page and its path.
    static func open(_ browser: Browser, _ extra: [(String, String)]) async throws -> (Page, String) {
        let start = try await browser.request(Self.authorizeURI(extra: extra))
        #expect(start.status == .seeOther, "\(start.body)")
        let consentPath = try #require(start.location, "\(start.body)")
        return (try await browser.request(consentPath), consentPath)
    }

    static func seconds(_ date: Date) -> Int { Int(date.timeIntervalSince1970) }

    /// Opens the consent page of a held request and approves everything (or lets a remembered consent answer);
    /// returns the redirect back to the client.
    static func approveHeld(_ browser: Browser, _ consentPath: String) async throws -> String {
        let page = try await browser.request(consentPath)
        // A consent remembered from an earlier approval answers without the page (once the sign-in is fresh).
        if page.status == .seeOther, let location = page.location, !location.hasPrefix("/") { return location }
        #expect(page.status == .ok, "\(page.status) \(page.location ?? "")")
        let decided = try await browser.request(consentPath, method: .post, form: [("csrf", page.csrf ?? ""), ("decision", "approve_all")])
        return try #require(decided.location, "\(decided.status)")
    }

    @Test func promptLoginMakesASignedInPersonSignInAgain() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            clock.advance(by: 60)
            let (page, consentPath) = try await Self.open(browser, [("prompt", "login")])
            #expect(page.status == .seeOther)
            #expect(page.location == Self.signInAgainPath(consentPath), "\(page.body)")
            let resignedAt = Self.seconds(clock.now)
            try await browser.signIn(at: Self.signInAgainPath(consentPath))
            let location = try await Self.approveHeld(browser, consentPath)
            #expect(try await authTime(client, location) == resignedAt)
        }
    }

    @Test func maxAgeMakesAnOlderSignInSignInAgain() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            let signedInAt = Self.seconds(clock.now)
            try await browser.signIn()
            clock.advance(by: 120)
            // Recent enough: asked nothing more, and the ID token says when.
            let (recent, recentPath) = try await Self.open(browser, [("max_age", "600")])
            #expect(recent.status == .ok, "\(recent.body)")
            let kept = try await browser.request(
                recentPath,
                method: .post,
                form: [("csrf", recent.csrf ?? ""), ("decision", "approve_all")]
            )
            #expect(try await authTime(client, try #require(kept.location)) == signedInAt)
            // Older than max_age: sign in again first.
            let (stale, stalePath) = try await Self.open(browser, [("max_age", "60")])
            #expect(stale.location == Self.signInAgainPath(stalePath), "\(stale.status) \(stale.body)")
            let resignedAt = Self.seconds(clock.now)
            try await browser.signIn(at: Self.signInAgainPath(stalePath))
            let location = try await Self.approveHeld(browser, stalePath)
            #expect(try await authTime(client, location) == resignedAt)
        }
    }

    /// A remembered consent answers without a page, but never without the fresh sign-in asked for;
    /// `prompt=consent` shows the page although the consent is remembered.
    @Test func aRememberedConsentNeitherSkipsAFreshSignInNorPromptConsent() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            _ = try await Self.approve(browser, Self.authorizeURI())
            clock.advance(by: 60)
            let (login, loginPath) = try await Self.open(browser, [("prompt", "login")])
            #expect(login.location == Self.signInAgainPath(loginPath), "\(login.status) \(login.location ?? "")")
            try await browser.signIn(at: Self.signInAgainPath(loginPath))
            let (consent, _) = try await Self.open(browser, [("prompt", "consent")])
            #expect(consent.status == .ok, "\(consent.location ?? "")")
            #expect(consent.body.contains("Allow access?"))
        }
    }

    /// `prompt=none`: no page is shown; the client learns why at its redirect URI.
    @Test func promptNoneShowsNoPage() async throws {
        try await withApp { client, _ in
            let browser = Browser(client)
            let (unsigned, _) = try await Self.open(browser, [("prompt", "none")])
            #expect(unsigned.status == .seeOther)
            let refused = Self.query(try #require(unsigned.location))
            #expect(refused["error"] == "login_required" && refused["state"] == "st-123", "\(unsigned.location ?? "")")
            try await browser.signIn()
            let (notYet, _) = try await Self.open(browser, [("prompt", "none")])
            #expect(Self.query(try #require(notYet.location))["error"] == "consent_required", "\(notYet.location ?? "")")
            _ = try await Self.approve(browser, Self.authorizeURI())
            let (remembered, _) = try await Self.open(browser, [("prompt", "none")])
            #expect(Self.query(try #require(remembered.location))["code"] != nil, "\(remembered.location ?? "")")
        }
    }

    @Test func malformedPromptAndMaxAgeAreRefused() async throws {
        try await withApp { client, _ in
            let browser = Browser(client)
            for extra in [[("prompt", "none login")], [("max_age", "-1")], [("max_age", "soon")]] {
                let start = try await browser.request(Self.authorizeURI(extra: extra))
                #expect(start.status == .found, "\(extra)")
                #expect(Self.query(try #require(start.location))["error"] == "invalid_request", "\(extra)")
            }
        }
    }

    /// The decision itself holds the rule: posting the consent form without opening the page (where the stale
    /// session would be sent to sign in) gets no code; the person is sent to sign in again, and the request
    /// is still there to approve afterwards.
    @Test func aStaleSessionCannotPostTheDecisionDirectly() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            let csrf = try #require(try await browser.request("/account").csrf)
            clock.advance(by: 60)
            let start = try await browser.request(Self.authorizeURI(extra: [("prompt", "login")]))
            let consentPath = try #require(start.location)
            let posted = try await browser.request(consentPath, method: .post, form: [("csrf", csrf), ("decision", "approve_all")])
            #expect(posted.status == .seeOther)
            #expect(posted.location == Self.signInAgainPath(consentPath), "\(posted.location ?? "")")
            #expect(Self.query(posted.location ?? "")["code"] == nil)
            let resignedAt = Self.seconds(clock.now)
            try await browser.signIn(at: try #require(posted.location))
            let location = try await Self.approveHeld(browser, consentPath)
            #expect(try await authTime(client, location) == resignedAt)
        }
    }

    /// The sign-in page that asks a signed-in person for their password again before `next`.
    static func signInAgainPath(_ next: String) -> String {
        "/signin?next=" + FormParameters.encode(next) + "&again=1"
    }

    /// `max_age` is measured when the page is shown and when the decision is made, not when the request arrived
    /// (OpenID Connect Core §3.1.2.1): a page opened while the sign-in was fresh enough does not issue a code
    /// for it once it is older than `max_age`; the person signs in again and the same request goes on.
    @Test func maxAgeIsMeasuredAtThePageAndTheDecisionNotAtArrival() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            clock.advance(by: 2)
            let (page, consentPath) = try await Self.open(browser, [("max_age", "5")])
            #expect(page.status == .ok, "\(page.status) \(page.location ?? "")")
            clock.advance(by: 12)
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", page.csrf ?? ""), ("decision", "approve_all")]
            )
            #expect(decided.location == Self.signInAgainPath(consentPath), "\(decided.status) \(decided.location ?? "")")
            #expect(Self.query(decided.location ?? "")["code"] == nil)
            let reopened = try await browser.request(consentPath)
            #expect(reopened.location == Self.signInAgainPath(consentPath), "\(reopened.status) \(reopened.location ?? "")")
            let resignedAt = Self.seconds(clock.now)
            try await browser.signIn(at: Self.signInAgainPath(consentPath))
            let location = try await Self.approveHeld(browser, consentPath)
            #expect(try await authTime(client, location) == resignedAt)
        }
    }

    /// `max_age=0` with `prompt=consent`: the sign-in it forces is made for this request, which is the
    /// re-authentication OpenID Connect Core §3.1.2.1 asks for, so a decision posted 20 seconds later is answered
    /// with a code for that sign-in (measuring it against the decision's time would send the person round in a
    /// loop: no one reads a consent page in 0 seconds). The session that was signed in before the request is not.
    @Test func aSignInMadeForTheRequestSatisfiesMaxAgeZero() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            clock.advance(by: 30)
            let (first, consentPath) = try await Self.open(browser, [("max_age", "0"), ("prompt", "consent")])
            #expect(first.location == Self.signInAgainPath(consentPath), "\(first.status) \(first.location ?? "")")
            let stale = try await browser.request("/account")
            let refused = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", try #require(stale.csrf)), ("decision", "approve_all")]
            )
            #expect(refused.location == Self.signInAgainPath(consentPath), "\(refused.status) \(refused.location ?? "")")
            let resignedAt = Self.seconds(clock.now)
            try await browser.signIn(at: Self.signInAgainPath(consentPath))
            let page = try await browser.request(consentPath)
            #expect(page.status == .ok, "\(page.status) \(page.location ?? "")")
            clock.advance(by: 20)
            let decided = try await browser.request(
                consentPath,
                method: .post,
                form: [("csrf", page.csrf ?? ""), ("decision", "approve_all")]
            )
            let location = try #require(decided.location)
            #expect(Self.query(location)["code"] != nil, "\(decided.status) \(location)")
            #expect(try await authTime(client, location) == resignedAt)
        }
    }

    /// A cross-site link to `/authorize?…&prompt=login` cannot sign anyone out: the GET that sends the person to
    /// sign in again leaves the session as it was (it is replaced only by the password sign-in that follows),
    /// and `prompt=login` still needs that sign-in before a code is issued.
    @Test func aSignInAgainOnAGetDoesNotEndTheSession() async throws {
        let clock = clock
        try await withApp { client, _ in
            let browser = Browser(client)
            try await browser.signIn()
            clock.advance(by: 60)
            for extra in [[("prompt", "login")], [("max_age", "0")]] {
                let (page, consentPath) = try await Self.open(browser, extra)
                #expect(page.location == Self.signInAgainPath(consentPath), "\(page.status) \(page.location ?? "")")
                #expect(page.setCookie == nil, "\(page.setCookie ?? "")")
                let account = try await browser.request("/account")
                #expect(account.status == .ok, "\(extra): \(account.status) \(account.location ?? "")")
                // Still signed in, the sign-in page asked for again shows the password form rather than passing through.
                let form = try await browser.request(Self.signInAgainPath(consentPath))
                #expect(form.status == .ok && form.csrf != nil, "\(form.status) \(form.location ?? "")")
                let posted = try await browser.request(
                    consentPath,
                    method: .post,
                    form: [("csrf", try #require(account.csrf)), ("decision", "approve_all")]
                )
                #expect(Self.query(posted.location ?? "")["code"] == nil, "\(posted.location ?? "")")
                #expect(posted.location == Self.signInAgainPath(consentPath), "\(posted.location ?? "")")
            }
        }
    }
}
