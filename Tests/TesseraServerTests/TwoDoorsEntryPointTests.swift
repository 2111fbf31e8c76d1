import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Issue 19 item 1: the GNAP grant request goes through the one entry point,
/// ``GrantEngine/answer(_:from:)``, as the OAuth token request does. Asked directly, `answer` decides a
/// GNAP request (an owner's `forbid` is a door-neutral refusal), records the grant a person must decide
/// (`needsInteraction`) and issues a registered instance's tokens; through the real grant endpoint
/// (RFC 9635 §2 → §3) the waiting grant is the one the engine recorded.
extension TwoDoorsTests {
    /// A GNAP grant request of `access`, as the GNAP door translates it, and agent-1 as its client.
    func gnapAsked(_ access: [GNAPAccessRight], person: Bool) throws -> (AccessRequest, ClientIdentity) {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let thumbprint = try #require(try agent.key.jwk?.thumbprint())
        var grant = GNAPGrantRequest(accessToken: .single(.init(access: access)))
        if person { grant.subject = GNAPSubjectRequest(subIDFormats: ["opaque"]) }
        return (
            AccessRequest(gnap: grant, key: agent.key, continuationHash: TokenIssuer.hashToken(TokenIssuer.randomIdentifier())),
            ClientIdentity(
                .gnap(instanceID: "agent-1", allowedAccess: ["read", "delete", "backup-api", "metrics-api"], thumbprint: thumbprint),
                provenKey: ProvenKey(gnapProof: "httpsig", thumbprint: thumbprint)
            )
        )
    }

    @Test func theOneEntryPointAnswersAGNAPGrantRequest() async throws {
        let app = try await app()
        // An owner's forbid: refused door-neutrally, nothing recorded.
        let (forbidden, agent) = try gnapAsked(["delete"], person: false)
        guard case .denied(let refusal) = try await app.engine.answer(forbidden, from: agent) else {
            Issue.record("an owner's forbid must refuse the GNAP request")
            return
        }
        #expect(refusal.code == .rightsRefused)
        #expect(refusal.gnapCode == .requestDenied)
        #expect(try await app.engine.gnap.grants(state: nil).isEmpty)

        // For a person: the grant waits for them, recorded.
        let (forPerson, _) = try gnapAsked(["read"], person: true)
        guard case .needsInteraction(let grantID, _) = try await app.engine.answer(forPerson, from: agent) else {
            Issue.record("a request for a person must wait for them")
            return
        }
        #expect(try await app.engine.gnap.grants(state: .pending).map(\.id) == [grantID])

        // The instance for itself, within its registration: tokens at once, bound to its key.
        let (forItself, _) = try gnapAsked(["read"], person: false)
        guard case .granted(let granted) = try await app.engine.answer(forItself, from: agent) else {
            Issue.record("a registered instance's own rights are granted at once")
            return
        }
        let token = try #require(granted.tokens.first)
        #expect(granted.tokens.count == 1)
        #expect(token.access == ["read"])
        #expect(!token.isBearer)
        #expect(token.management != nil)
        #expect(try await app.engine.gnap.grants(state: .approved).map(\.id) == [try #require(granted.grantID)])
        #expect(try await app.engine.ledger.entry(for: token.value)?.active == true)
    }

    @Test func theGrantEndpointWordsTheEnginesWaitingGrant() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
            var request = GNAPGrantRequest(
                accessToken: .single(.init(access: ["read"])),
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
                client: .instance("agent-1")
            )
            request.interact = GNAPInteractRequest(start: [.string("redirect")])
            let answer = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(request)
            )
            #expect(answer.status == .ok, "\(answer.json)")
            #expect(answer.json["access_token"] == nil)
            #expect(answer.json["instance_id"] as? String == "agent-1")
            let uri = try #require((answer.json["continue"] as? [String: Any])?["uri"] as? String)
            let grantID = String(uri.split(separator: "/").last ?? "")
            #expect(try await app.engine.gnap.grants(state: .pending).map(\.id) == [grantID])
            let interaction = try #require(try await app.engine.stores.interactions.interaction(grantID: grantID))
            let redirect = try #require((answer.json["interact"] as? [String: Any])?["redirect"] as? String)
            #expect(redirect.hasSuffix(interaction.id))

            // A finish with no start mode the server supports: refused before the engine records a grant.
            request.interact = GNAPInteractRequest(
                start: [.string("carrier-pigeon")],
                finish: GNAPInteractFinish(method: "redirect", uri: "https://client.example/done", nonce: "client-nonce-1")
            )
            let unfinishable = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(request)
            )
            #expect(GNAPEndpointTests.errorCode(unfinishable.json) == GNAPError.Code.invalidInteraction.rawValue)
            #expect(try await app.engine.gnap.grants(state: nil).count == 1)

            // An owner's forbid at the real endpoint: the refusal `answer` produced, worded by the GNAP door.
            request.accessToken = .single(.init(access: ["delete"]))
            request.subject = nil
            request.interact = nil
            let refused = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(request)
            )
            #expect(refused.status == .forbidden)
            #expect(GNAPEndpointTests.errorCode(refused.json) == Refusal(.rightsRefused, "").gnapCode.rawValue)
            #expect(try await app.engine.gnap.grants(state: nil).count == 1)
        }
    }

    @Test func aGNAPRefusalReadBackIsWordedWithTheSameCode() {
        for code in Refusal.Code.allCases {
            let worded = Refusal(code, "x").gnap
            #expect(Refusal(worded)?.gnapCode == worded.code, "\(code)")
        }
        #expect(Refusal(GNAPError(.tooManyAttempts, "x")) == nil)
    }
}
