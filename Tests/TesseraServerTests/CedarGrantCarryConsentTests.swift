import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 10, H8 through a remembered consent: alice approved the scope together with a Cedar
/// grant; a later request for the scope alone is not answered by that consent without asking her (it would give
/// a token a resource server decides by its default grant instead of the grant she approved with the scope).
@Suite struct CedarGrantCarryConsentTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests

    @Test func aRememberedConsentToAScopeWithACedarGrantDoesNotAnswerTheScopeAlone() async throws {
        try await CedarForbidConsentTests().withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let entry = D.json([D.entry(CedarGrantCarryGNAPTests.readA)])
            let first = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", entry)]))
            let granted = try await CedarForbidConsentTests.redeem(client, first)
            #expect(!CedarGrantCarryGNAPTests.allowsWithDefaultGrant(granted, "read", "b"))
            // The same request again is answered by the remembered consent, without a page.
            let same = try await browser.request(Flow.authorizeURI(scope: "read", extra: [("authorization_details", entry)]))
            let samePage = try await browser.request(try #require(same.location))
            #expect(samePage.status == .seeOther, "the remembered consent answers the same request")
            // The scope alone: alice is asked (a page), not answered with a scope-only code.
            let alone = try await browser.request(Flow.authorizeURI(scope: "read"))
            let page = try await browser.request(try #require(alone.location))
            #expect(page.status == .ok, "answered by the remembered consent without asking: \(page.location ?? "")")
        }
    }
}
