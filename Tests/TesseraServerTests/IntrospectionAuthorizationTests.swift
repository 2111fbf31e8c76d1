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

/// Issue 18 item 7: the AS authorizes the introspecting caller (RFC 7662 §4). Only the token's own
/// client or a resource server registered for one of its audiences learns what a token carries;
/// anyone else gets `{"active": false}` — for OAuth and GNAP tokens alike, at both introspection endpoints.
@Suite struct IntrospectionAuthorizationTests {
    static let secret = TestClients.secret
    static let backup = "https://backup.example/"
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()
    let otherRSKey = Curve25519.Signing.PrivateKey()

    func app() async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let otherRS = GNAPTestSigner(kid: "rs-2", privateKey: otherRSKey, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            var resourceServer = ClientDefinition(
                id: "rs-backup",
                auth: "client_secret_basic",
                secret: Self.secret,
                grantTypes: ["client_credentials"],
                scopes: ""
            )
            resourceServer.introspectionAudiences = [Self.backup]
            configuration.clients =
                TestClients.definitions + [
                    ClientDefinition(
                        id: "nosy",
                        auth: "client_secret_basic",
                        secret: Self.secret,
                        grantTypes: ["client_credentials"],
                        scopes: "read"
                    ),
                    resourceServer,
                ]
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["backup-api"], allowBearer: false)
            ]
            configuration.gnap.resourceServers = [
                .init(id: "rs-1", key: rs.key, audiences: [Self.backup]),
                .init(id: "rs-2", key: otherRS.key, audiences: ["https://photos.example/"]),
            ]
        }
    }

    static func introspect(_ client: any TestClientProtocol, _ token: String, as id: String) async throws -> [String: Any] {
        try await client.execute(
            uri: "/introspect",
            method: .post,
            headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: id, secret: secret)),
            body: ByteBuffer(string: FormParameters([("token", token)]).encoded)
        ) { response in
            #expect(response.status == .ok)
            return try HTTPHelpers.json(response.body)
        }
    }

    static func oauthToken(_ client: any TestClientProtocol, resource: String? = nil) async throws -> String {
        var form = [("grant_type", "client_credentials"), ("scope", "read")]
        if let resource { form.append(("resource", resource)) }
        return try await client.execute(
            uri: "/token",
            method: .post,
            headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization()),
            body: ByteBuffer(string: FormParameters(form).encoded)
        ) { response in try #require(try HTTPHelpers.json(response.body)["access_token"] as? String) }
    }

    @Test func anotherClientLearnsNothingFromAnOAuthToken() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let token = try await Self.oauthToken(client, resource: Self.backup)
            let nosy = try await Self.introspect(client, token, as: "nosy")
            #expect(nosy as NSDictionary == ["active": false] as NSDictionary)
            // The token's own client, and the resource server registered for its audience, do.
            let own = try await Self.introspect(client, token, as: TestClients.secretClientID)
            #expect(own["active"] as? Bool == true)
            let rs = try await Self.introspect(client, token, as: "rs-backup")
            #expect(rs["active"] as? Bool == true)
            #expect(rs["sub"] as? String == TestClients.secretClientID)
            // That resource server learns nothing about a token for another audience.
            let elsewhere = try await Self.oauthToken(client, resource: "https://photos.example/")
            #expect(try await Self.introspect(client, elsewhere, as: "rs-backup") as NSDictionary == ["active": false] as NSDictionary)
        }
    }

    @Test func aGNAPTokenIsOnlyIntrospectedByItsResourceServer() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let otherRS = GNAPTestSigner(kid: "rs-2", privateKey: otherRSKey, now: clock.closure)
        let read = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["read"], locations: [Self.backup]))
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [read])))
        try await app.application.test(.router) { client in
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let value = try #require((grant.json["access_token"] as? [String: Any])?["value"] as? String)

            // OAuth introspection by an unrelated confidential client.
            #expect(try await Self.introspect(client, value, as: "nosy") as NSDictionary == ["active": false] as NSDictionary)
            #expect(
                try await Self.introspect(client, value, as: TestClients.secretClientID) as NSDictionary == ["active": false]
                    as NSDictionary
            )
            #expect(try await Self.introspect(client, value, as: "rs-backup")["active"] as? Bool == true)

            // GNAP introspection (RFC 9767 §3.3) by a resource server of another audience.
            func gnapIntrospect(_ signer: GNAPTestSigner, _ id: String) async throws -> [String: Any] {
                let request = GNAPIntrospectionRequest(accessToken: value, proof: "httpsig", resourceServer: .instance(id), access: nil)
                return try await GNAPEndpointTests.send(
                    client,
                    app,
                    signer,
                    method: .post,
                    path: "/gnap/introspect",
                    body: try GNAPTestSigner.body(request)
                ).json
            }
            #expect(try await gnapIntrospect(otherRS, "rs-2") as NSDictionary == ["active": false] as NSDictionary)
            #expect(try await gnapIntrospect(rs, "rs-1")["active"] as? Bool == true)
        }
    }
}

/// The OAuth door's twin of RFC 9767 §3.3's filter: a resource server introspecting at `/introspect` is shown only the
/// `authorization_details` entries meant for it (no `locations`, or one of its `introspection_audiences`); another
/// RS's entries are not its business (RFC 9396 §9.1). The token's own client still sees every entry.
extension IntrospectionAuthorizationTests {
    @Test func aResourceServerIsShownOnlyTheEntriesMeantForIt() async throws {
        let photos = "https://photos.example/"
        let app = try await TestServer.build(now: clock.closure) { configuration in
            var backupRS = ClientDefinition(
                id: "rs-backup",
                auth: "client_secret_basic",
                secret: Self.secret,
                grantTypes: ["client_credentials"],
                scopes: ""
            )
            backupRS.introspectionAudiences = [Self.backup]
            configuration.clients = TestClients.definitions + [backupRS]
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files")]
        }
        try await app.application.test(.router) { client in
            let details =
                #"[{"type":"files","actions":["read"],"locations":["\#(Self.backup)"]},"#
                + #"{"type":"files","actions":["delete"],"locations":["\#(photos)"]},{"type":"files","actions":["list"]}]"#
            let issued = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=client_credentials&scope=read&authorization_details=\(FormParameters.encode(details))"
            )
            #expect(issued.0 == .ok, "\(issued.1)")
            let token = try #require(issued.1["access_token"] as? String)
            let seenByRS = try await Self.introspect(client, token, as: "rs-backup")
            #expect(seenByRS["active"] as? Bool == true, "\(seenByRS)")
            let actions = (seenByRS["authorization_details"] as? [[String: Any]] ?? []).compactMap { ($0["actions"] as? [String])?.first }
            #expect(actions.sorted() == ["list", "read"], "\(seenByRS)")
            let seenByHolder = try await Self.introspect(client, token, as: TestClients.secretClientID)
            #expect((seenByHolder["authorization_details"] as? [Any])?.count == 3, "\(seenByHolder)")
        }
    }
}
