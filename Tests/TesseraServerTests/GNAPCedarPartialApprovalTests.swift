import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Seed 003 through a person's consent: the consent form lists a Cedar right's policies one by one;
/// approving some narrows the granted set to those (then the AS's own narrowing applies).
extension GNAPCedarRightsTests {
    @Test func aPersonApprovingOnePolicyOfTwoGrantsOnlyThatOne() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: key, now: clock.closure)
        let initiate = #"permit (principal, action == BankA::Action::"initiate", resource is Creditor);"#
        let status = #"permit (principal, action == BankA::Action::"status", resource is Creditor);"#
        let right = Self.right(initiate + "\n" + status)
        let policies = try #require(GNAPService.cedarPolicies(of: right))
        #expect(policies.count == 2)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: [right])),
                // Asking about the person makes the registered instance's grant wait for them.
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
                client: .instance("agent-1"),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        try await app.application.test(.router) { client in
            let pending = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(pending.status == .ok, "\(pending.json)")
            let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
            let interactionID = String(redirect.split(separator: "/").last ?? "")
            let cont = try #require(pending.json["continue"] as? [String: Any])
            let path = String(try #require(cont["uri"] as? String).dropFirst(app.engine.configuration.issuer.count))
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)

            // What the consent form posts when only the second policy stays ticked.
            let shown = try await app.engine.gnap.interaction(id: interactionID, for: "alice").rightsDigest
            _ = try await app.engine.gnap.decideInteraction(
                id: interactionID,
                username: "alice",
                authenticatedAt: clock.now,
                shownDigest: shown,
                approve: true,
                approvedRights: [GNAPService.rightKey(token: 0, right: 0)],
                approvedPolicies: [GNAPService.policyKey(token: 0, right: 0, policy: 1)]
            )
            clock.advance(by: 10)
            let approved = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            #expect(approved.status == .ok, "\(approved.json)")
            let value = try #require((approved.json["access_token"] as? [String: Any])?["value"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: value).payload)
            guard case .object(let granted)? = claims.access?.first, let text = granted.extra["policySet"]?.stringValue else {
                Issue.record("no Cedar right in the token")
                return
            }
            #expect(text.contains("status"))
            #expect(!text.contains("initiate"), "the unticked policy is not granted:\n\(text)")
        }
    }
}
