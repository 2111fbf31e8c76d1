import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The one policy set governs every engine operation (issue 19 item 2, docs/policy.md): an owner's
/// forbid on `introspect`, `challenge`, an exchange's audience, an ID-JAG for a client and who may
/// approve a GNAP right holds through the real endpoints — none of which asked the decision point before.
@Suite struct OwnerPolicyFoldTests {
    typealias F = ChainingFixture
    static let backup = "https://backup.example/"
    let clock = TestClock()
    let rsKey = Curve25519.Signing.PrivateKey()

    func app(_ policy: String) async throws -> TesseraApplication {
        let owner = try OwnerPolicy(text: policy, source: "owner.cedar")
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            var resourceServer = ClientDefinition(
                id: "rs-backup",
                auth: "client_secret_basic",
                secret: TestClients.secret,
                grantTypes: ["client_credentials"],
                scopes: ""
            )
            resourceServer.introspectionAudiences = [Self.backup]
            configuration.clients = TestClients.definitions + [resourceServer]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.backup])]
            configuration.policy = owner
        }
    }

    /// RFC 7662 §4 leaves to the AS whom it tells: an owner forbid on `introspect` answers `{"active":false}`.
    @Test func anOwnerForbidOnIntrospectHoldsAtTheIntrospectionEndpoint() async throws {
        let app = try await app(
            """
            @id("rs-backup-never-sees-read")
            forbid (principal == Client::"rs-backup", action == Action::"introspect", resource)
            when { context.scopes.contains(Scope::"read") };
            """
        )
        try await app.application.test(.router) { client in
            let token = try await IntrospectionAuthorizationTests.oauthToken(client, resource: Self.backup)
            let refused = try await IntrospectionAuthorizationTests.introspect(client, token, as: "rs-backup")
            #expect(refused as NSDictionary == ["active": false] as NSDictionary)
            // The token's own client is not named by the forbid: the default still lets it look.
            let own = try await IntrospectionAuthorizationTests.introspect(client, token, as: TestClients.secretClientID)
            #expect(own["active"] as? Bool == true)
        }
    }

    /// The same forbid, said of the GNAP door, holds at GNAP introspection (RFC 9767 §3.3).
    @Test func anOwnerForbidOnIntrospectHoldsAtGNAPIntrospection() async throws {
        let app = try await app(
            #"forbid (principal == Client::"rs-1", action == Action::"introspect", resource) when { context.door == "gnap" };"#
        )
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let token = try await IntrospectionAuthorizationTests.oauthToken(client, resource: Self.backup)
            let request = GNAPIntrospectionRequest(accessToken: token, proof: nil, resourceServer: .instance("rs-1"), access: nil)
            let answer = try await GNAPEndpointTests.send(
                client,
                app,
                rs,
                method: .post,
                path: "/gnap/introspect",
                body: try GNAPTestSigner.body(request)
            )
            #expect(answer.json as NSDictionary == ["active": false] as NSDictionary)
            // OAuth's resource server for the same audience is not named.
            #expect(try await IntrospectionAuthorizationTests.introspect(client, token, as: "rs-backup")["active"] as? Bool == true)
        }
    }

    /// `Action::"challenge"` is asked before any grant: an owner forbid refuses the token request
    /// (draft-kahrer-oauth-client-challenge-protocol-00 §4) without any `client_challenges.policy`.
    @Test func anOwnerForbidOnChallengeRefusesTheTokenRequest() async throws {
        let app = try await app(
            """
            @id("service-a-no-client-credentials") @reason("service-a is being retired")
            forbid (principal == Client::"service-a", action == Action::"challenge", resource)
            when { context.grantType == "client_credentials" && context.scopes.contains(Scope::"write") };
            """
        )
        try await app.application.test(.router) { client in
            let (refused, error) = try await OwnerPolicyDoorsTests.token(client, "grant_type=client_credentials&scope=read%20write")
            #expect(refused == .badRequest)
            #expect(error["error"] as? String == "unauthorized_client")
            #expect((error["error_description"] as? String)?.contains("being retired") == true)
            let (granted, _) = try await OwnerPolicyDoorsTests.token(client, "grant_type=client_credentials&scope=read")
            #expect(granted == .ok)
        }
    }

    /// An exchange names its target in `audience`; a forbid on that `Resource` refuses it even when
    /// no scope is asked for (RFC 8693 §2.2.2 `invalid_target`).
    @Test func anOwnerForbidOnAnExchangeAudienceHoldsWithoutAScope() async throws {
        let atA = try OwnerPolicy(
            text: #"@id("nothing-to-b") forbid (principal, action == Action::"exchange", resource == Resource::"https://as-b.test");"#,
            source: "a.cedar"
        )
        let fixture = try await F.make(configureA: { $0.policy = atA })
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a, scope: "read write")
            let refused = try await F.exchange(a, subject: subject)
            #expect(refused.status == .badRequest)
            #expect(refused.error == "invalid_target", "\(refused.json)")
            #expect(refused.description.contains("nothing-to-b"))
        }
    }

    /// ID-JAG issuance asks the one decision point: an owner forbid for one client holds, the
    /// translated `chaining.peers[].id_jag` permits still serve the others.
    @Test func anOwnerForbidOnAnIDJAGForAClientHolds() async throws {
        let atA = try OwnerPolicy(
            text: """
                @id("no-id-jag-for-app")
                forbid (principal == Client::"app", action == Action::"exchange", resource)
                when { context.requestedTokenType == "urn:ietf:params:oauth:token-type:id-jag" };
                """,
            source: "a.cedar"
        )
        let fixture = try await IDJAGEndpointTests.make(configureA: { $0.policy = atA })
        try await fixture.run { a, _ in
            let refused = try await IDJAGEndpointTests.requestIDJAG(a, idToken: try await IDJAGEndpointTests.idToken(fixture))
            #expect(refused.error == "invalid_target", "\(refused.json)")
            let other = try await IDJAGEndpointTests.requestIDJAG(
                a,
                idToken: try await IDJAGEndpointTests.idToken(fixture, client: "other"),
                as: "other"
            )
            #expect(other.status == .ok, "\(other.json)")
        }
    }

    /// Who may approve a GNAP right is policy: the owner's rule routes `photos` to alice the way
    /// `gnap.interaction.resource_owners` does, so bob's sign-in cannot decide it (RFC 9635 §1.4).
    @Test func aResourceOwnerRouteWrittenAsPolicyHolds() async throws {
        let app = try await app(
            """
            @id("photos-belong-to-alice")
            forbid (principal, action == Action::"approve", resource == Scope::"photos")
            when { context has user && context.user != User::"alice" };
            """
        )
        let stranger = GNAPTestSigner(now: clock.closure)
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: ["photos"])),
                client: .value(GNAPClientInstance(key: stranger.key)),
                interact: GNAPInteractRequest(start: [.string("redirect")])
            )
        )
        try await app.application.test(.router) { client in
            let pending = try await GNAPEndpointTests.send(client, app, stranger, method: .post, path: "/gnap", body: body)
            #expect(pending.status == .ok, "\(pending.json)")
            let redirect = try #require((pending.json["interact"] as? [String: Any])?["redirect"] as? String)
            let interaction = String(redirect.split(separator: "/").last ?? "")
            await #expect(throws: GNAPService.InteractionProblem.routed) {
                _ = try await app.engine.gnap.interaction(id: interaction, for: "bob")
            }
            _ = try await app.engine.gnap.interaction(id: interaction, for: "alice")
        }
    }
}
