import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `authorization_details=[]` is one thing wherever it is sent: refused with `invalid_authorization_details` (RFC 9396
/// §5), before anything is spent. RFC 9396 §2 makes the parameter an array of authorization objects and §6.1 reads a
/// token request's array as the details asked for this token, so `[]` would ask for "none" where omitting the
/// parameter asks for all the grant holds; the two must never be confused, and a client narrowing to no details is
/// told to omit the parameter or to ask with a scope alone instead.
@Suite struct EmptyAuthorizationDetailsTests {
    typealias D = CedarDocsFixtures
    typealias Flow = AuthorizationCodeFlowTests
    static let empty = "[]"

    static func expectRefused(_ answer: DerivedTokenTests.Answer, _ what: String) {
        #expect(answer.status == .badRequest, "\(what): \(answer.json)")
        #expect(answer.error == "invalid_authorization_details", "\(what): \(answer.json)")
        #expect((answer.json["error_description"] as? String)?.contains("must not be empty") == true, "\(what): \(answer.json)")
    }

    @Test func anEmptyArrayIsRefusedByEveryGrantAndSpendsNothing() async throws {
        try await CedarForbidDerivationTests.withApp { client in
            Self.expectRefused(
                try await DerivedTokenTests.token(client, [("grant_type", "client_credentials"), ("authorization_details", Self.empty)]),
                "client_credentials"
            )
            let parent = try await CedarGrantCarryOAuthTests.parent(client, [D.entry(CedarGrantCarryGNAPTests.readA)])
            let refresh = try #require(parent.json["refresh_token"] as? String)
            Self.expectRefused(
                try await DerivedTokenTests.token(
                    client,
                    [("grant_type", "refresh_token"), ("refresh_token", refresh), ("authorization_details", Self.empty)]
                ),
                "refresh"
            )
            Self.expectRefused(
                try await DerivedTokenTests.token(
                    client,
                    DerivedTokenTests.exchange(try #require(parent.token), [("authorization_details", Self.empty)])
                ),
                "exchange"
            )
            // Nothing was spent: the refresh token still rotates, with the grant's entries.
            let refreshed = try await DerivedTokenTests.token(client, [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(refreshed.status == .ok, "\(refreshed.json)")
            #expect(D.entries(refreshed.json["authorization_details"]) == D.entries(parent.json["authorization_details"]))
        }
    }

    @Test func anEmptyArrayIsRefusedAtTheAuthorizationEndpointAndAtCodeRedemption() async throws {
        try await CedarForbidConsentTests().withApp { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let refused = try await browser.request(Flow.authorizeURI(scope: "read", extra: [("authorization_details", Self.empty)]))
            let error = Flow.query(try #require(refused.location))
            #expect(error["error"] == "invalid_authorization_details", "\(error)")

            let back = try await Flow.approve(
                browser,
                Flow.authorizeURI(scope: "read", extra: [("authorization_details", D.json([D.entry(D.readWriteAny)]))])
            )
            let code = try #require(Flow.query(back)["code"])
            let form = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.callback), ("code_verifier", Flow.verifier),
            ]
            let (status, json) = try await Flow.token(
                client,
                form + [("authorization_details", Self.empty)],
                auth: CedarForbidConsentTests.webBasic
            )
            Self.expectRefused(DerivedTokenTests.Answer(status: status, json: json), "authorization_code")
            // The code was not spent by the refusal.
            let (redeemed, granted) = try await Flow.token(client, form, auth: CedarForbidConsentTests.webBasic)
            #expect(redeemed == .ok, "\(granted)")
            #expect(D.allows(D.entries(granted["authorization_details"]), "write", "a"), "\(granted)")
        }
    }
}
