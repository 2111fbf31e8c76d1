import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A Cedar right's `valid_for` window (docs/rar-cedar.md, "grant time + N seconds") through a remembered OAuth
/// consent (OpenID Connect Core §3.1.2.4): a later `/authorize` answered without a page stands on the person's
/// earlier approval, so its code's Cedar right keeps the window counted from that approval, and once the window
/// has closed the consent no longer answers for the right: the person is asked again (draft-cecchetti-oauth-rar-cedar
/// §7, RFC 9396 §7). The GNAP counterpart is ``GNAPCedarValidForTests``.
@Suite struct RememberedConsentValidForTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    static let entry = D.json([D.entry(D.readWriteAny)])
    static var webBasic: String { TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret) }

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            let cedar = AuthorizationDetailsTypeDefinition.Cedar(policies: "permit (principal, action, resource);", validFor: 60)
            configuration.authorizationDetailsTypes += [AuthorizationDetailsTypeDefinition(type: D.type, cedar: cedar)]
        }
        try await app.application.test(.router) { client in try await body(client) }
    }

    /// Redeems the code a redirect carries; the granted Cedar policy text and the refresh token.
    static func redeem(_ client: any TestClientProtocol, _ location: String) async throws -> (policySet: String, refresh: String) {
        let code = try #require(Flow.query(location)["code"], "\(location)")
        let (status, json) = try await Flow.redeem(client, code: code, auth: webBasic)
        #expect(status == .ok, "\(json)")
        return (
            try #require(RichAuthorizationTests.policySet(json["authorization_details"]), "\(json)"),
            try #require(json["refresh_token"] as? String)
        )
    }

    @Test func aRememberedConsentKeepsTheApprovalsWindowAndStopsAnsweringOnceItCloses() async throws {
        try await withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let uri = Flow.authorizeURI(scope: "read", extra: [("authorization_details", Self.entry)])
            let start = try await browser.request(uri)
            let path = try #require(start.location)
            let page = try await browser.request(path)
            #expect(page.status == .ok, "the first request is asked")
            let decided = try await browser.request(path, method: .post, form: [("csrf", page.csrf ?? ""), ("decision", "approve_all")])
            let approved = try await Self.redeem(client, try #require(decided.location))
            #expect(approved.policySet.contains("context.now < datetime("), "\(approved.policySet)")

            // Within the window the same request is answered by the remembered consent, with the approval's window.
            clock.advance(by: 40)
            let again = try await browser.request(try #require(try await browser.request(uri).location))
            #expect(again.status == .seeOther, "the remembered consent answers within the window")
            let remembered = try await Self.redeem(client, try #require(again.location))
            #expect(remembered.policySet == approved.policySet, "a remembered consent started a new window")

            // A refresh never extends it, also after it closed.
            clock.advance(by: 25)
            for refresh in [approved.refresh, remembered.refresh] {
                let (status, body) = try await Flow.token(
                    client,
                    [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                    auth: Self.webBasic
                )
                #expect(status == .ok, "\(body)")
                #expect(RichAuthorizationTests.policySet(body["authorization_details"]) == approved.policySet, "a refresh moved the window")
            }

            // After the window the remembered consent no longer answers for the Cedar right: alice is asked.
            let closedPath = try #require(try await browser.request(uri).location)
            let closed = try await browser.request(closedPath)
            #expect(closed.status == .ok, "answered without asking after the window closed: \(closed.location ?? "")")
            let renewed = try await browser.request(
                closedPath,
                method: .post,
                form: [("csrf", closed.csrf ?? ""), ("decision", "approve_all")]
            )
            // Her new approval starts a new window.
            let fresh = try await Self.redeem(client, try #require(renewed.location))
            #expect(fresh.policySet != approved.policySet && fresh.policySet.contains("context.now < datetime("), "\(fresh.policySet)")
        }
    }
}
