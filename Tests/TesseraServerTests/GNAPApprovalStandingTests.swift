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

/// A token stands only while the approval it was issued under stands (RFC 9635 §5.3, §6.1): a modification
/// that replaces the grant's approver or narrows its rights ends the tokens the new approval does not cover,
/// in the same write, and rotation renews a token only for the grant's approver and within its current rights.
/// While a modification waits for a person, the grant stays with the person who approved it: listed on their
/// account and withdrawable, and a denial ends its tokens at once (security review round 8, F1–F3).
@Suite struct GNAPApprovalStandingTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    static let api = "https://api.example/"
    static let read = GNAPAccessRight.object(GNAPAccessObject(type: "photos", actions: ["read"], locations: [api]))
    static let readWrite = GNAPAccessRight.object(GNAPAccessObject(type: "photos", actions: ["read", "write"], locations: [api]))
    static let readDelete = GNAPAccessRight.object(GNAPAccessObject(type: "photos", actions: ["read", "delete"], locations: [api]))

    /// The instance `agent` may get `metrics` by itself; everything else waits for a person.
    func app() async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.continuationWait = 5
            configuration.gnap.instances = [.init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: ["metrics"])]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.api])]
        }
    }

    struct Issued {
        var grantPath: String
        var grantID: String
        var continuation: String
        var value: String
        var managePath: String
        var manageToken: String
    }

    struct Party {
        var client: any TestClientProtocol
        var app: TesseraApplication
        var agent: GNAPTestSigner
        var rs: GNAPTestSigner
    }

    func withParty(_ body: @escaping @Sendable (Party) async throws -> Void) async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        try await app.application.test(.router) { client in
            try await body(Party(client: client, app: app, agent: agent, rs: rs))
        }
    }

    /// A grant for `access`, approved out of band by `person`, continued for its token.
    func approved(_ party: Party, _ access: [GNAPAccessRight], by person: String) async throws -> Issued {
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent"), tokens: .single(.init(access: access)))
        let first = try await GNAPEndpointTests.send(party.client, party.app, party.agent, method: .post, path: "/gnap", body: body)
        let cont = try #require(first.json["continue"] as? [String: Any], "\(first.json)")
        let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], party.app)
        let grantID = String(grantPath.split(separator: "/").last ?? "")
        #expect(try await party.app.engine.gnap.decide(grantID: grantID, approve: true, subject: person))
        clock.advance(by: 6)
        let continuation = try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
        return try await tokenOf(party, grantPath: grantPath, continuation: continuation)
    }

    /// Polls the grant and reads the token of its answer.
    func tokenOf(_ party: Party, grantPath: String, continuation: String) async throws -> Issued {
        let answer = try await GNAPEndpointTests.send(
            party.client,
            party.app,
            party.agent,
            method: .post,
            path: grantPath,
            body: nil,
            token: continuation
        )
        #expect(answer.status == .ok, "\(answer.json)")
        return try issued(from: answer, party, grantPath: grantPath)
    }

    func issued(from answer: GNAPEndpointTests.Exchange, _ party: Party, grantPath: String) throws -> Issued {
        let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
        let manage = try #require(token["manage"] as? [String: Any])
        let next = try #require(answer.json["continue"] as? [String: Any])
        return Issued(
            grantPath: grantPath,
            grantID: String(grantPath.split(separator: "/").last ?? ""),
            continuation: try #require(GNAPRotationSubjectTests.tokenValue(next["access_token"])),
            value: try #require(token["value"] as? String),
            managePath: try GNAPRotationSubjectTests.path(manage["uri"], party.app),
            manageToken: try #require(GNAPRotationSubjectTests.tokenValue(manage["access_token"]))
        )
    }

    /// PATCH (RFC 9635 §5.3) to `access`, with `interact` when asked.
    func modify(_ party: Party, _ issued: Issued, to access: [GNAPAccessRight], interact: Bool) async throws -> GNAPEndpointTests.Exchange {
        clock.advance(by: 6)
        let patch = GNAPGrantRequest(
            accessToken: .single(.init(access: access)),
            interact: interact ? GNAPInteractRequest(start: [.string("redirect")]) : nil
        )
        return try await GNAPEndpointTests.send(
            party.client,
            party.app,
            party.agent,
            method: .patch,
            path: issued.grantPath,
            body: try GNAPTestSigner.body(patch),
            token: issued.continuation
        )
    }

    func rotate(_ party: Party, _ issued: Issued) async throws -> GNAPEndpointTests.Exchange {
        try await GNAPEndpointTests.send(
            party.client,
            party.app,
            party.agent,
            method: .post,
            path: issued.managePath,
            body: nil,
            token: issued.manageToken
        )
    }

    /// Whether the resource server is told the token is active (RFC 9767 §3).
    func active(_ party: Party, _ value: String) async throws -> Bool {
        let answer = try await GNAPEndpointTests.introspect(party.client, party.app, party.rs, value, nil)
        return answer.json["active"] as? Bool == true
    }

    /// The interaction a pending modification started, from its `interact.redirect`.
    static func interactionID(_ answer: GNAPEndpointTests.Exchange) throws -> String {
        let redirect = try #require((answer.json["interact"] as? [String: Any])?["redirect"] as? String, "\(answer.json)")
        return String(redirect.split(separator: "/").last ?? "")
    }

    func decide(_ party: Party, interaction id: String, as person: String, approve: Bool) async throws {
        let shown = try await party.app.engine.gnap.interaction(id: id, for: person).rightsDigest
        _ = try await party.app.engine.gnap.decideInteraction(
            id: id,
            username: person,
            authenticatedAt: clock.now,
            shownDigest: shown,
            approve: approve,
            approvedRights: nil
        )
    }

    // MARK: - F2: the grant's approver replaced

    /// Path A: the client replaces the grant's access with what its own policy allows. The grant is then the
    /// instance's; alice's token is no longer renewed, and it ends at once.
    @Test func aGrantTheInstanceTakesOverEndsThePersonsToken() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.readWrite], by: "alice")
            #expect(try GNAPRotationSubjectTests.subject(alice.value) == "alice")
            let taken = try await modify(party, alice, to: ["metrics"], interact: false)
            #expect(taken.status == .ok, "\(taken.json)")
            let own = try #require(GNAPRotationSubjectTests.tokenValue(taken.json["access_token"]), "\(taken.json)")
            #expect(try GNAPRotationSubjectTests.subject(own) == "agent")

            #expect(try await active(party, alice.value) == false, "alice's token ends with her approval")
            let rotated = try await rotate(party, alice)
            #expect(GNAPEndpointTests.errorCode(rotated.json) == GNAPError.Code.invalidRotation.rawValue, "\(rotated.json)")
            #expect(rotated.json["access_token"] == nil)
        }
    }

    /// Path B: bob approves the modification on the consent page; alice's token ends with the write.
    @Test func aModificationApprovedBySomeoneElseEndsTheFirstPersonsToken() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.read], by: "alice")
            let pending = try await modify(party, alice, to: [Self.readDelete], interact: true)
            #expect(pending.status == .ok, "\(pending.json)")
            try await decide(party, interaction: try Self.interactionID(pending), as: "bob", approve: true)

            #expect(try await active(party, alice.value) == false, "bob's approval does not stand for alice")
            let rotated = try await rotate(party, alice)
            #expect(GNAPEndpointTests.errorCode(rotated.json) == GNAPError.Code.invalidRotation.rawValue, "\(rotated.json)")
            #expect(try await party.app.engine.gnap.approvedGrants(of: "alice").isEmpty)
        }
    }

    /// The same person approving a wider modification keeps the earlier token: her approval still covers it.
    @Test func aModificationTheSamePersonApprovesKeepsHerToken() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.read], by: "alice")
            let pending = try await modify(party, alice, to: [Self.readDelete], interact: true)
            try await decide(party, interaction: try Self.interactionID(pending), as: "alice", approve: true)
            #expect(try await active(party, alice.value))
            let rotated = try await rotate(party, alice)
            #expect(rotated.status == .ok, "\(rotated.json)")
            let value = try #require(GNAPRotationSubjectTests.tokenValue(rotated.json["access_token"]), "\(rotated.json)")
            #expect(try GNAPRotationSubjectTests.subject(value) == "alice")
        }
    }

    // MARK: - F3: the grant narrowed

    /// After the client narrows its grant to read, the read+write token ends; the read token rotates.
    @Test func aNarrowedGrantEndsItsWiderToken() async throws {
        try await withParty { party in
            let wide = try await approved(party, [Self.readWrite], by: "alice")
            let narrowed = try await modify(party, wide, to: [Self.read], interact: false)
            #expect(narrowed.status == .ok, "\(narrowed.json)")
            let narrow = try issued(from: narrowed, party, grantPath: wide.grantPath)

            #expect(try await active(party, wide.value) == false, "read+write is no longer the grant's")
            let refused = try await rotate(party, wide)
            #expect(GNAPEndpointTests.errorCode(refused.json) == GNAPError.Code.invalidRotation.rawValue, "\(refused.json)")
            #expect(try await active(party, narrow.value))
            let rotated = try await rotate(party, narrow)
            #expect(rotated.status == .ok, "\(rotated.json)")
        }
    }

    // MARK: - F1: a modification waiting for a person

    /// While a wider modification waits, the grant stays alice's: listed on her account with what her live
    /// tokens carry, and withdrawing it ends her token.
    @Test func aGrantWaitingForAWiderApprovalStaysWithdrawable() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.read], by: "alice")
            clock.advance(by: 6)
            // A second poll mints a second token with the same rights: the account shows the set once.
            let second = try await tokenOf(party, grantPath: alice.grantPath, continuation: alice.continuation)
            let pending = try await modify(party, second, to: [Self.readDelete], interact: true)
            #expect(pending.status == .ok, "\(pending.json)")
            #expect(try await active(party, alice.value))

            let listed = try await party.app.engine.gnap.approvedGrants(of: "alice")
            #expect(listed.map(\.id) == [alice.grantID], "the pending grant is still alice's to see")
            #expect(listed.first?.tokens.map(\.access) == [[Self.read]], "shown with what she approved, not what is asked")
            #expect(try await party.app.engine.revoke(.approvedGrant(id: alice.grantID), by: .person("alice")) == nil)
            #expect(try await active(party, alice.value) == false)
        }
    }

    /// A person denying the modification ends the grant's tokens at the decision, not at the client's next poll.
    @Test func aDeniedModificationEndsTheTokensAtTheDecision() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.read], by: "alice")
            let pending = try await modify(party, alice, to: [Self.readDelete], interact: true)
            try await decide(party, interaction: try Self.interactionID(pending), as: "alice", approve: false)
            #expect(try await active(party, alice.value) == false)
            #expect(try await party.app.engine.gnap.approvedGrants(of: "alice").isEmpty)
        }
    }

    /// Out of band (the CLI's `tessera gnap approve`): another person's approval ends alice's token too.
    @Test func anOutOfBandApprovalBySomeoneElseEndsTheFirstPersonsToken() async throws {
        try await withParty { party in
            let alice = try await approved(party, [Self.read], by: "alice")
            _ = try await modify(party, alice, to: [Self.readDelete], interact: true)
            #expect(try await party.app.engine.gnap.decide(grantID: alice.grantID, approve: true, subject: "bob"))
            #expect(try await active(party, alice.value) == false)
            let rotated = try await rotate(party, alice)
            #expect(GNAPEndpointTests.errorCode(rotated.json) == GNAPError.Code.invalidRotation.rawValue, "\(rotated.json)")
        }
    }
}

