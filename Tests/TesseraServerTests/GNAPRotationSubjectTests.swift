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

/// Rotation (RFC 9635 §6.1) gives the same token a new value: the same subject, asked about as the same
/// person, for a grant that is still approved and continuable. A modification that sends the grant back to
/// a person (§5.3) must not turn its old tokens into tokens of the instance itself, out of reach of every
/// rule aimed at the person who approved them.
@Suite struct GNAPRotationSubjectTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()

    /// Rotation is `Action::"refresh"`: the owner no longer lets mona's tokens be renewed.
    static let monaMayNotRefresh = """
        @id("mona-may-not-refresh")
        forbid (principal, action == Action::"refresh", resource)
        when { context has user && context.user == User::"mona" };
        """

    /// The instance `agent` may get nothing by itself (no `allowed_access`): every grant waits for a person.
    func app(policy: String? = nil, grantLifetime: TimeInterval = 86_400) async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        let owner = try policy.map { try OwnerPolicy(text: $0, source: "owner.cedar") }
        return try await TestServer.build(now: clock.closure) { configuration in
            if let owner { configuration.policy = owner }
            configuration.gnap.continuationWait = 5
            configuration.gnap.grantLifetime = grantLifetime
            configuration.gnap.instances = [.init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: [])]
        }
    }

    struct Issued {
        var grantPath: String
        var continuation: String
        var value: String
        var managePath: String
        var manageToken: String
    }

    static func path(_ uri: Any?, _ app: TesseraApplication) throws -> String {
        String(try #require(uri as? String).dropFirst(app.engine.configuration.issuer.count))
    }

    static func tokenValue(_ object: Any?) -> String? { (object as? [String: Any])?["value"] as? String }

    static func subject(_ token: String) throws -> String {
        try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload).sub
    }

    /// Grant for `photos`, approved out of band by `person`, continued for its token.
    func approvedToken(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ agent: GNAPTestSigner,
        by person: String
    ) async throws -> Issued {
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent"), tokens: .single(.init(access: ["photos"])))
        let first = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(first.json["access_token"] == nil, "the instance gets nothing by itself: \(first.json)")
        let cont = try #require(first.json["continue"] as? [String: Any], "\(first.json)")
        let grantPath = try Self.path(cont["uri"], app)
        let continuation = try #require(Self.tokenValue(cont["access_token"]))
        let grantID = String(grantPath.split(separator: "/").last ?? "")
        #expect(try await app.engine.gnap.decide(grantID: grantID, approve: true, subject: person))
        clock.advance(by: 6)
        let approved = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: grantPath, body: nil, token: continuation)
        #expect(approved.status == .ok, "\(approved.json)")
        let token = try #require(approved.json["access_token"] as? [String: Any], "\(approved.json)")
        let manage = try #require(token["manage"] as? [String: Any])
        let next = try #require(approved.json["continue"] as? [String: Any])
        return Issued(
            grantPath: grantPath,
            continuation: try #require(Self.tokenValue(next["access_token"])),
            value: try #require(token["value"] as? String),
            managePath: try Self.path(manage["uri"], app),
            manageToken: try #require(Self.tokenValue(manage["access_token"]))
        )
    }

    /// PATCH (RFC 9635 §5.3) asking for more than was approved, with `interact`: the grant goes back to pending.
    func widen(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ agent: GNAPTestSigner,
        _ issued: Issued
    ) async throws -> String {
        clock.advance(by: 6)
        let patch = GNAPGrantRequest(
            accessToken: .single(.init(access: ["photos", "albums"])),
            interact: GNAPInteractRequest(start: [.string("redirect")])
        )
        let modified = try await GNAPEndpointTests.send(
            client,
            app,
            agent,
            method: .patch,
            path: issued.grantPath,
            body: try GNAPTestSigner.body(patch),
            token: issued.continuation
        )
        #expect(modified.status == .ok, "\(modified.json)")
        #expect(modified.json["access_token"] == nil)
        let cont = try #require(modified.json["continue"] as? [String: Any], "\(modified.json)")
        return try #require(Self.tokenValue(cont["access_token"]))
    }

    func rotate(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ agent: GNAPTestSigner,
        _ issued: Issued
    ) async throws -> GNAPEndpointTests.Exchange {
        try await GNAPEndpointTests.send(client, app, agent, method: .post, path: issued.managePath, body: nil, token: issued.manageToken)
    }

    @Test func aModifiedGrantsTokenIsNotRotatedIntoTheInstancesOwn() async throws {
        let app = try await app(policy: Self.monaMayNotRefresh)
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let issued = try await approvedToken(client, app, agent, by: "mona")
            #expect(try Self.subject(issued.value) == "mona")
            let refused = try await rotate(client, app, agent, issued)
            #expect(refused.status == .forbidden, "\(refused.json)")
            #expect(GNAPEndpointTests.errorCode(refused.json) == GNAPError.Code.requestDenied.rawValue)

            _ = try await widen(client, app, agent, issued)
            let attack = try await rotate(client, app, agent, issued)
            #expect(GNAPEndpointTests.errorCode(attack.json) == GNAPError.Code.invalidRotation.rawValue, "\(attack.json)")
            #expect(attack.json["access_token"] == nil)
        }
    }

    /// A token keeps the subject it was issued for: a grant approved again by someone else does not rename it,
    /// nor renew it (mona's approval no longer stands: the token ended with bob's approval, RFC 9635 §5.3).
    @Test func aTokenIsNotRotatedOnceSomeoneElseApprovesItsGrant() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let issued = try await approvedToken(client, app, agent, by: "mona")
            _ = try await widen(client, app, agent, issued)
            let grantID = String(issued.grantPath.split(separator: "/").last ?? "")
            #expect(try await app.engine.gnap.decide(grantID: grantID, approve: true, subject: "bob"))
            let rotated = try await rotate(client, app, agent, issued)
            #expect(GNAPEndpointTests.errorCode(rotated.json) == GNAPError.Code.invalidRotation.rawValue, "\(rotated.json)")
            #expect(rotated.json["access_token"] == nil)
        }
    }

    /// A grant past its lifetime is no longer continued (RFC 9635 §5); its tokens are not renewed either.
    @Test func aTokenOfAnExpiredGrantIsNotRotated() async throws {
        let app = try await app(grantLifetime: 600)
        let agent = GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let issued = try await approvedToken(client, app, agent, by: "mona")
            clock.advance(by: 600)
            let late = try await rotate(client, app, agent, issued)
            #expect(GNAPEndpointTests.errorCode(late.json) == GNAPError.Code.invalidRotation.rawValue, "\(late.json)")
            #expect(late.json["access_token"] == nil)
        }
    }
}
