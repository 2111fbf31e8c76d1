import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Issue 19 item 1: a GNAP continuation (RFC 9635 §5.1, §5.2) goes through the one entry point,
/// ``GrantEngine/answer(_:from:)``, as the grant request does: the one decision point is asked again
/// before the tokens of an approved grant are minted, so an owner's `forbid` written after a person
/// approved refuses the continuation with the refusal `answer` produces, and the grant is finalized.
extension TwoDoorsTests {
    @Test func anOwnersForbidRefusesTheContinuationOfAnApprovedGrant() async throws {
        let app = try await app()
        // Approved by alice before the owner's forbid of `delete` was written.
        let (grant, refused) = try await continueApprovedGrant(app, access: ["delete"], by: "alice")
        #expect(refused.status == .forbidden, "\(refused.json)")
        #expect(GNAPEndpointTests.errorCode(refused.json) == Refusal(.rightsRefused, "").gnapCode.rawValue)
        #expect(refused.json["access_token"] == nil)
        #expect(try await app.engine.gnap.grants(state: .finalized).map(\.id) == [grant.id])
    }
}

/// The re-decision of an approved grant asks what the consent page asked (`Action::"approve"`,
/// the approving person as `user`): an owner's rule aimed at that person, written after the
/// approval, refuses the continuation (RFC 9635 §5: the AS decides before it issues tokens).
extension TwoDoorsTests {
    static let aliceMayNoLongerApprove = """
        @id("alice-may-not-approve-read")
        forbid (principal, action == Action::"approve", resource == Scope::"read")
        when { context has user && context.user == User::"alice" };
        """

    @Test func anOwnersForbidOfTheApprovingPersonRefusesTheContinuation() async throws {
        let app = try await app(policy: Self.aliceMayNoLongerApprove)
        // Approved by alice before the owner's rule against her approving `read` was written.
        let (grant, refused) = try await continueApprovedGrant(app, access: ["read"], by: "alice")
        #expect(refused.status == .forbidden, "\(refused.json)")
        #expect(GNAPEndpointTests.errorCode(refused.json) == GNAPError.Code.requestDenied.rawValue)
        #expect(refused.json["access_token"] == nil)
        #expect(try await app.engine.gnap.grants(state: .finalized).map(\.id) == [grant.id])
    }

    /// The same rule leaves another person's approval alone: only the approving person is asked about.
    @Test func anOwnersForbidOfAnotherPersonLeavesTheContinuationGranted() async throws {
        let app = try await app(policy: Self.aliceMayNoLongerApprove)
        let (_, granted) = try await continueApprovedGrant(app, access: ["read"], by: "bob")
        #expect(granted.status == .ok, "\(granted.json)")
        #expect(granted.json["access_token"] != nil)
    }

    /// Stores a grant of `access` for agent-1 approved by `person`, then continues it (RFC 9635 §5.2) over the router.
    /// - Parameters:
    ///   - app: the application.
    ///   - access: the rights approved.
    ///   - person: who approved.
    /// - Returns: the stored grant and the continuation's answer.
    /// - Throws: store or transport failures.
    func continueApprovedGrant(
        _ app: TesseraApplication,
        access: [String],
        by person: String
    ) async throws -> (GNAPGrantRecord, GNAPEndpointTests.Exchange) {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let continuation = TokenIssuer.randomIdentifier()
        let grant = try await approvedGrant(app, agent, access: access, by: person, continuation: continuation)
        let answer = try await app.application.test(.router) { client in
            try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: "/gnap/continue/\(grant.id)",
                body: nil,
                token: continuation
            )
        }
        return (grant, answer)
    }

    /// A grant of `access` for agent-1, approved by `person`, stored as the interaction leaves it.
    /// - Parameters:
    ///   - app: the application.
    ///   - agent: the instance's signer.
    ///   - access: the rights approved.
    ///   - person: who approved.
    ///   - continuation: the continuation token.
    /// - Returns: the stored grant.
    /// - Throws: store failures.
    func approvedGrant(
        _ app: TesseraApplication,
        _ agent: GNAPTestSigner,
        access: [String],
        by person: String,
        continuation: String
    ) async throws -> GNAPGrantRecord {
        let current = clock.now
        let grant = GNAPGrantRecord(
            id: TokenIssuer.sortableIdentifier(),
            state: .approved,
            clientKey: String(decoding: try JSONEncoder().encode(agent.key), as: UTF8.self),
            keyThumbprint: try #require(try agent.key.jwk?.thumbprint()),
            instanceID: "agent-1",
            request: String(
                decoding: try JSONEncoder().encode(
                    GNAPGrantRequest(
                        accessToken: .single(.init(access: access.map(GNAPAccessRight.reference))),
                        subject: GNAPSubjectRequest(subIDFormats: ["opaque"])
                    )
                ),
                as: UTF8.self
            ),
            continuationHash: TokenIssuer.hashToken(continuation),
            continueAfter: current,
            subject: person,
            createdAt: current,
            updatedAt: current,
            expiresAt: current.addingTimeInterval(600)
        )
        try await app.engine.stores.gnap.createGrant(grant, issued: [])
        return grant
    }
}

extension TwoDoorsTests {
    /// Continuation evidence reaches a grant only through the continuation door (which proves the
    /// continuation token and the grant's key): asked of `answer` directly it is refused, nothing recorded.
    @Test func continuationEvidenceWithoutTheContinuationDoorIsRefused() async throws {
        let app = try await app()
        var (request, agent) = try gnapAsked(["read"], person: false)
        let doorsOnly = [
            Evidence.continuation(grantID: "g"), .interactionResult(interactRef: "r"), .managedToken(manageID: "m"), .existingToken("t"),
        ]
        for evidence in doorsOnly {
            request.evidence = evidence
            guard case .denied(let refusal) = try await app.engine.answer(request, from: agent) else {
                Issue.record("continuation evidence outside the continuation door must be refused")
                return
            }
            #expect(refusal.code == .unsupportedEvidence)
        }
        #expect(try await app.engine.gnap.grants(state: nil).isEmpty)
    }
}
