import Cedar
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A Cedar-profile right's `valid_for` window (docs/rar-cedar.md: "grant time + N seconds") is counted from the
/// approval the grant stands on, never from the request that mints a token (second outside review, G4): a client that
/// only polls its continuation (RFC 9635 §5.2), or modifies it to the same rights without interaction (§5.3), renews
/// nothing nobody approved again; rotation (§6.1) and RFC 9767 §4 derived tokens keep the window too
/// (draft-cecchetti-oauth-rar-cedar §7: the AS's narrowing bounds the delegation).
@Suite struct GNAPCedarValidForTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure) }
    var rs: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure) }

    static let issuer = "https://as.example"
    static let initiate = #"permit (principal, action == BankA::Action::"initiate", resource is Creditor);"#

    /// agent-1 asks for payments with a 60 s window; rs-1 (at the AS's own audience) may derive from its tokens, and
    /// the delegation policies allow both.
    func app() async throws -> TesseraApplication {
        let (agent, rs) = (agent, rs)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.continuationWait = 5
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Fintech agent", allowedAccess: ["payment_initiation"])
            ]
            configuration.issuer = Self.issuer
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.issuer])]
            let cedar = AuthorizationDetailsTypeDefinition.Cedar(
                schema: SeedFigures.bankSchemaDeclaringNow,
                policies: SeedFigures.delegationPolicies(client: "agent-1") + "\n" + SeedFigures.delegationPolicies(client: "rs-1"),
                validFor: 60
            )
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "payment_initiation", cedar: cedar)]
        }
    }

    static var tokens: GNAPTokenRequests { .single(.init(access: [GNAPCedarRightsTests.right(initiate)])) }

    /// The `datetime(…)` values in a token's Cedar right, in order.
    static func windows(_ token: Any?) throws -> [String] {
        let token = try #require(token as? [String: Any], "no access token")
        let value = try #require(token["value"] as? String)
        let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: value).payload)
        guard case .object(let granted)? = claims.access?.first, let text = granted.extra["policySet"]?.stringValue else {
            Issue.record("no Cedar right in the token")
            return []
        }
        return text.matches(of: /datetime\("[^"]+"\)/).map { String($0.output) }
    }

    /// The window that ends `seconds` after `date`, as the AS writes it.
    static func window(_ date: Date, plus seconds: TimeInterval) -> String {
        ExtensionValue.datetime(Int64((date.timeIntervalSince1970 + seconds).rounded(.down)) * 1000).description
    }

    static func path(_ uri: Any?, _ app: TesseraApplication) throws -> String {
        try GNAPRotationSubjectTests.path(uri, app)
    }

    @Test func everyTokenMintedUnderOneApprovalKeepsItsWindow() async throws {
        let app = try await app()
        let (agent, rs) = (agent, rs)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: Self.tokens,
                // Asking about the person makes the registered instance's grant wait for them.
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
                client: .instance("agent-1"),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        try await app.application.test(.router) { client in
            let pending = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(pending.status == .ok, "\(pending.json)")
            let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
            let interactionID = String(redirect.split(separator: "/").last ?? "")
            var cont = try #require(pending.json["continue"] as? [String: Any])
            let grantPath = try Self.path(cont["uri"], app)

            clock.advance(by: 3)
            let approvedAt = clock.now
            let shown = try await app.engine.gnap.interaction(id: interactionID, for: "alice").rightsDigest
            _ = try await app.engine.gnap.decideInteraction(
                id: interactionID,
                username: "alice",
                authenticatedAt: clock.now,
                shownDigest: shown,
                approve: true,
                approvedRights: nil
            )
            let expected = [Self.window(approvedAt, plus: 60)]

            // The client polls (no finish method, so the plain continuation answers) well after the approval.
            var answers: [GNAPEndpointTests.Exchange] = []
            for wait in [10.0, 25, 40] {
                clock.advance(by: wait)
                let token = try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
                let polled = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: grantPath, body: nil, token: token)
                #expect(polled.status == .ok, "\(polled.json)")
                #expect(try Self.windows(polled.json["access_token"]) == expected, "a poll renews nothing alice approved")
                cont = try #require(polled.json["continue"] as? [String: Any])
                answers.append(polled)
            }

            // The same rights again, without interaction: the approval stands, and so does its window.
            clock.advance(by: 6)
            let same = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .patch,
                path: grantPath,
                body: try GNAPTestSigner.body(GNAPGrantRequest(accessToken: Self.tokens)),
                token: GNAPRotationSubjectTests.tokenValue(cont["access_token"])
            )
            #expect(same.status == .ok, "\(same.json)")
            #expect(try Self.windows(same.json["access_token"]) == expected, "a modification to the same rights renews nothing")

            // Rotation of the first token re-mints what was granted.
            let first = try #require(answers.first?.json["access_token"] as? [String: Any])
            let manage = try #require(first["manage"] as? [String: Any])
            let rotated = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .post,
                path: try Self.path(manage["uri"], app),
                body: nil,
                token: GNAPRotationSubjectTests.tokenValue(manage["access_token"])
            )
            #expect(rotated.status == .ok, "\(rotated.json)")
            #expect(try Self.windows(rotated.json["access_token"]) == expected)

            // A resource server derives a token for what the latest one carries: no later window is added.
            let latest = try #require(same.json["access_token"] as? [String: Any])
            let carried = try #require(latest["access"] as? [[String: Any]])
            let access = try JSONDecoder().decode([GNAPAccessRight].self, from: JSONSerialization.data(withJSONObject: carried))
            let derive = GNAPGrantRequest(
                accessToken: .single(GNAPTokenRequest(access: access)),
                client: .instance("rs-1"),
                existingAccessToken: try #require(latest["value"] as? String)
            )
            let derived = try await GNAPEndpointTests.send(
                client,
                app,
                rs,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(derive)
            )
            #expect(derived.status == .ok, "\(derived.json)")
            #expect(Set(try Self.windows(derived.json["access_token"])) == Set(expected), "a derived token keeps the parent's window")
        }
    }

    /// A grant the instance's own policy approved stands on that approval: a modification the policy approves again
    /// for the same subject is no new approval, so its window keeps its start.
    @Test func aGrantTheInstancesPolicyApprovedKeepsItsWindow() async throws {
        let app = try await app()
        let agent = agent
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: Self.tokens)
        try await app.application.test(.router) { client in
            let approvedAt = clock.now
            let first = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            #expect(first.status == .ok, "\(first.json)")
            let expected = [Self.window(approvedAt, plus: 60)]
            #expect(try Self.windows(first.json["access_token"]) == expected)
            let cont = try #require(first.json["continue"] as? [String: Any])
            clock.advance(by: 45)
            let same = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .patch,
                path: try Self.path(cont["uri"], app),
                body: try GNAPTestSigner.body(GNAPGrantRequest(accessToken: Self.tokens)),
                token: GNAPRotationSubjectTests.tokenValue(cont["access_token"])
            )
            #expect(same.status == .ok, "\(same.json)")
            #expect(try Self.windows(same.json["access_token"]) == expected, "the policy's approval stands; it is not given again")
        }
    }
}
