import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A GNAP `id_token` subject assertion (RFC 9635 §3.4) says when the person authenticated (`auth_time`,
/// OpenID Connect Core §2): the sign-in of the session that approved at the consent page, never the time
/// the grant was last continued; and nothing at all when nobody signed in here (an out-of-band approval,
/// `tessera gnap approve`). Otherwise every continuation would mint a "fresh" sign-in that passes an ID-JAG
/// step-up's `max_age` (RFC 9470 §3) although nobody authenticated.
@Suite struct GNAPSubjectAuthTimeTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests
    static let maxAge = 20
    let agentKey = Curve25519.Signing.PrivateKey()

    /// Domain A: `app` is an OAuth client and a GNAP instance that may get nothing by itself; alice can sign
    /// in; peer B asks for a sign-in within ``maxAge`` seconds before it gets an ID-JAG.
    func fixture() async throws -> ChainingFixture {
        let key = GNAPTestSigner(kid: "app", privateKey: agentKey, now: { Date() }).key
        return try await E.make(configureA: { configuration in
            configuration.chaining.peers[0].idJAG?.stepUp = AuthenticationRequirement(maxAge: Self.maxAge)
            configuration.users = [UserDefinition(username: "alice", password: "alice-password", displayName: "Alice")]
            configuration.gnap.continuationWait = 0
            configuration.gnap.instances = [.init(id: "app", key: key, displayName: "Agent", allowedAccess: [])]
        })
    }

    struct Pending {
        var interaction: String?
        var continuation: String
        var token: String
        var grantID: String
    }

    /// A subject-only grant (an ID token about the person) for the instance `app`.
    func start(_ a: any TestClientProtocol, _ fixture: ChainingFixture, interact: Bool) async throws -> Pending {
        let agent = GNAPTestSigner(kid: "app", privateKey: agentKey, now: fixture.clock.closure)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"], assertionFormats: ["id_token"]),
                client: .instance("app"),
                interact: interact ? GNAPInteractRequest(start: [.string("redirect")]) : nil
            )
        )
        let pending = try await GNAPEndpointTests.send(a, fixture.a, agent, method: .post, path: "/gnap", body: body)
        #expect(pending.status == .ok, "\(pending.json)")
        let cont = try #require(pending.json["continue"] as? [String: Any], "\(pending.json)")
        let continuation = String(try #require(cont["uri"] as? String).dropFirst(F.issuerA.count))
        let redirect = (pending.json["interact"] as? [String: Any])?["redirect"] as? String
        return Pending(
            interaction: redirect.map { String($0.dropFirst(F.issuerA.count)) },
            continuation: continuation,
            token: try #require((cont["access_token"] as? [String: Any])?["value"] as? String),
            grantID: String(continuation.split(separator: "/").last ?? "")
        )
    }

    /// Continues the grant; returns the ID token it carries, and moves `pending` to the next continuation token.
    func continued(_ a: any TestClientProtocol, _ fixture: ChainingFixture, _ pending: inout Pending) async throws -> String {
        let agent = GNAPTestSigner(kid: "app", privateKey: agentKey, now: fixture.clock.closure)
        let answer = try await GNAPEndpointTests.send(
            a,
            fixture.a,
            agent,
            method: .post,
            path: pending.continuation,
            body: nil,
            token: pending.token
        )
        #expect(answer.status == .ok, "\(answer.json)")
        let cont = try #require(answer.json["continue"] as? [String: Any], "\(answer.json)")
        pending.token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
        let assertions = try #require((answer.json["subject"] as? [String: Any])?["assertions"] as? [[String: Any]], "\(answer.json)")
        return try #require(assertions.first?["value"] as? String)
    }

    /// Approves the interaction in `browser` (already signed in) at the consent page.
    func approve(_ browser: AuthorizationCodeFlowTests.Browser, _ pending: Pending) async throws {
        let interaction = try #require(pending.interaction)
        let page = try await browser.request(interaction)
        #expect(page.status == .ok, "\(page.body)")
        let decided = try await browser.request(
            interaction,
            method: .post,
            form: [
                ("csrf", page.csrf ?? ""), ("rights_digest", ConsentPagesTests.hidden(page.body, "rights_digest") ?? ""),
                ("decision", "approve"),
            ]
        )
        #expect(decided.status == .ok || decided.status == .seeOther, "\(decided.body)")
    }

    /// An out-of-band approval authenticates nobody here: the ID token has no `auth_time`, however often the
    /// grant is continued, and a peer that asks for a recent sign-in gets `insufficient_user_authentication`.
    @Test func anOutOfBandApprovalClaimsNoSignIn() async throws {
        let fixture = try await fixture()
        try await fixture.run { a, _ in
            var pending = try await start(a, fixture, interact: false)
            #expect(try await fixture.a.engine.gnap.decide(grantID: pending.grantID, approve: true, subject: "alice"))
            for _ in 0..<2 {
                let idToken = try await continued(a, fixture, &pending)
                let claims = try F.claims(idToken)
                #expect(claims.string("sub") == "alice")
                #expect(claims["auth_time"] == nil, "nobody signed in: \(claims)")
                let exchanged = try await E.requestIDJAG(a, idToken: idToken)
                #expect(exchanged.error == "insufficient_user_authentication", "\(exchanged.json)")
                #expect(exchanged.json["max_age"] as? Int == Self.maxAge)
                fixture.clock.advance(by: 25)
            }
        }
    }

    /// A person who approved at the consent page: `auth_time` is when their session signed in, the same at every
    /// continuation, so the step-up's `max_age` measures the real sign-in.
    @Test func anInteractiveApprovalClaimsTheSessionsSignIn() async throws {
        let fixture = try await fixture()
        try await fixture.run { a, _ in
            // Signed in 30 s before approving: too old for max_age 20 from the first ID token on.
            let stale = AuthorizationCodeFlowTests.Browser(a)
            let staleSignIn = Int(fixture.clock.now.timeIntervalSince1970)
            try await stale.signIn()
            fixture.clock.advance(by: 30)
            var first = try await start(a, fixture, interact: true)
            try await approve(stale, first)
            let staleToken = try await continued(a, fixture, &first)
            #expect(try F.claims(staleToken).numericDate("auth_time") == staleSignIn)
            let refused = try await E.requestIDJAG(a, idToken: staleToken)
            #expect(refused.error == "insufficient_user_authentication", "\(refused.json)")

            // Signed in just now: accepted; 25 s later a continuation still says when, and is refused.
            let fresh = AuthorizationCodeFlowTests.Browser(a)
            let freshSignIn = Int(fixture.clock.now.timeIntervalSince1970)
            try await fresh.signIn()
            var second = try await start(a, fixture, interact: true)
            try await approve(fresh, second)
            let freshToken = try await continued(a, fixture, &second)
            #expect(try F.claims(freshToken).numericDate("auth_time") == freshSignIn)
            let accepted = try await E.requestIDJAG(a, idToken: freshToken)
            #expect(accepted.status == .ok, "\(accepted.json)")
            fixture.clock.advance(by: 25)
            let later = try await continued(a, fixture, &second)
            #expect(try F.claims(later).numericDate("auth_time") == freshSignIn)
            let expired = try await E.requestIDJAG(a, idToken: later)
            #expect(expired.error == "insufficient_user_authentication", "\(expired.json)")
        }
    }
}
