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

/// The ID token stands on the approval it was issued under, as the grant's access tokens do (second review of the
/// session, G1): once the person's approval of the grant ends — she denies a modification, or someone else approves it
/// — her ID token is no identity assertion any more, although the grant itself goes on (RFC 9635 §5.3).
extension GNAPSubjectAuthTimeTests {
    @Test(arguments: [(false, nil), (true, "bob")] as [(Bool, String?)])
    func anIDTokenEndsWithThePersonsApproval(_ approve: Bool, _ subject: String?) async throws {
        let fixture = try await fixture()
        try await fixture.run { a, _ in
            var pending = try await start(a, fixture, interact: false)
            #expect(try await fixture.a.engine.gnap.decide(grantID: pending.grantID, approve: true, subject: "alice"))
            let idToken = try await continued(a, fixture, &pending)
            #expect(try await E.requestIDJAG(a, idToken: idToken).error == "insufficient_user_authentication")

            // The client asks for more, with a person to ask: the change waits for one (RFC 9635 §5.3).
            let agent = GNAPTestSigner(kid: "app", privateKey: agentKey, now: fixture.clock.closure)
            let change = Array(
                #"{"access_token":{"access":["calendar"]},"interact":{"start":["redirect"]},"subject":{"assertion_formats":["id_token"],"sub_id_formats":["opaque"]}}"#
                    .utf8
            )
            let modified = try await GNAPEndpointTests.send(
                a,
                fixture.a,
                agent,
                method: .patch,
                path: pending.continuation,
                body: change,
                token: pending.token
            )
            #expect(modified.status == .ok, "\(modified.json)")
            // Still alice's while the change waits for a person.
            #expect(try await E.requestIDJAG(a, idToken: idToken).error == "insufficient_user_authentication")
            #expect(try await fixture.a.engine.gnap.decide(grantID: pending.grantID, approve: approve, subject: subject))
            let refused = try await E.requestIDJAG(a, idToken: idToken)
            #expect(refused.error == "invalid_grant", "\(refused.json)")
        }
    }
}
