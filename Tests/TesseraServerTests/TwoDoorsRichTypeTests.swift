import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraServer
import Testing

/// An owner's rule on a rich authorization type (RFC 9396 §2) holds at both doors: the GNAP door asks the
/// decision point about each access right's type, and the OAuth door about each `authorization_details` entry's.
extension TwoDoorsTests {
    static let forbidBackupAPI = ownerPolicy + "\nforbid (principal, action, resource == Scope::\"backup-api\");\n"

    @Test func anOwnersForbidOnARichTypeRefusesItAtTheOAuthDoor() async throws {
        let app = try await app(policy: Self.forbidBackupAPI)
        try await app.application.test(.router) { client in
            // It was granted: /token asked the policy about the scope only, never about the entries' types.
            let (status, body) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials")] + (try Rights.located.oauthParameters()),
                id: "agent-1"
            )
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_authorization_details")
            // The scope alone is still granted: only the forbidden type is refused.
            let (plain, _) = try await TokenLedgerTests.form(
                client,
                "/token",
                [("grant_type", "client_credentials"), ("scope", "read")],
                id: "agent-1"
            )
            #expect(plain == .ok)
        }
    }
}
