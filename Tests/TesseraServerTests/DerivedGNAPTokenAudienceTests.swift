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

/// An RFC 9767 §4 derived token keeps its parent's audience restriction (security review F5): a resource
/// server that derives a token from one meant only for `https://backup.example/` must not get one for the
/// AS's default audience (the issuer), which RSs configured with the issuer as audience would accept. The
/// OAuth door's token exchange already answers the same question this way (RFC 8693 §2.1, RFC 8707 §2.2:
/// "an exchanged token may only narrow its audience"); derived access never exceeds its parent.
@Suite struct DerivedGNAPTokenAudienceTests {
    typealias Binding = DerivedGNAPTokenBindingTests
    static let backup = Binding.backup
    static let archive = Binding.archive
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rs1Key = Curve25519.Signing.PrivateKey()

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure) }
    var rs1: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rs1Key, now: clock.closure) }

    /// agent-1 asks; rs-1 is the resource server at the backup server; the OAuth clients are the test ones.
    func app() async throws -> TesseraApplication {
        let (agent, rs1) = (agent, rs1)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["backup-api"])
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs1.key, audiences: [Self.backup])]
        }
    }

    /// rs-1 asks for a token derived from `existing` over the real grant endpoint.
    func derive(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        from existing: String,
        access: [GNAPAccessRight]
    ) async throws -> GNAPEndpointTests.Exchange {
        let request = GNAPGrantRequest(
            accessToken: .single(GNAPTokenRequest(access: access)),
            client: .instance(rs1.kid),
            existingAccessToken: existing
        )
        return try await GNAPEndpointTests.send(client, app, rs1, method: .post, path: "/gnap", body: try GNAPTestSigner.body(request))
    }

    /// An OAuth client-credentials token for `read`, restricted to `resource` (RFC 8707 §2).
    func oauthToken(_ client: any TestClientProtocol, resource: String) async throws -> String {
        let form = "grant_type=client_credentials&scope=read&resource=" + FormParameters.encode(resource)
        var headers = HTTPHelpers.form
        headers[.authorization] = TestClients.basicAuthorization()
        let json = try await client.execute(uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: form)) {
            try HTTPHelpers.json($0.body)
        }
        return try #require(json["access_token"] as? String, "\(json)")
    }

    @Test func aTokenDerivedFromAnAudienceRestrictedOAuthTokenKeepsItsAudience() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let parent = try await oauthToken(client, resource: Self.backup)
            #expect(try Binding.claims(parent).aud.values == [Self.backup])
            let derived = try await derive(client, app, from: parent, access: [.reference("read")])
            #expect(derived.status == .ok, "\(derived.json)")
            let claims = try Binding.claims(try Binding.value(derived))
            #expect(claims.aud.values == [Self.backup], "not the AS's default audience \(app.engine.configuration.issuer)")
        }
    }

    /// Rotating the derived token (RFC 9635 §6.1) re-mints it from its ledger parent: the new value keeps the
    /// parent's audience too, and a derivation narrowed by `locations` within that audience gets only those.
    @Test func aRotatedDerivedTokenKeepsItsParentsAudience() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let parent = try await oauthToken(client, resource: Self.backup)
            let derived = try await derive(client, app, from: parent, access: [.reference("read")])
            let token = try #require(derived.json["access_token"] as? [String: Any], "\(derived.json)")
            let manage = try #require(token["manage"] as? [String: Any])
            let managePath = String((manage["uri"] as? String ?? "").dropFirst(app.engine.configuration.issuer.count))
            let manageToken = try #require((manage["access_token"] as? [String: Any])?["value"] as? String)
            let rotated = try await GNAPEndpointTests.send(client, app, rs1, method: .post, path: managePath, body: nil, token: manageToken)
            #expect(rotated.status == .ok, "\(rotated.json)")
            #expect(try Binding.claims(try Binding.value(rotated)).aud.values == [Self.backup])

            // A GNAP parent for two servers: narrowing to one location yields that audience only.
            let request = GNAPTokenRequest(access: [Binding.backupAPI(["read", "write"], at: [Self.backup, Self.archive])])
            let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(request))
            let wide = try Binding.value(try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body))
            let narrowed = try await derive(client, app, from: wide, access: [Binding.backupAPI(["read"], at: [Self.backup])])
            #expect(try Binding.claims(try Binding.value(narrowed)).aud.values == [Self.backup])
        }
    }

    /// The OAuth parent reaches only the backup server: a derived token for the archive is refused, whatever
    /// the rights look like (the audience rule, not only the rights' coverage).
    @Test func aTokenDerivedForAnotherAudienceThanItsParentsIsRefused() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let parent = try await oauthToken(client, resource: Self.backup)
            let elsewhere = try await derive(client, app, from: parent, access: [Binding.backupAPI(["read"], at: [Self.archive])])
            #expect(elsewhere.status == .forbidden, "\(elsewhere.json)")
            #expect(Binding.code(elsewhere) == "request_denied")
            #expect(elsewhere.json["access_token"] == nil)
        }
    }
}
