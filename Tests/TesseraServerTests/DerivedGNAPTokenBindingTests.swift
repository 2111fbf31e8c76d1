import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// An RFC 9767 §4 derived token never carries more than the token it is derived from: not more rights, not a
/// later expiry, not another `sub`, and not freedom from a key (RFC 9635 §2.1.1 `bearer`, RFC 9767 §6.6) —
/// even when the deriving resource server is also a registered instance that may ask for bearer tokens; and a
/// token derived from a derived token stays within the original (a chain of two).
@Suite struct DerivedGNAPTokenBindingTests {
    static let backup = "https://backup.example/"
    static let archive = "https://archive.example/"
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rs1Key = Curve25519.Signing.PrivateKey()
    let rs2Key = Curve25519.Signing.PrivateKey()

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure) }
    var rs1: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rs1Key, now: clock.closure) }
    var rs2: GNAPTestSigner { GNAPTestSigner(kid: "rs-2", privateKey: rs2Key, now: clock.closure) }

    /// agent-1 asks; rs-1 (at the backup server) and rs-2 (at the archive) are resource servers and also
    /// instances allowed bearer tokens, the widest registration a deriving party can have.
    func app() async throws -> TesseraApplication {
        let (agent, rs1, rs2) = (agent, rs1, rs2)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["backup-api"], allowBearer: true),
                .init(id: "rs-1", key: rs1.key, displayName: "Backup RS", allowedAccess: ["backup-api"], allowBearer: true),
                .init(id: "rs-2", key: rs2.key, displayName: "Archive RS", allowedAccess: ["backup-api"], allowBearer: true),
            ]
            configuration.gnap.resourceServers = [
                .init(id: "rs-1", key: rs1.key, audiences: [Self.backup]),
                .init(id: "rs-2", key: rs2.key, audiences: [Self.archive]),
            ]
        }
    }

    static func backupAPI(_ actions: [String], at locations: [String]) -> GNAPAccessRight {
        .object(GNAPAccessObject(type: "backup-api", actions: actions, locations: locations))
    }

    static func claims(_ token: String) throws -> AccessTokenClaims {
        try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
    }

    /// agent-1's token for backup-api read and write at both servers, key-bound unless `bearer`.
    func parent(_ client: any TestClientProtocol, _ app: TesseraApplication, bearer: Bool = false) async throws -> String {
        let request = GNAPTokenRequest(
            access: [Self.backupAPI(["read", "write"], at: [Self.backup, Self.archive])],
            flags: bearer ? ["bearer"] : nil
        )
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(request))
        let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(answer.status == .ok, "\(answer.json)")
        return try #require((answer.json["access_token"] as? [String: Any])?["value"] as? String, "\(answer.json)")
    }

    /// `rs` (registered as `id`) asks for a token derived from `existing` over the real grant endpoint.
    func derive(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        by rs: GNAPTestSigner,
        from existing: String,
        access: [GNAPAccessRight],
        bearer: Bool = false
    ) async throws -> GNAPEndpointTests.Exchange {
        let request = GNAPGrantRequest(
            accessToken: .single(GNAPTokenRequest(access: access, flags: bearer ? ["bearer"] : nil)),
            client: .instance(rs.kid),
            existingAccessToken: existing
        )
        return try await GNAPEndpointTests.send(client, app, rs, method: .post, path: "/gnap", body: try GNAPTestSigner.body(request))
    }

    static func value(_ answer: GNAPEndpointTests.Exchange) throws -> String {
        try #require((answer.json["access_token"] as? [String: Any])?["value"] as? String, "\(answer.json)")
    }

    static func code(_ answer: GNAPEndpointTests.Exchange) -> String? {
        (answer.json["error"] as? [String: Any])?["code"] as? String
    }

    @Test func aBearerTokenIsNotDerivedFromAKeyBoundOne() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let bound = try await parent(client, app)
            let attack = try await derive(
                client,
                app,
                by: rs1,
                from: bound,
                access: [Self.backupAPI(["read"], at: [Self.archive])],
                bearer: true
            )
            #expect(attack.status == .forbidden, "\(attack.json)")
            #expect(Self.code(attack) == "request_denied")
            #expect(attack.json["access_token"] == nil)

            // Without the flag it is granted, bound to the deriving RS's own key (RFC 9767 §4, §6.6).
            let derived = try await derive(client, app, by: rs1, from: bound, access: [Self.backupAPI(["read"], at: [Self.archive])])
            #expect(derived.status == .ok, "\(derived.json)")
            let token = try #require(derived.json["access_token"] as? [String: Any])
            #expect(token["flags"] == nil)
            #expect(try Self.claims(try Self.value(derived)).cnf?.jkt == (try rs1.key.jwk?.thumbprint()))
        }
    }

    @Test func aBearerParentMayYieldABearerToken() async throws {
        // Not a widening: whoever holds the bearer parent can already use it without a key.
        let app = try await app()
        try await app.application.test(.router) { client in
            let bearer = try await parent(client, app, bearer: true)
            let derived = try await derive(
                client,
                app,
                by: rs1,
                from: bearer,
                access: [Self.backupAPI(["read"], at: [Self.archive])],
                bearer: true
            )
            #expect(derived.status == .ok, "\(derived.json)")
            #expect(try Self.claims(try Self.value(derived)).cnf == nil)
        }
    }

    @Test func aTokenDerivedFromADerivedTokenStaysWithinTheOriginal() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let original = try await parent(client, app)
            clock.advance(by: 100)
            let first = try await derive(
                client,
                app,
                by: rs1,
                from: original,
                access: [Self.backupAPI(["read", "write"], at: [Self.archive])]
            )
            #expect(first.status == .ok, "\(first.json)")
            let middle = try Self.value(first)
            clock.advance(by: 100)

            // rs-2 (the archive) derives again: a right the middle token dropped, bearer, or another server is refused.
            for (access, bearer) in [
                ([Self.backupAPI(["read"], at: [Self.backup])], false),
                ([Self.backupAPI(["read", "delete"], at: [Self.archive])], false),
                ([Self.backupAPI(["read"], at: [Self.archive])], true),
            ] {
                let wider = try await derive(client, app, by: rs2, from: middle, access: access, bearer: bearer)
                #expect(wider.status == .forbidden, "\(access) bearer: \(bearer) \(wider.json)")
                #expect(Self.code(wider) == "request_denied")
            }
            let second = try await derive(client, app, by: rs2, from: middle, access: [Self.backupAPI(["read"], at: [Self.archive])])
            #expect(second.status == .ok, "\(second.json)")
            let (top, mid, last) = (try Self.claims(original), try Self.claims(middle), try Self.claims(try Self.value(second)))
            #expect(mid.sub == top.sub && last.sub == top.sub, "the same resource owner along the chain")
            #expect(mid.exp == top.exp && last.exp == top.exp, "issued later, yet expiring with the original")
            #expect(last.cnf?.jkt == (try rs2.key.jwk?.thumbprint()))
            #expect(last.clientID == "rs-2")
        }
    }
}
