import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Review round 13, L9: a plain rich authorization type's rules (`authorization_details_types[].clients`, its allowed
/// and required members) hold at the GNAP door as at the OAuth door (RFC 9396 §5, RFC 9635 §8): for a request, a
/// modification and a resource server's derivation (RFC 9767 §4), and again at every continuation and rotation of an
/// approved grant, with the types as the operator configures them now. Only Cedar-profile objects were checked.
@Suite struct GNAPRichTypeRulesTests {
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let otherKey = Curve25519.Signing.PrivateKey()
    let strangerKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    static let api = "https://ledger.example/"
    static let ledger = GNAPAccessRight.object(GNAPAccessObject(type: "ledger", actions: ["read"], locations: [api]))
    /// `datatypes` is not among the type's `allowed_members`.
    static let ledgerEverything = GNAPAccessRight.object(
        GNAPAccessObject(type: "ledger", actions: ["read"], locations: [api], datatypes: ["everything"])
    )

    var agent: GNAPTestSigner { GNAPTestSigner(kid: "agent", privateKey: agentKey, now: clock.closure) }
    var other: GNAPTestSigner { GNAPTestSigner(kid: "other", privateKey: otherKey, now: clock.closure) }
    var stranger: GNAPTestSigner { GNAPTestSigner(kid: "stranger", privateKey: strangerKey, now: clock.closure) }
    var rs: GNAPTestSigner { GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure) }

    /// Values carried from one run of the server to the next.
    final class Box: @unchecked Sendable { var held: [GNAPRegistrationNarrowingTests.Held] = [] }

    /// One run of Tessera on `database`: type `ledger` (members `actions`, `locations`) restricted to `clients`;
    /// instances `agent` and `other`, resource server `rs-1`, unregistered keys allowed.
    func run(
        _ database: String? = nil,
        clients: [String],
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let (agent, other, rs) = (agent, other, rs)
        let app = try await TestServer.build(now: clock.closure) { configuration in
            if let database { configuration.database = database }
            configuration.gnap.continuationWait = 0
            configuration.gnap.allowUnknownClients = true
            configuration.gnap.instances = [
                .init(id: "agent", key: agent.key, displayName: "Agent", allowedAccess: []),
                .init(id: "other", key: other.key, displayName: "Other", allowedAccess: []),
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.api])]
            configuration.authorizationDetailsTypes = [
                AuthorizationDetailsTypeDefinition(type: "ledger", allowedMembers: ["actions", "locations"], clients: clients)
            ]
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    /// `signer` asks for one token for `access`, as `reference`.
    func request(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ signer: GNAPTestSigner,
        as reference: GNAPClientReference,
        _ access: [GNAPAccessRight]
    ) async throws -> GNAPEndpointTests.Exchange {
        let body = try GNAPEndpointTests.grantBody(client: reference, tokens: .single(.init(access: access)))
        return try await GNAPEndpointTests.send(client, app, signer, method: .post, path: "/gnap", body: body)
    }

    /// `agent` asks for `ledger`, alice approves out of band, and the continuation issues the token.
    func approvedLedger(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication
    ) async throws -> (
        GNAPRegistrationNarrowingTests.Held, String
    ) {
        let pending = try await request(client, app, agent, as: .instance("agent"), [Self.ledger])
        let cont = try #require(pending.json["continue"] as? [String: Any], "\(pending.json)")
        let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], app)
        let grantID = String(grantPath.split(separator: "/").last ?? "")
        #expect(try await app.engine.gnap.decide(grantID: grantID, approve: true, subject: "alice"))
        clock.advance(by: 1)
        let continuation = try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
        let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: grantPath, body: nil, token: continuation)
        let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
        return (try GNAPRegistrationNarrowingTests.held(answer, app), try #require(token["value"] as? String))
    }

    /// `agent` continues (`POST`, no body) the grant of `held` or rotates its token.
    func renew(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ held: GNAPRegistrationNarrowingTests.Held,
        rotation: Bool
    ) async throws -> GNAPEndpointTests.Exchange {
        clock.advance(by: 1)
        let (path, token) = rotation ? (held.managePath, held.manageToken) : (held.grantPath, held.continuation)
        return try await GNAPEndpointTests.send(client, app, agent, method: .post, path: path, body: nil, token: token)
    }

    static func expectInvalidRequest(_ answer: GNAPEndpointTests.Exchange) {
        #expect(GNAPEndpointTests.errorCode(answer.json) == GNAPError.Code.invalidRequest.rawValue, "\(answer.json)")
        #expect(answer.json["continue"] == nil && answer.json["access_token"] == nil, "\(answer.json)")
    }

    /// `ledger` is `agent`'s: another instance and an unregistered key (as an object, or a reference naming the type)
    /// are refused, and so is `agent` asking for a member the type does not allow, in a request or a modification.
    @Test func aRestrictedTypeIsRefusedToEveryClientItDoesNotName() async throws {
        let stranger = stranger
        try await run(clients: ["agent"]) { client, app in
            Self.expectInvalidRequest(try await request(client, app, other, as: .instance("other"), [Self.ledger]))
            let key = GNAPClientReference.value(GNAPClientInstance(key: stranger.key))
            Self.expectInvalidRequest(try await request(client, app, stranger, as: key, [Self.ledger]))
            Self.expectInvalidRequest(try await request(client, app, stranger, as: key, [.reference("ledger")]))
            Self.expectInvalidRequest(try await request(client, app, agent, as: .instance("agent"), [Self.ledgerEverything]))

            let pending = try await request(client, app, agent, as: .instance("agent"), [Self.ledger])
            let cont = try #require(pending.json["continue"] as? [String: Any], "\(pending.json)")
            let patch = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: [Self.ledgerEverything]))))
            let continuation = try #require(GNAPRotationSubjectTests.tokenValue(cont["access_token"]))
            let widened = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .patch,
                path: try GNAPRotationSubjectTests.path(cont["uri"], app),
                body: patch,
                token: continuation
            )
            Self.expectInvalidRequest(widened)
        }
    }

    /// The operator gives `ledger` to another client and restarts: alice's approved grant of `agent` is neither
    /// rotated nor continued (`request_denied`), and a new request for it is refused.
    @Test func aTypeTakenFromTheInstanceEndsItsApprovedGrants() async throws {
        let box = Box()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-l9-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await run("sqlite:" + path, clients: ["agent"]) { client, app in
            box.held.append(try await approvedLedger(client, app).0)
            box.held.append(try await approvedLedger(client, app).0)
        }
        try await run("sqlite:" + path, clients: ["someone-else"]) { client, app in
            let (rotated, continued) = (box.held[0], box.held[1])
            GNAPRegistrationNarrowingTests.expectRefused(
                try await renew(client, app, rotated, rotation: true),
                .requestDenied
            )
            GNAPRegistrationNarrowingTests.expectRefused(
                try await renew(client, app, continued, rotation: false),
                .requestDenied
            )
            Self.expectInvalidRequest(try await request(client, app, agent, as: .instance("agent"), [Self.ledger]))
        }
    }

    /// A resource server derives no token of a type it may not hold from `agent`'s token (RFC 9767 §4), as a token
    /// exchange by another client is refused it (review round 11, J13).
    @Test func aResourceServerDerivesNoTypeItMayNotHold() async throws {
        let rs = rs
        try await run(clients: ["agent"]) { client, app in
            let (_, value) = try await approvedLedger(client, app)
            let request = GNAPGrantRequest(
                accessToken: .single(GNAPTokenRequest(access: [Self.ledger])),
                client: .instance("rs-1"),
                existingAccessToken: value
            )
            let derived = try await GNAPEndpointTests.send(
                client,
                app,
                rs,
                method: .post,
                path: "/gnap",
                body: try GNAPTestSigner.body(request)
            )
            Self.expectInvalidRequest(derived)
        }
    }
}
