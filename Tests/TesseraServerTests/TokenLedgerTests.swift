// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
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

/// Issue 19 item 3, "one ledger answers": the same token gets the same answer through every door —
/// OAuth introspection (RFC 7662, RFC 9396 §9.2, RFC 9449 §6.2), GNAP introspection (RFC 9767 §3.3)
/// and token exchange (RFC 8693 §2.1) — whichever door issued it.
@Suite struct TokenLedgerTests {
    static let secret = TestClients.secret
    static let backup = "https://backup.example/"
    static let exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    static let readBackup = GNAPAccessObject(type: "backup-api", actions: ["read"], locations: [backup])
    let clock = TestClock()
    let agentKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()
    let dpop = DPoPProofSigner()

    /// One token per way of issuing it, over both doors.
    enum Issued: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case oauthClientCredentials, oauthRichAuthorization, oauthDPoP, gnapObject, gnapReference, gnapBearer
        var testDescription: String { rawValue }
        var isGNAP: Bool { rawValue.hasPrefix("gnap") }
        /// RFC 7662 `token_type` from the binding: DPoP (RFC 9449 §6.2), GNAP key (RFC 9635 §7.2) or none.
        var tokenType: String {
            switch self {
            case .oauthDPoP: "DPoP"
            case .gnapObject, .gnapReference: "GNAP"
            case .oauthClientCredentials, .oauthRichAuthorization, .gnapBearer: "Bearer"
            }
        }
    }

    func app() async throws -> TesseraApplication {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            // One resource server, registered at both doors for the same audiences.
            let issuer = "https://as.ledger.example"
            configuration.issuer = issuer
            var resourceServer = ClientDefinition(
                id: "rs-backup",
                auth: "client_secret_basic",
                secret: Self.secret,
                grantTypes: ["client_credentials"],
                scopes: ""
            )
            resourceServer.introspectionAudiences = [Self.backup, issuer]
            // An OAuth client that happens to share its name with the GNAP instance.
            let namesake = ClientDefinition(
                id: "agent-1",
                auth: "client_secret_basic",
                secret: Self.secret,
                grantTypes: ["client_credentials", Self.exchange],
                scopes: "read"
            )
            configuration.clients = TestClients.definitions + [resourceServer, namesake]
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "backup-api")]
            configuration.gnap.instances = [
                .init(id: "agent-1", key: agent.key, displayName: "Agent", allowedAccess: ["backup-api", "metrics"], allowBearer: true)
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: [Self.backup, issuer])]
        }
    }

    struct Token {
        var value: String
        /// How to revoke it at its own door.
        var revoke: @Sendable (any TestClientProtocol) async throws -> Void
    }

    static func form(
        _ client: any TestClientProtocol,
        _ path: String,
        _ form: [(String, String)],
        id: String = TestClients.secretClientID,
        dpop: String? = nil
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        var headers = HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: id, secret: secret))
        if let dpop { headers.append(HTTPField(name: HTTPField.Name("DPoP")!, value: dpop)) }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: FormParameters(form).encoded))
        { response in
            (response.status, response.body.readableBytes == 0 ? [:] : try HTTPHelpers.json(response.body))
        }
    }

    func issue(_ kind: Issued, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> Token {
        if kind.isGNAP {
            let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
            let request: GNAPTokenRequest =
                switch kind {
                case .gnapReference: .init(access: ["metrics"])
                case .gnapBearer: .init(access: [.object(Self.readBackup)], flags: ["bearer"])
                default: .init(access: [.object(Self.readBackup)])
                }
            let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(request))
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let token = try #require(grant.json["access_token"] as? [String: Any], "\(grant.json)")
            let manage = try #require(token["manage"] as? [String: Any])
            let path = String((manage["uri"] as? String ?? "").dropFirst(app.engine.configuration.issuer.count))
            let management = try #require((manage["access_token"] as? [String: Any])?["value"] as? String)
            return Token(value: try #require(token["value"] as? String)) { client in
                let answer = try await GNAPEndpointTests.send(client, app, agent, method: .delete, path: path, body: nil, token: management)
                #expect(answer.status == .noContent)
            }
        }
        var form = [("grant_type", "client_credentials"), ("resource", Self.backup)]
        var proof: String?
        switch kind {
        case .oauthRichAuthorization:
            form.append(("authorization_details", #"[{"type":"backup-api","actions":["read"],"locations":["https://backup.example/"]}]"#))
        case .oauthDPoP:
            form.append(("scope", "read"))
            proof = dpop.proof(method: "POST", uri: app.engine.configuration.tokenEndpoint, now: clock.now)
        default: form.append(("scope", "read"))
        }
        let (status, body) = try await Self.form(client, "/token", form, dpop: proof)
        #expect(status == .ok, "\(body)")
        let value = try #require(body["access_token"] as? String)
        return Token(value: value) { client in
            let (status, _) = try await Self.form(client, "/revoke", [("token", value)])
            #expect(status == .ok)
        }
    }

    /// RFC 7662 introspection by the resource server's OAuth identity.
    static func oauthIntrospect(
        _ client: any TestClientProtocol,
        _ token: String,
        as id: String = "rs-backup"
    ) async throws -> [String: Any] {
        let (status, body) = try await form(client, "/introspect", [("token", token)], id: id)
        #expect(status == .ok)
        return body
    }

    /// RFC 9767 §3.3 introspection by the same resource server's GNAP identity.
    func gnapIntrospect(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ token: String,
        proof: String? = nil,
        access: [GNAPAccessRight]? = nil
    )
        async throws -> [String: Any]
    {
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let request = GNAPIntrospectionRequest(accessToken: token, proof: proof, resourceServer: .instance("rs-1"), access: access)
        let answer = try await GNAPEndpointTests.send(
            client,
            app,
            rs,
            method: .post,
            path: "/gnap/introspect",
            body: try GNAPTestSigner.body(request)
        )
        #expect(answer.status == .ok)
        return answer.json
    }

    /// Rights as one set of canonical JSON texts: scope tokens and GNAP references as strings, RAR
    /// entries and GNAP access objects as objects (RFC 9635 §8, RFC 9396 §2).
    static func rights(_ items: [Any]) throws -> Set<String> {
        Set(
            try items.map { item in
                String(
                    decoding: try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .fragmentsAllowed]),
                    as: UTF8.self
                )
            }
        )
    }

    static func oauthRights(_ answer: [String: Any]) throws -> Set<String> {
        let scope = (answer["scope"] as? String)?.split(separator: " ").map(String.init) ?? []
        return try rights(scope + ((answer["authorization_details"] as? [Any]) ?? []))
    }

    /// The key a token is bound to, as a JWK thumbprint: `cnf.jkt` at OAuth, `key` at GNAP.
    static func gnapBinding(_ answer: [String: Any]) throws -> String? {
        switch answer["key"] {
        case let reference as String: return reference
        case let key as [String: Any]:
            let jwk = try JSONDecoder().decode(PublicJWK.self, from: try JSONSerialization.data(withJSONObject: try #require(key["jwk"])))
            return try jwk.thumbprint()
        default: return nil
        }
    }

    @Test(arguments: Issued.allCases) func theSameTokenGetsTheSameAnswerAtBothDoors(_ kind: Issued) async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let token = try await issue(kind, client, app)
            let oauth = try await Self.oauthIntrospect(client, token.value)
            let gnap = try await gnapIntrospect(client, app, token.value)
            #expect(oauth["active"] as? Bool == true, "\(oauth)")
            #expect(gnap["active"] as? Bool == true, "\(gnap)")
            #expect(oauth["sub"] as? String != nil)
            #expect(oauth["sub"] as? String == gnap["sub"] as? String)
            let gnapAudience = (gnap["aud"] as? [String]) ?? [(gnap["aud"] as? String) ?? ""]
            #expect(oauth["aud"] as? [String] == gnapAudience)
            #expect(oauth["exp"] as? Int != nil)
            #expect(oauth["exp"] as? Int == gnap["exp"] as? Int)
            #expect(oauth["iat"] as? Int == gnap["iat"] as? Int)

            // Rights: the GNAP door's `access` is the OAuth door's scope and authorization_details.
            let rights = try Self.oauthRights(oauth)
            #expect(!rights.isEmpty)
            #expect(rights == (try Self.rights((gnap["access"] as? [Any]) ?? [])))
            if kind != .oauthClientCredentials, kind != .oauthDPoP, kind != .gnapReference {
                #expect(oauth["authorization_details"] as? [Any] != nil, "GNAP object rights appear as authorization_details")
            }

            // Binding: one key at both doors, or none.
            #expect(oauth["token_type"] as? String == kind.tokenType)
            let jkt = (oauth["cnf"] as? [String: Any])?["jkt"] as? String
            #expect(jkt == (try Self.gnapBinding(gnap)))
            #expect((kind.tokenType == "Bearer") == (jkt == nil))
            #expect(((gnap["flags"] as? [String])?.contains("bearer") == true) == (kind.tokenType == "Bearer"))

            // Revoked at its own door: inactive at both.
            try await token.revoke(client)
            #expect(try await Self.oauthIntrospect(client, token.value) as NSDictionary == ["active": false] as NSDictionary)
            #expect(try await gnapIntrospect(client, app, token.value) as NSDictionary == ["active": false] as NSDictionary)
        }
    }

    @Test(arguments: Issued.allCases) func anExpiredTokenIsInactiveAtBothDoors(_ kind: Issued) async throws {
        let app = try await app()
        let clock = clock
        try await app.application.test(.router) { client in
            let token = try await issue(kind, client, app)
            #expect(try await Self.oauthIntrospect(client, token.value)["active"] as? Bool == true)
            clock.advance(by: 3601)
            #expect(try await Self.oauthIntrospect(client, token.value) as NSDictionary == ["active": false] as NSDictionary)
            #expect(try await gnapIntrospect(client, app, token.value) as NSDictionary == ["active": false] as NSDictionary)
        }
    }

    /// The GNAP door's own checks still apply to OAuth tokens (RFC 9767 §3.3): the stated proof
    /// method must be the token's, and the rights asked about must be held.
    @Test func gnapIntrospectionChecksProofAndAccessForOAuthTokens() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let bound = try await issue(.oauthDPoP, client, app)
            #expect(
                try await gnapIntrospect(client, app, bound.value, proof: "httpsig") as NSDictionary == ["active": false] as NSDictionary
            )
            #expect(try await gnapIntrospect(client, app, bound.value, proof: "dpop")["active"] as? Bool == true)
            #expect(try await gnapIntrospect(client, app, bound.value, access: ["read"])["active"] as? Bool == true)
            #expect(
                try await gnapIntrospect(client, app, bound.value, access: ["write"]) as NSDictionary == ["active": false] as NSDictionary
            )

            let rich = try await issue(.oauthRichAuthorization, client, app)
            let narrower = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["read"]))
            let wider = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["delete"]))
            #expect(try await gnapIntrospect(client, app, rich.value, access: [narrower])["active"] as? Bool == true)
            #expect(try await gnapIntrospect(client, app, rich.value, access: [wider]) as NSDictionary == ["active": false] as NSDictionary)
            // A bearer token has no proof method.
            #expect(
                try await gnapIntrospect(client, app, rich.value, proof: "httpsig") as NSDictionary == ["active": false] as NSDictionary
            )
        }
    }

    /// Attack: a stolen GNAP bearer token, presented for exchange by an OAuth client whose id happens
    /// to equal the GNAP instance's. The token's `client_id` names a GNAP instance, not an OAuth
    /// client, so the exchange is refused (RFC 8693 §2.2.2 `invalid_request`; identity chaining §5.3),
    /// and the namesake learns nothing at introspection either (RFC 7662 §4).
    @Test func aStolenGNAPTokenCannotBeExchangedByASameNamedOAuthClient() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let stolen = try await issue(.gnapBearer, client, app)
            let (status, body) = try await Self.form(
                client,
                "/token",
                [("grant_type", Self.exchange), ("subject_token", stolen.value), ("subject_token_type", Self.accessTokenType)],
                id: "agent-1"
            )
            #expect(status == .badRequest, "\(body)")
            #expect(body["error"] as? String == "invalid_request")
            #expect(body["access_token"] == nil)
            #expect(
                try await Self.oauthIntrospect(client, stolen.value, as: "agent-1") as NSDictionary == ["active": false] as NSDictionary
            )
            // Nor may it revoke the GNAP token (RFC 7009 §2.1): the token stays active for its RS.
            let (revokeStatus, revoked) = try await Self.form(client, "/revoke", [("token", stolen.value)], id: "agent-1")
            #expect(revokeStatus == .badRequest, "\(revoked)")
            #expect(revoked["error"] as? String == "unauthorized_client")
            #expect(try await gnapIntrospect(client, app, stolen.value)["active"] as? Bool == true)

            // Its own OAuth tokens are exchangeable by it: the refusal is about whose token it is, not the client.
            let (_, own) = try await Self.form(client, "/token", [("grant_type", "client_credentials"), ("scope", "read")], id: "agent-1")
            let ownToken = try #require(own["access_token"] as? String)
            let (ownStatus, exchanged) = try await Self.form(
                client,
                "/token",
                [("grant_type", Self.exchange), ("subject_token", ownToken), ("subject_token_type", Self.accessTokenType)],
                id: "agent-1"
            )
            #expect(ownStatus == .ok, "\(exchanged)")
        }
    }
}
