import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Security review round 11, J6 at the GNAP door: the operator narrows an instance's registration (`allowed_access`,
/// `allow_bearer`) or turns `allow_unknown_clients` off and restarts. What a new request no longer gets, an approved
/// grant no longer renews either: its continuation (RFC 9635 §5) and rotation (§6.1) are refused as they would be
/// for a new request, not minted from the registration of the day the grant was approved.
@Suite struct GNAPRegistrationNarrowingTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let strangerKey = Curve25519.Signing.PrivateKey()

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure) }
    var stranger: GNAPTestSigner { GNAPTestSigner(kid: "stranger", privateKey: strangerKey, now: clock.closure) }

    /// A grant's continuation and its token's management, as the client holds them.
    struct Held: Sendable {
        var grantPath = ""
        var continuation = ""
        var managePath = ""
        var manageToken = ""
    }

    /// Values carried from one run of the server to the next.
    final class Box: @unchecked Sendable { var held: [Held] = [] }

    /// One run of Tessera on `database`, `agent` registered with `allowedAccess` and `allowBearer`.
    func run(
        _ database: String,
        allowedAccess: Set<String>,
        allowBearer: Bool = false,
        unknownClients: Bool = true,
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let agent = agent
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.database = database
            configuration.gnap.continuationWait = 0
            configuration.gnap.allowUnknownClients = unknownClients
            configuration.gnap.instances = [
                .init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: allowedAccess, allowBearer: allowBearer)
            ]
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    /// Two runs of the server on one SQLite file, the second with the narrowed registration.
    func withRestart(
        _ first: @escaping @Sendable (String) async throws -> Void,
        _ second: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-j6-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await first("sqlite:" + path)
        try await second("sqlite:" + path)
    }

    /// What the client holds from a grant answer that issued one token.
    static func held(_ answer: GNAPEndpointTests.Exchange, _ app: TesseraApplication) throws -> Held {
        let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
        let manage = try #require(token["manage"] as? [String: Any])
        let cont = try #require(answer.json["continue"] as? [String: Any])
        return Held(
            grantPath: try GNAPRotationSubjectTests.path(cont["uri"], app),
            continuation: try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"])),
            managePath: try GNAPRotationSubjectTests.path(manage["uri"], app),
            manageToken: try #require(GNAPRotationSubjectTests.tokenValue(manage["access_token"]))
        )
    }

    /// `signer` asks for one token for `access` (with `flags`), as `client`.
    func request(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ signer: GNAPTestSigner,
        as reference: GNAPClientReference,
        _ access: [GNAPAccessRight],
        flags: [String]? = nil
    ) async throws -> GNAPEndpointTests.Exchange {
        let body = try GNAPEndpointTests.grantBody(client: reference, tokens: .single(.init(access: access, flags: flags)))
        return try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
    }

    /// Continues (`POST`, no body) or rotates the token of `held`.
    func renew(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ signer: GNAPTestSigner,
        _ held: Held,
        rotation: Bool
    ) async throws -> GNAPEndpointTests.Exchange {
        clock.advance(by: 1)
        let (path, token) = rotation ? (held.managePath, held.manageToken) : (held.grantPath, held.continuation)
        return try await GNAPEndpointTests.send(client, app, signer, method: .post, path: path, body: nil, token: token)
    }

    static func expectRefused(_ answer: GNAPEndpointTests.Exchange, _ code: GNAPError.Code) {
        #expect(GNAPEndpointTests.errorCode(answer.json) == code.rawValue, "\(answer.json)")
        #expect(answer.json["access_token"] == nil, "\(answer.json)")
    }

    /// `allowed_access` loses `metrics`: the grant the agent got for itself for `metrics` is neither rotated nor
    /// continued (`request_denied`); its grant for `billing`, still allowed, still rotates.
    @Test func aGrantTheInstanceApprovedForItselfEndsWhenItsAllowedAccessLosesTheRight() async throws {
        let box = Box()
        try await withRestart(
            { database in
                try await run(database, allowedAccess: ["metrics", "billing"]) { client, app in
                    for right in ["metrics", "billing"] {
                        let answer = try await request(client, app, agent, as: .instance("agent"), [.reference(right)])
                        box.held.append(try Self.held(answer, app))
                    }
                }
            },
            { database in
                try await run(database, allowedAccess: ["billing"]) { client, app in
                    let (metrics, billing) = (box.held[0], box.held[1])
                    Self.expectRefused(try await renew(client, app, agent, metrics, rotation: true), .requestDenied)
                    Self.expectRefused(try await renew(client, app, agent, metrics, rotation: false), .requestDenied)
                    let rotated = try await renew(client, app, agent, billing, rotation: true)
                    #expect(rotated.status == .ok, "\(rotated.json)")
                }
            }
        )
    }

    /// `allow_bearer` turned off: the bearer token is neither rotated (`invalid_rotation`) nor continued
    /// (`invalid_flag`); the client may modify the grant for a key-bound token instead.
    @Test func aBearerTokenIsNotRenewedOnceAllowBearerIsOff() async throws {
        let box = Box()
        try await withRestart(
            { database in
                try await run(database, allowedAccess: ["metrics"], allowBearer: true) { client, app in
                    let answer = try await request(client, app, agent, as: .instance("agent"), [.reference("metrics")], flags: ["bearer"])
                    box.held.append(try Self.held(answer, app))
                }
            },
            { database in
                try await run(database, allowedAccess: ["metrics"]) { client, app in
                    let held = box.held[0]
                    Self.expectRefused(try await renew(client, app, agent, held, rotation: true), .invalidRotation)
                    Self.expectRefused(try await renew(client, app, agent, held, rotation: false), .invalidFlag)
                    let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: [.reference("metrics")]))))
                    let bound = try await GNAPEndpointTests.send(
                        client,
                        app,
                        agent,
                        method: .patch,
                        path: held.grantPath,
                        body: patch,
                        token: held.continuation
                    )
                    let token = try #require(bound.json["access_token"] as? [String: Any], "\(bound.json)")
                    #expect(token["flags"] == nil, "\(token)")
                }
            }
        )
    }

    /// `allow_unknown_clients` turned off: the grant alice approved for an unregistered key is neither rotated nor
    /// continued, as the key's new request is refused.
    @Test func aGrantOfAnUnregisteredKeyEndsWhenUnknownClientsAreTurnedOff() async throws {
        let box = Box()
        let stranger = stranger
        try await withRestart(
            { database in
                try await run(database, allowedAccess: []) { client, app in
                    let pending = try await request(client, app, stranger, as: .value(GNAPClientInstance(key: stranger.key)), ["photos"])
                    let cont = try #require(pending.json["continue"] as? [String: Any], "\(pending.json)")
                    let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], app)
                    let grantID = String(grantPath.split(separator: "/").last ?? "")
                    #expect(try await app.engine.gnap.decide(grantID: grantID, approve: true, subject: "alice"))
                    let held = Held(
                        grantPath: grantPath,
                        continuation: try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
                    )
                    box.held.append(try Self.held(try await renew(client, app, stranger, held, rotation: false), app))
                }
            },
            { database in
                try await run(database, allowedAccess: [], unknownClients: false) { client, app in
                    let held = box.held[0]
                    let fresh = try await request(client, app, stranger, as: .value(GNAPClientInstance(key: stranger.key)), ["photos"])
                    #expect(GNAPEndpointTests.errorCode(fresh.json) == GNAPError.Code.invalidClient.rawValue, "\(fresh.json)")
                    Self.expectRefused(try await renew(client, app, stranger, held, rotation: true), .invalidRotation)
                    Self.expectRefused(try await renew(client, app, stranger, held, rotation: false), .invalidContinuation)
                }
            }
        )
    }
}
