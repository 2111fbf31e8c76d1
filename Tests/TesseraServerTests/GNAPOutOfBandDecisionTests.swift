import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

extension GNAPService {
    /// An out-of-band decision as `tessera gnap approve --digest` makes it: naming the request as `tessera gnap grants`
    /// lists it at this moment (review round 13, L3).
    func decide(grantID: String, approve: Bool, subject: String?) async throws -> Bool {
        let listed = try await grants(state: .pending).first { $0.id == grantID }
        let digest = try listed.map { try Self.consentDigest(ofStored: $0.request) }
        return try await decide(grantID: grantID, approve: approve, subject: subject, digest: digest)
    }
}

/// Review round 13, L3: an out-of-band approval (`tessera gnap approve`) is of the request the operator listed, as the
/// consent page's decision is of the rights it showed (RFC 9635 §4, §5.3). A client that modified its pending grant
/// between the listing and the approval got the wider request approved as the named person.
extension GNAPApprovalStandingTests {
    /// The client's current continuation token, which each modification replaces.
    final class ContinuationBox: @unchecked Sendable {
        var token: String
        init(_ token: String) { self.token = token }
    }

    @Test func anOutOfBandApprovalIsOfTheRequestItNames() async throws {
        let step = RacingGNAPStore.Step()
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let app = try await TestServer.build(
            now: clock.closure,
            configure: { configuration in
                configuration.gnap.continuationWait = 5
                configuration.gnap.instances = [.init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: ["metrics"])]
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
            let body = try GNAPEndpointTests.grantBody(client: .instance("agent"), tokens: .single(.init(access: [Self.read])))
            let first = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let cont = try #require(first.json["continue"] as? [String: Any], "\(first.json)")
            let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], app)
            let grantID = String(grantPath.split(separator: "/").last ?? "")
            let continuation = ContinuationBox(try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"])))
            let gnap = app.engine.gnap
            func listed() async throws -> String {
                let grant = try #require(try await gnap.grants(state: .pending).first { $0.id == grantID })
                return try GNAPService.consentDigest(ofStored: grant.request)
            }
            /// The client modifies its pending grant (no `interact`: it stays pending with the new request).
            @Sendable func widen(to right: GNAPAccessRight) async throws {
                clock.advance(by: 6)
                let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: [right]))))
                let answer = try await GNAPEndpointTests.send(
                    client,
                    app,
                    agent,
                    method: .patch,
                    path: grantPath,
                    body: patch,
                    token: continuation.token
                )
                let next = try #require((answer.json["continue"] as? [String: Any])?["access_token"], "\(answer.json)")
                continuation.token = GNAPRotationSubjectTests.tokenValue(next) ?? ""
            }

            // Modified after the listing: the listed digest approves nothing, and neither does an approval naming none.
            let shown = try await listed()
            try await widen(to: Self.readWrite)
            await #expect(throws: GNAPError.self) {
                try await gnap.decide(grantID: grantID, approve: true, subject: "alice", digest: shown)
            }
            await #expect(throws: GNAPError.self) { try await gnap.decide(grantID: grantID, approve: true, subject: "alice", digest: nil) }

            // Modified between the decision's read of the grant and its write: the store's compare-and-swap refuses it.
            let relisted = try await listed()
            step.arm { try await widen(to: Self.readDelete) }
            await #expect(throws: GNAPError.self) {
                try await gnap.decide(grantID: grantID, approve: true, subject: "alice", digest: relisted)
            }
            #expect(step.hasRun, "the modification landed inside the decision")
            #expect(try await gnap.grants(state: .pending).contains { $0.id == grantID }, "nothing was approved")

            // The request as it now stands, named, is approved; the token carries exactly that.
            #expect(try await gnap.decide(grantID: grantID, approve: true, subject: "alice", digest: try await listed()))
            clock.advance(by: 6)
            let answer = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: grantPath,
                body: nil,
                token: continuation.token
            )
            let issued = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
            let access = try #require(issued["access"] as? [[String: Any]])
            #expect(access.first?["actions"] as? [String] == ["read", "delete"], "\(access)")
        }
    }
}
