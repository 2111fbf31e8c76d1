import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The GNAP door's `id_token` subject assertion (RFC 9635 §3.4) is a ledger entry of its grant too (eighth review,
/// F4): once the grant is revoked (RFC 9635 §5.4), the ID token is no identity assertion for an ID-JAG any more.
extension GNAPSubjectAuthTimeTests {
    @Test func aRevokedGrantsIDTokenIsNoIdentityAssertion() async throws {
        let fixture = try await fixture()
        try await fixture.run { a, _ in
            var pending = try await start(a, fixture, interact: false)
            #expect(try await fixture.a.engine.gnap.decide(grantID: pending.grantID, approve: true, subject: "alice"))
            let idToken = try await continued(a, fixture, &pending)
            // Accepted as an identity assertion: only the step-up (nobody signed in) is left to refuse it.
            let live = try await E.requestIDJAG(a, idToken: idToken)
            #expect(live.error == "insufficient_user_authentication", "\(live.json)")

            let agent = GNAPTestSigner(kid: "app", privateKey: agentKey, now: fixture.clock.closure)
            let revoked = try await GNAPEndpointTests.send(
                a,
                fixture.a,
                agent,
                method: .delete,
                path: pending.continuation,
                body: nil,
                token: pending.token
            )
            #expect(revoked.status == .noContent || revoked.status == .ok, "\(revoked.json)")
            let refused = try await E.requestIDJAG(a, idToken: idToken)
            #expect(refused.error == "invalid_grant", "\(refused.json)")
        }
    }
}
