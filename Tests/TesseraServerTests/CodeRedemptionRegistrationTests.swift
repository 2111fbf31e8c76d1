import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Review round 13, L4 and L6: a code is redeemed under the client's registration of the day, as a refresh is (J6, J13).
/// A code issued before the operator took a scope, a rich authorization type or a redirect URI from the client does not
/// bring back what was taken (RFC 6749 §3.3, §4.1.3; RFC 9396 §7; RFC 9700 §4.1).
@Suite struct CodeRedemptionRegistrationTests {
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()

    /// What a redemption answered.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var error: String?
        var scope: String?
        var details: Int?
    }

    /// Issues a code for `uri` under `Flow.configure`, then redeems it at `redirect` after a restart with `narrowed`.
    func redeemAfterRestart(
        _ uri: String,
        redirect: String = Flow.callback,
        _ narrowed: @escaping @Sendable (inout ServerConfiguration) -> Void
    ) async throws -> Answer {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("codes-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func withApp<Value: Sendable>(
            _ configure: @escaping @Sendable (inout ServerConfiguration) -> Void,
            _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
        ) async throws -> Value {
            let app = try await TestServer.build(now: clock.closure) { configuration in
                configuration.database = "sqlite:" + path
                Flow.configure(&configuration)
                configure(&configuration)
            }
            return try await app.application.test(.router) { client in try await body(client) }
        }
        let code = try await withApp({ _ in }) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            return try #require(Flow.query(try await Flow.approve(browser, uri))["code"])
        }
        return try await withApp(narrowed) { client in
            let auth = TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
            let (status, json) = try await Flow.redeem(client, code: code, redirect: redirect, auth: auth)
            return Answer(
                status: status,
                error: json["error"] as? String,
                scope: json["scope"] as? String,
                details: (json["authorization_details"] as? [Any])?.count
            )
        }
    }

    static func registering(scopes: String) -> @Sendable (inout ServerConfiguration) -> Void {
        { configuration in
            configuration.clients = configuration.clients.map { client in
                guard client.id == Flow.web else { return client }
                var narrowed = client
                narrowed.scopes = scopes
                return narrowed
            }
        }
    }

    @Test func aScopeTakenFromTheClientIsNotIssuedForAnEarlierCode() async throws {
        let answer = try await redeemAfterRestart(Flow.authorizeURI(), Self.registering(scopes: "openid profile"))
        #expect(answer.status == .ok, "\(answer)")
        #expect(answer.scope == "openid profile", "\(answer)")
    }

    @Test func aTypeTakenFromTheClientRefusesAnEarlierCode() async throws {
        let details = #"[{"type":"billing","actions":["pay"]}]"#
        let answer = try await redeemAfterRestart(Flow.authorizeURI(extra: [("authorization_details", details)])) { configuration in
            configuration.authorizationDetailsTypes = configuration.authorizationDetailsTypes.map { type in
                type.type == "billing" ? AuthorizationDetailsTypeDefinition(type: "billing", clients: ["someone-else"]) : type
            }
        }
        #expect(answer.status == .badRequest, "\(answer)")
        #expect(answer.error == "invalid_authorization_details", "\(answer)")
    }

    @Test func aRedirectURITakenFromTheClientRedeemsNoEarlierCode() async throws {
        let removed = "https://app.example/other?tenant=1"
        let answer = try await redeemAfterRestart(Flow.authorizeURI(redirect: removed), redirect: removed) { configuration in
            configuration.clients = configuration.clients.map { client in
                guard client.id == Flow.web else { return client }
                var narrowed = client
                narrowed.redirectURIs = [Flow.callback]
                return narrowed
            }
        }
        #expect(answer.status == .badRequest, "\(answer)")
        #expect(answer.error == "invalid_grant", "\(answer)")
    }

    /// L6 at the consent page: a page held before the operator took its redirect URI from the client shows nothing to
    /// approve afterwards, and its decision sends no code there.
    @Test func aRequestHeldForARemovedRedirectURIIsVoid() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("held-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let removed = "https://app.example/other?tenant=1"
        let clock = clock
        func withApp(removing: Bool, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            let app = try await TestServer.build(now: clock.closure) { configuration in
                configuration.database = "sqlite:" + path
                Flow.configure(&configuration)
                guard removing else { return }
                configuration.clients = configuration.clients.map { client in
                    guard client.id == Flow.web else { return client }
                    var narrowed = client
                    narrowed.redirectURIs = [Flow.callback]
                    return narrowed
                }
            }
            try await app.application.test(.router) { client in try await body(client) }
        }
        let held = Mutex<(cookie: String?, page: String, csrf: String)?>(nil)
        try await withApp(removing: false) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let (page, shown) = try await RememberedConsentTests.open(browser, Flow.authorizeURI(redirect: removed))
            #expect(shown.status == .ok)
            held.withLock { $0 = (browser.cookie, page, shown.csrf ?? "") }
        }
        let (cookie, page, csrf) = try #require(held.withLock { $0 })
        try await withApp(removing: true) { client in
            let browser = Flow.Browser(client)
            browser.cookie = cookie
            let shown = try await browser.request(page)
            #expect(shown.status != .ok, "\(shown.body.prefix(200))")
            let decided = try await browser.request(page, method: .post, form: [("csrf", csrf), ("decision", "approve_all")])
            #expect(decided.location?.hasPrefix("https://app.example/other") != true, "\(decided.location ?? "")")
        }
    }
}
