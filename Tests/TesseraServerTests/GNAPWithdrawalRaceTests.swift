import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// The GNAP store as opened, except that the first time a grant is about to be finalized or decided out of band, an armed
/// step runs first: another request lands between the finalizing (or deciding) request's read of the grant and its write,
/// every time.
struct RacingGNAPStore: GNAPStore {
    /// The step to run once, before the next finalizing write.
    final class Step: Sendable {
        private let armed = Mutex<(@Sendable () async throws -> Void)?>(nil)
        private let ran = Mutex(false)

        func arm(_ step: @escaping @Sendable () async throws -> Void) { armed.withLock { $0 = step } }
        var hasRun: Bool { ran.withLock { $0 } }

        func runOnce() async throws {
            guard
                let step = armed.withLock({ armed -> (@Sendable () async throws -> Void)? in
                    defer { armed = nil }
                    return armed
                })
            else { return }
            try await step()
            ran.withLock { $0 = true }
        }
    }

    let inner: any GNAPStore
    let step: Step

    func createGrant(_ grant: GNAPGrantRecord, issued: [GNAPIssuedToken], spending spends: [SingleUseSpend]) async throws -> Bool {
        try await inner.createGrant(grant, issued: issued, spending: spends)
    }
    func grant(id: String) async throws -> GNAPGrantRecord? { try await inner.grant(id: id) }
    func liveTokens(grantID: String) async throws -> [GNAPTokenRecord] { try await inner.liveTokens(grantID: grantID) }
    func updateGrant(
        _ grant: GNAPGrantRecord,
        expectedContinuationHash: String?,
        expectedState: GNAPGrantRecord.State,
        issued: [GNAPIssuedToken],
        consumingInteractRef interactRefHash: String?,
        revoking: [String]
    ) async throws -> Bool {
        if grant.state == .finalized { try await step.runOnce() }
        return try await inner.updateGrant(
            grant,
            expectedContinuationHash: expectedContinuationHash,
            expectedState: expectedState,
            issued: issued,
            consumingInteractRef: interactRefHash,
            revoking: revoking
        )
    }
    func decide(grantID: String, approve: Bool, subject: String?, expectedRequest: String?, at now: Date) async throws -> Bool {
        try await step.runOnce()
        return try await inner.decide(grantID: grantID, approve: approve, subject: subject, expectedRequest: expectedRequest, at: now)
    }
    func grants(state: GNAPGrantRecord.State?) async throws -> [GNAPGrantRecord] { try await inner.grants(state: state) }
    func grants(subject: String, state: GNAPGrantRecord.State) async throws -> [GNAPGrantRecord] {
        try await inner.grants(subject: subject, state: state)
    }
    func token(manageID: String) async throws -> GNAPTokenRecord? { try await inner.token(manageID: manageID) }
    func token(jti: String) async throws -> GNAPTokenRecord? { try await inner.token(jti: jti) }
    func rotateToken(manageID: String, expectedManagementHash: String, replacement: GNAPIssuedToken, at now: Date) async throws -> Bool {
        try await inner.rotateToken(manageID: manageID, expectedManagementHash: expectedManagementHash, replacement: replacement, at: now)
    }
    func revokeToken(manageID: String, at now: Date) async throws -> Bool { try await inner.revokeToken(manageID: manageID, at: now) }
}

/// Issue 19: a person's withdrawal on `/account` (RFC 9635 §1.5) and the client's continuation (§5.2) of the same grant
/// at the same moment. The continuation rotates the grant's continuation token and mints a token after the withdrawal
/// read the grant; the withdrawal's compare-and-swap then fails, and it reads the grant again and finalizes it, so the
/// token minted meanwhile ends with the others (``GrantEngine/revoke(_:by:)``, `.approvedGrant`).
extension GNAPApprovalStandingTests {
    @Test func aWithdrawalRacingAContinuationStillEndsEveryToken() async throws {
        let step = RacingGNAPStore.Step()
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let app = try await TestServer.build(
            now: clock.closure,
            configure: { configuration in
                // The people and pages of the authorization code flow: alice signs in to /account.
                AuthorizationCodeFlowTests.configure(&configuration)
                configuration.gnap.continuationWait = 5
                configuration.gnap.instances = [.init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: ["metrics"])]
                configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.api])]
            },
            database: { opened in
                opened.wrappingStores { stores in
                    var racing = stores
                    racing.gnap = RacingGNAPStore(inner: stores.gnap, step: step)
                    return racing
                }
            }
        )
        try await app.application.test(.router) { client in
            let party = Party(client: client, app: app, agent: agent, rs: rs)
            let first = try await approved(party, [Self.read], by: "alice")
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            let account = try await browser.request("/account")
            #expect(TwoDoorsTests.grantIDs(account.body) == [first.grantID], "\(account.body)")

            // The client polls while the withdrawal is between its read of the grant and its write.
            clock.advance(by: 6)
            // What the client got: the status, and the token and continuation token of a 200.
            let polled = Mutex<(status: Int, token: String?, continuation: String?)?>(nil)
            step.arm {
                let answer = try await GNAPEndpointTests.send(
                    client,
                    app,
                    agent,
                    method: .post,
                    path: first.grantPath,
                    body: nil,
                    token: first.continuation
                )
                let token = GNAPRotationSubjectTests.tokenValue(answer.json["access_token"])
                let next = GNAPRotationSubjectTests.tokenValue((answer.json["continue"] as? [String: Any])?["access_token"])
                polled.withLock { $0 = (answer.status.code, token, next) }
            }
            let withdrawn = try await browser.request(
                "/account/grants/\(first.grantID)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(step.hasRun, "the continuation ran inside the withdrawal")
            #expect(withdrawn.status == .ok, "\(withdrawn.body)")
            #expect(TwoDoorsTests.grantIDs(withdrawn.body).isEmpty)

            // The continuation won the race for its write: it got a token and a new continuation token.
            let answer = try #require(polled.withLock { $0 })
            #expect(answer.status == 200)
            let during = try #require(answer.token)
            let continuation = try #require(answer.continuation)
            // The withdrawal retried on the grant as the continuation left it: both tokens end, and so does the grant.
            #expect(try await active(party, first.value) == false)
            #expect(try await active(party, during) == false, "the token minted during the withdrawal ends too")
            clock.advance(by: 6)
            let after = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: first.grantPath,
                body: nil,
                token: continuation
            )
            #expect(GNAPEndpointTests.errorCode(after.json) == GNAPError.Code.invalidContinuation.rawValue, "\(after.json)")
        }
    }
}
