import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H6 (and H1 through a remembered consent) at the OAuth door: unticking the
/// `authorization_details` entry that holds a Cedar `forbid` must not give the client more than it asked for
/// (RFC 6749 §3.3, RFC 9396 §7): the resource server merges the entries kept with that forbid, so it is kept.
@Suite struct CedarForbidConsentTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.authorizationDetailsTypes += D.detailTypes()
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    static let both = D.json([D.entry(D.readWriteAny), D.entry(D.denySecret)])
    static var webBasic: String { TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret) }

    /// Redeems the code the redirect carries; the granted entries.
    static func redeem(_ client: any TestClientProtocol, _ location: String) async throws -> [JSONValue] {
        let code = try #require(Flow.query(location)["code"], "\(location)")
        let (status, json) = try await Flow.redeem(client, code: code, auth: webBasic)
        #expect(status == .ok, "\(json)")
        return D.entries(json["authorization_details"])
    }

    @Test func unTickingTheEntryThatHoldsAForbidKeepsTheForbid() async throws {
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let start = try await browser.request(Flow.authorizeURI(scope: "read", extra: [("authorization_details", Self.both)]))
            let path = try #require(start.location)
            let page = try await browser.request(path)
            #expect(page.status == .ok, "\(page.body)")
            #expect(page.body.contains("id=\"fixed-d1p1\""), "the forbid is shown as a restriction that always applies")
            let decided = try await browser.request(
                path,
                method: .post,
                form: [("csrf", page.csrf ?? ""), ("decision", "approve"), ("scope", "read"), ("detail", "0")]
            )
            #expect(decided.status == .seeOther)
            let details = try await Self.redeem(client, try #require(decided.location))
            #expect(!D.allows(details, "write", "secret"), "unticking entry 2 gave write on secret: \(details)")
            #expect(D.allows(details, "write", "a"), "\(details)")
        }
    }

    /// A remembered consent to both entries answers a later request for the first one alone without a page:
    /// that token keeps the second entry's forbid too.
    @Test func aRememberedConsentAnsweringForOneEntryKeepsTheOthersForbid() async throws {
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let first = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", Self.both)]))
            let granted = try await Self.redeem(client, first)
            #expect(!D.allows(granted, "write", "secret"))
            let again = try await Flow.approve(
                browser,
                Flow.authorizeURI(scope: "read", extra: [("authorization_details", D.json([D.entry(D.readWriteAny)]))])
            )
            let details = try await Self.redeem(client, again)
            #expect(!D.allows(details, "write", "secret"), "the remembered consent's forbid was dropped: \(details)")
            #expect(D.allows(details, "write", "a"), "\(details)")
        }
    }
}
