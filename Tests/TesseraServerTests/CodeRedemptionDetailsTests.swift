import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `authorization_details` sent with `grant_type=authorization_code` (RFC 9396 §6.1): a subset of what the person
/// approved narrows the access token, anything more is `invalid_authorization_details`. Before, the parameter was read
/// and dropped: the token carried everything the code held, whatever the client asked for.
@Suite struct CodeRedemptionDetailsTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests

    static let readAny = #"permit (principal, action == Docs::Action::"read", resource);"#
    static let writeA = #"permit (principal, action == Docs::Action::"write", resource == Docs::Doc::"a");"#

    static func form(_ code: String) -> [(String, String)] {
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.callback), ("code_verifier", Flow.verifier)]
    }

    @Test func aCodeRedeemedForMoreThanItsDetailsIsRefusedAndForASubsetIsNarrowed() async throws {
        try await CedarForbidConsentTests().withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let approved = D.json([D.entry(Self.readAny + "\n" + Self.writeA)])
            let back = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("authorization_details", approved)]))
            let code = try #require(Flow.query(back)["code"])

            // More than the person approved: write on every document.
            let (refused, error) = try await Flow.token(
                client,
                Self.form(code) + [("authorization_details", D.json([D.entry(D.readWriteAny)]))],
                auth: CedarForbidConsentTests.webBasic
            )
            #expect(refused == .badRequest, "a code redeemed for more than it holds: \(error)")
            #expect(error["error"] as? String == "invalid_authorization_details", "\(error)")
            #expect(
                (error["error_description"] as? String)?.contains("authorization_details[0]: asks for policies the grant does not hold")
                    == true,
                "\(error)"
            )

            // Nor a `resource` the code was not approved for (RFC 8707 §2.2): refused the same way.
            let (elsewhere, target) = try await Flow.token(
                client,
                Self.form(code) + [("resource", "https://elsewhere.example/")],
                auth: CedarForbidConsentTests.webBasic
            )
            #expect(elsewhere == .badRequest && target["error"] as? String == "invalid_target", "\(target)")

            // The refusals spent nothing (as a refused narrowing at a refresh rotates nothing): a subset narrows the token.
            let (status, granted) = try await Flow.token(
                client,
                Self.form(code) + [("authorization_details", D.json([D.entry(Self.readAny)]))],
                auth: CedarForbidConsentTests.webBasic
            )
            #expect(status == .ok, "\(granted)")
            let details = D.entries(granted["authorization_details"])
            #expect(D.allows(details, "read", "b"), "\(details)")
            #expect(!D.allows(details, "write", "a"), "the narrowed token kept write on a: \(details)")
            let claims = try DerivedTokenTests.claims(try #require(granted["access_token"] as? String))
            #expect(claims.authorizationDetails == details, "the token carries what the response says")

            // The refresh family holds the approval: a refresh without the parameter has all of it (RFC 9396 §7).
            let refresh = try #require(granted["refresh_token"] as? String)
            let (renewed, refreshed) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                auth: CedarForbidConsentTests.webBasic
            )
            #expect(renewed == .ok, "\(refreshed)")
            #expect(D.allows(D.entries(refreshed["authorization_details"]), "write", "a"), "\(refreshed)")
        }
    }

    @Test func aCodeApprovedWithoutDetailsCannotBeRedeemedForSome() async throws {
        try await CedarForbidConsentTests().withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let back = try await Flow.approve(browser, Flow.authorizeURI(scope: "read"))
            let code = try #require(Flow.query(back)["code"])
            let (refused, error) = try await Flow.token(
                client,
                Self.form(code) + [("authorization_details", D.json([D.entry(D.readWriteAny)]))],
                auth: CedarForbidConsentTests.webBasic
            )
            #expect(refused == .badRequest, "\(error)")
            #expect(error["error"] as? String == "invalid_authorization_details", "\(error)")
            let (status, granted) = try await Flow.token(client, Self.form(code), auth: CedarForbidConsentTests.webBasic)
            #expect(status == .ok, "\(granted)")
            #expect(granted["authorization_details"] == nil, "\(granted)")
        }
    }
}
