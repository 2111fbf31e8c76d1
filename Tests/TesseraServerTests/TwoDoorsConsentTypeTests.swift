import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import Testing

/// An owner's rule on a rich authorization type (RFC 9396 §2) is asked before the person is: the OAuth
/// authorization endpoint and PAR refuse a forbidden type as `/token` would (RFC 9396 §5
/// `invalid_authorization_details`), and the consent approval asks again with the approving person as
/// `user`, as GNAP's continuation does, so a person is never shown, nor can approve, what the token
/// endpoint then refuses.
extension TwoDoorsTests {
    static let aliceMayNotApproveBackup =
        ownerPolicy + """

            @id("alice-may-not-approve-backup")
            forbid (principal, action == Action::"approve", resource == Scope::"backup-api")
            when { context has user && context.user == User::"alice" };
            """

    /// The authorization request for agent-1 with a located `backup-api` entry.
    static func backupAuthorizeURI() throws -> String {
        AuthorizationCodeFlowTests.authorizeURI(
            client: "agent-1",
            redirect: callback,
            scope: "read",
            extra: try Rights.located.oauthParameters().filter { $0.0 != "scope" }
        )
    }

    @Test func anOwnersForbidOnARichTypeIsRefusedBeforeTheConsentPage() async throws {
        let app = try await app(policy: Self.forbidBackupAPI)
        try await app.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            // It was held for the consent page (303 to /authorize/{id}); the code it led to was refused at /token.
            let start = try await browser.request(try Self.backupAuthorizeURI())
            #expect(start.status == .found, "\(start.location ?? start.body)")
            let location = try #require(start.location)
            #expect(location.hasPrefix(Self.callback), "\(location)")
            let answer = AuthorizationCodeFlowTests.query(location)
            #expect(answer["error"] == "invalid_authorization_details")
            #expect(answer["iss"] == Self.issuer, "RFC 9207")
            #expect(answer["state"] == "st-123")
            #expect(answer["code"] == nil)

            // PAR (RFC 9126 §2.3): the same refusal as a 400 JSON error, no request_uri.
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/par",
                [
                    ("response_type", "code"), ("client_id", "agent-1"), ("redirect_uri", Self.callback),
                    ("code_challenge", AuthorizationCodeFlowTests.challenge), ("code_challenge_method", "S256"),
                ] + (try Rights.located.oauthParameters()),
                id: "agent-1"
            )
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_authorization_details")
            #expect(body["request_uri"] == nil)
        }
    }

    @Test func anOwnersForbidNamingThePersonRefusesTheirApproval() async throws {
        let app = try await app(policy: Self.aliceMayNotApproveBackup)
        try await app.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            // The person is not known at /authorize, so the page is shown; her approval is what is refused.
            let location = try await AuthorizationCodeFlowTests.approve(browser, try Self.backupAuthorizeURI())
            #expect(location.hasPrefix(Self.callback), "\(location)")
            let answer = AuthorizationCodeFlowTests.query(location)
            #expect(answer["error"] == "invalid_authorization_details", "\(location)")
            #expect(answer["iss"] == Self.issuer, "RFC 9207")
            #expect(answer["state"] == "st-123")
            #expect(answer["code"] == nil, "no code for a refused approval")
        }
    }

    /// The same for a scope token: the approval asks `Action::"approve"` with the person, as GNAP's continuation
    /// does; redemption asks `redeem`, so a rule on `approve` naming the person was never asked.
    @Test func anOwnersForbidNamingThePersonOnAScopeRefusesTheirApproval() async throws {
        let policy =
            Self.ownerPolicy + """

                forbid (principal, action == Action::"approve", resource == Scope::"read")
                when { context has user && context.user == User::"alice" };
                """
        let app = try await app(policy: policy)
        try await app.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            let uri = AuthorizationCodeFlowTests.authorizeURI(client: "agent-1", redirect: Self.callback, scope: "read")
            let answer = AuthorizationCodeFlowTests.query(try await AuthorizationCodeFlowTests.approve(browser, uri))
            #expect(answer["error"] == "invalid_scope", "\(answer)")
            #expect(answer["iss"] == Self.issuer)
            #expect(answer["code"] == nil)
        }
    }

    @Test func anOwnersForbidNamingAnotherPersonLeavesTheApprovalGranted() async throws {
        let app = try await app(policy: Self.aliceMayNotApproveBackup)
        try await app.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn(username: "bob", password: "bob-password")
            let location = try await AuthorizationCodeFlowTests.approve(browser, try Self.backupAuthorizeURI())
            let code = try #require(AuthorizationCodeFlowTests.query(location)["code"], "\(location)")
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.callback),
                    ("code_verifier", AuthorizationCodeFlowTests.verifier),
                ],
                id: "agent-1"
            )
            #expect(status == .ok, "\(body)")
            #expect(body["authorization_details"] != nil)
        }
    }
}
