import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// What a resource server is told through the RS-facing API is about itself (RFC 9767 §3.3, §3.4, §6.8): introspection
/// answers with the rights meant for the calling RS, and a registration that requires introspection is refused when the
/// RS could not introspect the tokens issued for it.
@Suite struct GNAPResourceServerScopeTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let backupKey = Curve25519.Signing.PrivateKey()
    let photosKey = Curve25519.Signing.PrivateKey()
    static let backup = "https://backup.example/"
    static let photos = "https://photos.example/"

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure) }
    var backupRS: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: backupKey, now: clock.closure) }
    var photosRS: GNAPTestSigner { GNAPTestSigner(kid: "rs-2", privateKey: photosKey, now: clock.closure) }

    func app() async throws -> TesseraApplication {
        let (agent, backupRS, photosRS) = (agent, backupRS, photosRS)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["backup-api", "photo-api", "metrics"])
            ]
            configuration.gnap.resourceServers = [
                .init(id: "rs-1", key: backupRS.key, audiences: [Self.backup]),
                .init(id: "rs-2", key: photosRS.key, audiences: [Self.photos]),
            ]
        }
    }

    static func introspect(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ rs: GNAPTestSigner,
        _ token: String,
        _ access: [GNAPAccessRight]? = nil
    ) async throws -> [String: Any] {
        let request = GNAPIntrospectionRequest(accessToken: token, proof: "httpsig", resourceServer: .instance(rs.kid), access: access)
        let body = try GNAPTestSigner.body(request)
        return try await GNAPEndpointTests.send(client, app, rs, method: .post, path: "/gnap/introspect", body: body).json
    }

    /// The types of the rights an introspection answer lists (`metrics` for the reference).
    static func types(_ answer: [String: Any]) -> [String] {
        (answer["access"] as? [Any] ?? []).map { ($0 as? String) ?? (($0 as? [String: Any])?["type"] as? String ?? "?") }.sorted()
    }

    @Test func introspectionShowsAResourceServerOnlyTheRightsMeantForIt() async throws {
        let app = try await app()
        let rights: [GNAPAccessRight] = [
            .object(GNAPAccessObject(type: "backup-api", actions: ["read"], locations: [Self.backup])),
            .object(GNAPAccessObject(type: "photo-api", actions: ["read", "delete"], locations: [Self.photos])),
            "metrics",
        ]
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: rights)))
        try await app.application.test(.router) { client in
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let token = try #require((grant.json["access_token"] as? [String: Any])?["value"] as? String, "\(grant.json)")

            let toBackup = try await Self.introspect(client, app, backupRS, token)
            #expect(toBackup["active"] as? Bool == true, "\(toBackup)")
            #expect(Self.types(toBackup) == ["backup-api", "metrics"], "the backup RS was shown another RS's rights: \(toBackup)")
            let toPhotos = try await Self.introspect(client, app, photosRS, token)
            #expect(Self.types(toPhotos) == ["metrics", "photo-api"], "\(toPhotos)")

            // Nor can the backup RS learn them by asking: a right at another RS's location is not covered for it.
            let probe = GNAPAccessRight.object(GNAPAccessObject(type: "photo-api", actions: ["delete"], locations: [Self.photos]))
            let probed = try await Self.introspect(client, app, backupRS, token, [probe])
            #expect(probed as NSDictionary == ["active": false] as NSDictionary, "\(probed)")
            #expect(try await Self.introspect(client, app, photosRS, token, [probe])["active"] as? Bool == true)
        }
    }

    static func register(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ rs: GNAPTestSigner,
        _ access: [GNAPAccessRight],
        introspectionRequired: Bool?
    ) async throws -> GNAPEndpointTests.Exchange {
        let request = GNAPResourceRegistrationRequest(
            access: access,
            resourceServer: .instance(rs.kid),
            tokenIntrospectionRequired: introspectionRequired
        )
        return try await GNAPEndpointTests.send(
            client,
            app,
            rs,
            method: .post,
            path: "/gnap/resource",
            body: try GNAPTestSigner.body(request)
        )
    }

    @Test func aRegistrationRequiringIntrospectionIsHonouredOrRefused() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            // A set of references alone: its tokens carry this AS's default audience, which the RS may not introspect.
            let references = try await Self.register(client, app, backupRS, ["backup-all"], introspectionRequired: true)
            #expect(references.status == .badRequest, "accepted and ignored: \(references.json)")
            #expect(GNAPEndpointTests.errorCode(references.json) == "invalid_access", "\(references.json)")
            let description = ((references.json["error"] as? [String: Any])?["description"] as? String) ?? ""
            #expect(description.contains("token_introspection_required"), "\(description)")
            // Without the requirement the same set is registered, as before.
            #expect(try await Self.register(client, app, backupRS, ["backup-all"], introspectionRequired: nil).status == .ok)

            // Objects get the RS's locations: their tokens are the RS's to introspect, and the answer says where.
            let read = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["read"]))
            let registered = try await Self.register(client, app, backupRS, [read], introspectionRequired: true)
            #expect(registered.status == .ok, "\(registered.json)")
            #expect(registered.json["introspection_endpoint"] as? String == app.engine.configuration.issuer + "/gnap/introspect")
            let reference = try #require(registered.json["resource_reference"] as? String)
            let body = try GNAPEndpointTests.grantBody(
                client: .instance("agent-1"),
                tokens: .single(.init(access: [.reference(reference)]))
            )
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let token = try #require((grant.json["access_token"] as? [String: Any])?["value"] as? String, "\(grant.json)")
            #expect(try await Self.introspect(client, app, backupRS, token)["active"] as? Bool == true)
        }
    }
}