/// A Cedar-profile token carries the AS's narrowing of the requested set (principal pinned, actions dropped,
/// expiry added), never its text: it still stands on its grant, so it rotates, and a modification that asks for
/// the same set keeps it.
extension GNAPCedarRightsTests {
    @Test func aCedarTokenTheASNarrowedStandsOnItsGrant() async throws {
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: key, now: clock.closure)
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.continuationWait = 5
            configuration.gnap.instances = [
                .init(id: "agent-1", key: signer.key, displayName: "Fintech agent", allowedAccess: ["payment_initiation"])
            ]
            configuration.authorizationDetailsTypes = BankFixtures.detailTypes(client: "agent-1", validFor: 600)
        }
        let tokens = GNAPTokenRequests.single(.init(access: [Self.right(try SeedFigures.policySet(SeedFigures.figure2))]))
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: tokens)
        try await app.application.test(.router) { client in
            let answer = try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .ok, "\(answer.json)")
            let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
            let granted = try #require((token["access"] as? [[String: Any]])?.first?["policySet"] as? String)
            #expect(granted.contains("context.now"), "the AS added its expiry:\n\(granted)")
            let manage = try #require(token["manage"] as? [String: Any])
            let managePath = try GNAPRotationSubjectTests.path(manage["uri"], app)
            let manageToken = try #require(GNAPRotationSubjectTests.tokenValue(manage["access_token"]))
            let cont = try #require(answer.json["continue"] as? [String: Any])

            clock.advance(by: 6)
            let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: tokens))
            let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], app)
            let continuation = try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
            let same = try await GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .patch,
                path: grantPath,
                body: patch,
                token: continuation
            )
            #expect(same.status == .ok, "\(same.json)")
            let rotated = try await GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .post,
                path: managePath,
                body: nil,
                token: manageToken
            )
            #expect(rotated.status == .ok, "\(rotated.json)")
            let again = try #require((rotated.json["access_token"] as? [String: Any])?["access"] as? [[String: Any]])
            #expect(again.first?["policySet"] as? String == granted)
        }
    }
}
