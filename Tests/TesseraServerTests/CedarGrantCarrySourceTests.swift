import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 11, J11 and J12: the H8/H1 carry (``CedarGrantCarryGNAPTests``) keeps a token's Cedar rights
/// with the rest of the token it comes from, and from nowhere else. A modification without interaction (RFC 9635
/// §5.3) carries only from the ONE approved token the new token stands on (a bearer token only from a bearer token,
/// §2.1.1), and only while the same approval stands: a request the instance's own policy approves for itself is a
/// new approval and gets exactly what that policy approved.
extension CedarGrantCarryGNAPTests {
    typealias Standing = GNAPRotationSubjectTests

    /// PATCHes the grant to `tokens` without `interact`, with the continuation token of `previous`.
    func modify(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ grantPath: String,
        after previous: GNAPEndpointTests.Exchange,
        to tokens: GNAPTokenRequests
    ) async throws -> GNAPEndpointTests.Exchange {
        let next = try #require(Standing.tokenValue((previous.json["continue"] as? [String: Any])?["access_token"]), "\(previous.json)")
        let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: tokens))
        return try await GNAPEndpointTests.send(client, app, base.agent, method: .patch, path: grantPath, body: patch, token: next)
    }

    /// J11: alice approves `["metrics", Cedar right]`; the agent PATCHes to `["metrics"]`, which its own
    /// `allowed_access` approves for itself. Its token (its own, `sub` agent) carries `metrics` alone, on the PATCH
    /// and on the next continuation: alice's Cedar right stays hers.
    @Test func anInstanceTakingTheGrantOverKeepsNothingOfThePersonsCedarRight() async throws {
        let app = try await base.app()
        try await app.application.test(.router) { client in
            let grant = try await base.start(client, app, [.reference("metrics"), Self.right(Self.readA)])
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            _ = try await base.decide(browser, grant.interaction, [("decision", "approve_all")])
            let first = try await base.poll(client, app, grant.grantPath, grant.continuation)
            #expect(try Forbid.access(first).count == 2)
            let taken = try await modify(client, app, grant.grantPath, after: first, to: .single(.init(access: [.reference("metrics")])))
            #expect(try Standing.subject(try DerivedGNAPTokenBindingTests.value(taken)) == "agent")
            #expect(try Forbid.access(taken) == [.reference("metrics")], "the instance holds alice's Cedar right as itself")
            let next = try #require(Standing.tokenValue((taken.json["continue"] as? [String: Any])?["access_token"]))
            let again = try await base.poll(client, app, grant.grantPath, next)
            #expect(try Forbid.access(again) == [.reference("metrics")])
        }
    }

    /// J12: alice approves `pub` (bearer, `["read"]`) and `priv` (key-bound, `["read", Cedar right]`). One bearer
    /// token for `["read"]` stands on `pub` alone and carries nothing of `priv`: whoever holds it gets `read`, as
    /// alice approved for a bearer token, never priv's Cedar right.
    @Test func aBearerTokenCarriesNothingOfAKeyBoundApprovedToken() async throws {
        let app = try await base.app(allowBearer: true)
        try await app.application.test(.router) { client in
            let body = try GNAPTestSigner.body(
                GNAPGrantRequest(
                    accessToken: .multiple([
                        .init(access: [.reference("read")], label: "pub", flags: ["bearer"]),
                        .init(access: [.reference("read"), Self.right(Self.readA)], label: "priv"),
                    ]),
                    client: .instance("agent"),
                    interact: GNAPInteractRequest(start: [.string("redirect")])
                )
            )
            let pending = try await GNAPEndpointTests.send(client, app, base.agent, method: .post, path: "/gnap", body: body)
            let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String, "\(pending.json)")
            let cont = try #require(pending.json["continue"] as? [String: Any])
            let grantPath = try Standing.path(cont["uri"], app)
            let browser = AuthorizationCodeFlowTests.Browser(client)
            try await browser.signIn()
            let interaction = String(redirect.dropFirst(app.engine.configuration.issuer.count))
            _ = try await base.decide(browser, interaction, [("decision", "approve_all")])
            let first = try await base.poll(client, app, grantPath, try #require(Standing.tokenValue(cont["access_token"])))
            #expect((first.json["access_token"] as? [[String: Any]])?.count == 2, "\(first.json)")
            let bearer = try await modify(
                client,
                app,
                grantPath,
                after: first,
                to: .single(.init(access: [.reference("read")], flags: ["bearer"]))
            )
            let token = try #require(bearer.json["access_token"] as? [String: Any], "\(bearer.json)")
            #expect(token["flags"] as? [String] == ["bearer"], "\(token)")
            #expect(try Forbid.access(bearer) == [.reference("read")], "a key-bound token's Cedar right is in a bearer token")
        }
    }
}
