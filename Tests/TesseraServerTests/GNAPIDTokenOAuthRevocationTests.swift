import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `/revoke` of an ID token (RFC 7009 §2.1, ninth review) is for the OAuth client it was issued to. The GNAP door's
/// `id_token` assertion is issued to a client instance (its `aud` the instance's id), and OAuth clients and GNAP
/// instances are different name spaces: the OAuth client `app` cannot revoke the ID token issued to the GNAP instance
/// `app` (`unauthorized_client`), which stays an identity assertion.
extension GNAPSubjectAuthTimeTests {
    @Test func anOAuthClientCannotRevokeTheGNAPInstancesIDTokenOfTheSameName() async throws {
        let fixture = try await fixture()
        try await fixture.run { a, _ in
            var pending = try await start(a, fixture, interact: false)
            #expect(try await fixture.a.engine.gnap.decide(grantID: pending.grantID, approve: true, subject: "alice"))
            let idToken = try await continued(a, fixture, &pending)
            let revoked = try await a.execute(
                uri: "/revoke",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: "app", secret: F.secret)),
                body: ByteBuffer(string: FormParameters([("token", idToken)]).encoded)
            ) { ($0.status, (try? HTTPHelpers.json($0.body)) ?? [:]) }
            #expect(revoked.0 == .badRequest, "\(revoked.1)")
            #expect(revoked.1["error"] as? String == "unauthorized_client", "\(revoked.1)")
            // Still an identity assertion: only the step-up (nobody signed in) is left to refuse it, as before.
            let live = try await E.requestIDJAG(a, idToken: idToken)
            #expect(live.error == "insufficient_user_authentication", "\(live.json)")
        }
    }
}
