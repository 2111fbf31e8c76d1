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

/// The sign-in page under attack, through the real `/signin` routes: names that are not what they
/// look like, guessing from one address, a flood that would starve the KDF, and anonymous sessions
/// as unbounded rows (docs/SECURITY.md and docs/ROBUSTNESS.md, "Sign-in").
@Suite struct SignInAbuseTests {
    let clock = TestClock()

    static func configure(_ configuration: inout ServerConfiguration) {
        configuration.users = [
            UserDefinition(username: "bob", password: "bob-password-1"),
            UserDefinition(username: "alice", password: "alice-password"),
        ]
    }

    /// A browser: one cookie jar, no redirects followed.
    final class Browser: @unchecked Sendable {
        let client: any TestClientProtocol
        var cookie: String?
        var csrf = ""
        init(_ client: any TestClientProtocol) { self.client = client }

        struct Page {
            var status: HTTPResponse.Status
            var headers: HTTPFields
            var body: String
        }

        func request(_ uri: String, method: HTTPRequest.Method = .get, form: [(String, String)]? = nil) async throws -> Page {
            var headers: HTTPFields = [:]
            if let cookie { headers[.cookie] = cookie }
            var body: ByteBuffer?
            if let form {
                headers[.contentType] = "application/x-www-form-urlencoded"
                body = ByteBuffer(string: FormParameters(form).encoded)
            }
            let page = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
            }
            if let set = page.headers[.setCookie], let pair = set.split(separator: ";").first { cookie = String(pair) }
            if let range = page.body.range(of: "name=\"csrf\" value=\"") {
                csrf = String(page.body[range.upperBound...].prefix { $0 != "\"" })
            }
            return page
        }

        /// Opens the sign-in form (once) and posts it.
        func signIn(_ username: String, _ password: String) async throws -> Page {
            if cookie == nil { _ = try await request("/signin") }
            return try await request(
                "/signin",
                method: .post,
                form: [("csrf", csrf), ("username", username), ("password", password), ("next", "/device")]
            )
        }
    }

    @Test(.bug(id: 23, "after bob was locked, 'bob%00zz' with bob's password signed in as bob"))
    func aNULInTheUsernameNeitherBypassesTheThrottleNorSignsIn() async throws {
        let app = try await TestServer.build(now: clock.closure, configure: Self.configure)
        try await app.application.test(.router) { client in
            let browser = Browser(client)
            for _ in 0..<5 { #expect(try await browser.signIn("bob", "wrong-password").status == .unauthorized) }
            #expect(try await browser.signIn("bob", "bob-password-1").status == .tooManyRequests)
            // The store would read 'bob\0…' as 'bob'; the throttle saw another name. Both now refuse the name.
            for suffix in ["zz", "1", "2"] {
                let guess = try await browser.signIn("bob\u{0}" + suffix, "bob-password-1")
                #expect(guess.status == .badRequest, "bob\\0\(suffix)")
                #expect(guess.headers[.setCookie] == nil, "no new session for bob\\0\(suffix)")
            }
            // The lock is per canonical name: 'BOB' shares bob's budget.
            #expect(try await browser.signIn("BOB", "bob-password-1").status == .tooManyRequests)
            #expect(try await browser.signIn("alice", "alice-password").status == .seeOther)
        }
    }

    @Test(.bug(id: 23, "control characters and non-NFC names reached the store"))
    func namesNoUserCanHaveAreRefusedBeforeTheStore() async throws {
        let app = try await TestServer.build(now: clock.closure, configure: Self.configure)
        try await app.application.test(.router) { client in
            for name in [
                "alice\u{7}", "alice\u{200B}", "ali\u{0301}ce", "a\u{0065}\u{0301}", "alice\n", " alice", String(repeating: "a", count: 65),
                "",
            ] {
                let page = try await Browser(client).signIn(name, "alice-password")
                #expect(page.status == .badRequest, "\(name.unicodeScalars.map { $0.value })")
            }
            #expect(try await Browser(client).signIn("alice", "alice-password").status == .seeOther)
        }
        // The one gate, unit by unit.
        #expect(PresentedIdentifier.isCanonical("e\u{0301}", as: .userCode) == false)
        #expect(PresentedIdentifier.isCanonical("\u{00E9}", as: .userCode))
        #expect(PresentedIdentifier.isCanonical("victim\u{0}", as: .clientID) == false)
        #expect(PresentedIdentifier.isCanonical("https://app.example/client.json", as: .clientID))
        #expect(PresentedIdentifier.isCanonical("0193a6b2c4d5e6f708192a3b4c5d6e7f", as: .serverIdentifier))
        #expect(PresentedIdentifier.isCanonical("0193a6b2\u{0}", as: .serverIdentifier) == false)
    }

    @Test(.bug(id: 23, "only repeated names were throttled, so random names from one address were not"))
    func failedSignInsAreThrottledPerClientAddress() async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Self.configure(&configuration)
            configuration.signIn.attemptsPerAddress = 3
        }
        try await app.application.test(.live) { client in
            let browser = Browser(client)
            for index in 0..<3 { #expect(try await browser.signIn("nobody-\(index)", "guess-\(index)").status == .unauthorized) }
            // Another name, even the right password of a real user: this address has spent its budget.
            let blocked = try await browser.signIn("alice", "alice-password")
            #expect(blocked.status == .tooManyRequests)
            // The window slides: later, the address may try again.
            clock.advance(by: 301)
            #expect(try await browser.signIn("alice", "alice-password").status == .seeOther)
        }
    }

    @Test(.bug(id: 23, "every sign-in ran its KDF on the request path, unbounded"))
    func aFullHashingPoolAnswersServiceUnavailableAtOnce() async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Self.configure(&configuration)
            configuration.signIn.hashing = PasswordHashingPool.Configuration(concurrency: 1, queueLimit: 1)
        }
        try await app.application.test(.router) { client in
            var browsers: [Browser] = []
            for _ in 0..<8 {
                let browser = Browser(client)
                _ = try await browser.request("/signin")
                browsers.append(browser)
            }
            let pages = try await withThrowingTaskGroup(of: Browser.Page.self) { group in
                for (index, browser) in browsers.enumerated() {
                    group.addTask { try await browser.signIn("flood-\(index)", "guess") }
                }
                var pages: [Browser.Page] = []
                for try await page in group { pages.append(page) }
                return pages
            }
            let busy = pages.filter { $0.status == .serviceUnavailable }
            // One runs, one waits; the rest are turned away without hashing.
            #expect(busy.count >= 5, "\(pages.map(\.status.code))")
            #expect(busy.allSatisfy { $0.headers[.retryAfter] != nil })
            #expect(pages.allSatisfy { $0.status == .serviceUnavailable || $0.status == .unauthorized })
            // Once the flood has passed, sign-in works.
            #expect(try await Browser(client).signIn("alice", "alice-password").status == .seeOther)
        }
    }

    @Test(.bug(id: 23, "every GET /signin added a database row, without bound"))
    func anonymousSessionsAreCappedOldestFirst() async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Self.configure(&configuration)
            configuration.signIn.anonymousSessions = 100
        }
        try await app.application.test(.router) { client in
            let first = Browser(client)
            _ = try await first.request("/signin")
            for _ in 0..<129 {
                clock.advance(by: 1)
                _ = try await Browser(client).request("/signin")
            }
            clock.advance(by: 1)
            let last = Browser(client)
            _ = try await last.request("/signin")
            let live = try await app.engine.stores.people.anonymousSessionCount(at: clock.now)
            #expect(live <= 100, "\(live) anonymous sessions")
            // The oldest form was dropped (its CSRF token is gone); the newest still signs in.
            #expect(try await first.signIn("alice", "alice-password").status == .forbidden)
            #expect(try await last.signIn("alice", "alice-password").status == .seeOther)
        }
    }
}
