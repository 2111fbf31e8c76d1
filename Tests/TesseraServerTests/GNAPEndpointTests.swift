import Crypto
import Foundation
import HTTPMessageSignatures
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// GNAP grant, continuation and token management through the real routes, signed with httpsig.
@Suite struct GNAPEndpointTests {
    let clock = TestClock()
    let registeredKey = Curve25519.Signing.PrivateKey()
    let rsKey = Curve25519.Signing.PrivateKey()

    func app() async throws -> TesseraApplication {
        let registered = GNAPTestSigner(kid: "agent-1", privateKey: registeredKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        return try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.continuationWait = 5
            configuration.gnap.instances = [
                .init(
                    id: "agent-1",
                    key: registered.key,
                    displayName: "Backup agent",
                    allowedAccess: ["backup-api", "metrics"],
                    allowBearer: true
                )
            ]
            configuration.gnap.resourceServers = [.init(id: "rs-1", key: rs.key, audiences: ["https://backup.example/"])]
        }
    }

    struct Exchange {
        let status: HTTPResponse.Status
        let json: [String: Any]
    }

    static func send(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ signer: GNAPTestSigner?,
        method: HTTPRequest.Method,
        path: String,
        body: [UInt8]?,
        token: String? = nil,
        configure: @escaping (inout HTTPMessageSigner.Configuration) -> Void = { _ in }
    ) async throws -> Exchange {
        var headers = HTTPFields()
        if let signer {
            headers = try signer.headers(
                method: method.rawValue,
                url: app.engine.configuration.issuer + path,
                body: body,
                token: token,
                configure: configure
            )
        } else if body != nil {
            headers[.contentType] = "application/json"
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
            let json = response.body.readableBytes == 0 ? [:] : (try? HTTPHelpers.json(response.body)) ?? [:]
            return Exchange(status: response.status, json: json)
        }
    }

    /// An RS-facing introspection call signed with the resource server's key (RFC 9767 §3.3).
    static func introspect(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication,
        _ rs: GNAPTestSigner,
        _ candidate: String,
        _ access: [GNAPAccessRight]?
    ) async throws -> Exchange {
        let request = GNAPIntrospectionRequest(accessToken: candidate, proof: "httpsig", resourceServer: .instance("rs-1"), access: access)
        return try await send(client, app, rs, method: .post, path: "/gnap/introspect", body: try GNAPTestSigner.body(request))
    }

    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    static func grantBody(client: GNAPClientReference, tokens: GNAPTokenRequests, subject: GNAPSubjectRequest? = nil) throws -> [UInt8] {
        try GNAPTestSigner.body(GNAPGrantRequest(accessToken: tokens, subject: subject, client: client))
    }

    static let backupRead = GNAPAccessRight.object(
        GNAPAccessObject(type: "backup-api", actions: ["read"], locations: ["https://backup.example/"])
    )

    @Test func registeredInstanceGetsTwoBoundTokensAtOnce() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: registeredKey, now: clock.closure)
        let body = try Self.grantBody(
            client: .instance("agent-1"),
            tokens: .multiple([.init(access: [Self.backupRead], label: "backup"), .init(access: ["metrics"], label: "metrics")])
        )
        try await app.application.test(.router) { client in
            let answer = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(answer.status == .ok)
            let tokens = try #require(answer.json["access_token"] as? [[String: Any]])
            #expect(tokens.map { $0["label"] as? String } == ["backup", "metrics"])
            let value = try #require(tokens[0]["value"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: value).payload)
            #expect(claims.cnf?.jkt == (try signer.key.jwk?.thumbprint()))
            #expect(claims.aud.values == ["https://backup.example/"])
            #expect(tokens[0]["manage"] is [String: Any])
            #expect(answer.json["continue"] is [String: Any])
        }
    }

    @Test func unknownClientWaitsForTheResourceOwnerThenPollsTokens() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        let body = try Self.grantBody(
            client: .value(GNAPClientInstance(key: signer.key)),
            tokens: .single(.init(access: [Self.backupRead])),
            subject: GNAPSubjectRequest(subIDFormats: ["opaque", "iss_sub"])
        )
        try await app.application.test(.router) { client in
            let first = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            #expect(first.status == .ok)
            #expect(first.json["access_token"] == nil)
            let cont = try #require(first.json["continue"] as? [String: Any])
            let uri = try #require(cont["uri"] as? String)
            let path = String(uri.dropFirst(app.engine.configuration.issuer.count))
            var token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)

            let early = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            #expect(Self.errorCode(early.json) == "too_fast")

            clock.advance(by: 6)
            let polled = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            #expect(polled.status == .ok)
            #expect(polled.json["access_token"] == nil)
            let oldToken = token
            token = try #require(((polled.json["continue"] as? [String: Any])?["access_token"] as? [String: Any])?["value"] as? String)

            let grantID = String(path.split(separator: "/").last ?? "")
            #expect(try await app.engine.gnap.decide(grantID: grantID, approve: true, subject: "alice"))
            clock.advance(by: 6)
            let reused = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: oldToken)
            #expect(Self.errorCode(reused.json) == "invalid_continuation")
            let approved = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            #expect(approved.status == .ok)
            let issued = try #require(approved.json["access_token"] as? [String: Any])
            let claims = try JSONDecoder().decode(
                AccessTokenClaims.self,
                from: try CompactJWS(parsing: issued["value"] as? String ?? "").payload
            )
            #expect(claims.sub == "alice")
            let subIDs = (approved.json["subject"] as? [String: Any])?["sub_ids"] as? [[String: Any]]
            #expect(subIDs?.first?["id"] as? String == "alice")
        }
    }

    @Test func deniedGrantsAnswerUserDeniedAndRevokedGrantsAreGone() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        let body = try Self.grantBody(client: .value(GNAPClientInstance(key: signer.key)), tokens: .single(.init(access: ["photos"])))
        try await app.application.test(.router) { client in
            let first = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            let cont = try #require(first.json["continue"] as? [String: Any])
            let path = String((cont["uri"] as? String ?? "").dropFirst(app.engine.configuration.issuer.count))
            let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
            #expect(try await app.engine.gnap.decide(grantID: String(path.split(separator: "/").last ?? ""), approve: false, subject: nil))
            clock.advance(by: 6)
            let denied = try await Self.send(client, app, signer, method: .post, path: path, body: nil, token: token)
            #expect(denied.status == .forbidden)
            #expect(Self.errorCode(denied.json) == "user_denied")

            let second = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            let cont2 = try #require(second.json["continue"] as? [String: Any])
            let path2 = String((cont2["uri"] as? String ?? "").dropFirst(app.engine.configuration.issuer.count))
            let token2 = try #require((cont2["access_token"] as? [String: Any])?["value"] as? String)
            let deleted = try await Self.send(client, app, signer, method: .delete, path: path2, body: nil, token: token2)
            #expect(deleted.status == .noContent)
            let after = try await Self.send(client, app, signer, method: .post, path: path2, body: nil, token: token2)
            #expect(Self.errorCode(after.json) == "invalid_continuation")
        }
    }

    @Test func tokensRotateAndRevokeThroughTheirManagementURI() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(kid: "agent-1", privateKey: registeredKey, now: clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let body = try Self.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [Self.backupRead])))
        try await app.application.test(.router) { client in
            let grant = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
            let token = try #require(grant.json["access_token"] as? [String: Any])
            let value = try #require(token["value"] as? String)
            let manage = try #require(token["manage"] as? [String: Any])
            let managePath = String((manage["uri"] as? String ?? "").dropFirst(app.engine.configuration.issuer.count))
            let manageToken = try #require((manage["access_token"] as? [String: Any])?["value"] as? String)

            let active = try await Self.introspect(client, app, rs, value, nil)
            #expect(active.json["active"] as? Bool == true)
            #expect((active.json["key"] as? [String: Any])?["proof"] as? String == "httpsig")
            #expect(active.json["iss"] as? String == app.engine.configuration.issuer + "/gnap")
            let wider = GNAPAccessRight.object(GNAPAccessObject(type: "backup-api", actions: ["delete"]))
            #expect(try await Self.introspect(client, app, rs, value, [wider]).json as NSDictionary == ["active": false] as NSDictionary)

            let rotated = try await Self.send(client, app, signer, method: .post, path: managePath, body: nil, token: manageToken)
            #expect(rotated.status == .ok)
            let newToken = try #require(rotated.json["access_token"] as? [String: Any])
            let newValue = try #require(newToken["value"] as? String)
            #expect(newValue != value)
            #expect(try await Self.introspect(client, app, rs, value, nil).json["active"] as? Bool == false)
            #expect(try await Self.introspect(client, app, rs, newValue, nil).json["active"] as? Bool == true)
            let replayedManagement = try await Self.send(
                client,
                app,
                signer,
                method: .post,
                path: managePath,
                body: nil,
                token: manageToken
            )
            #expect(Self.errorCode(replayedManagement.json) == "invalid_rotation")

            let newManage = try #require(((newToken["manage"] as? [String: Any])?["access_token"] as? [String: Any])?["value"] as? String)
            let revoked = try await Self.send(client, app, signer, method: .delete, path: managePath, body: nil, token: newManage)
            #expect(revoked.status == .noContent)
            #expect(try await Self.introspect(client, app, rs, newValue, nil).json["active"] as? Bool == false)
            // Continuation tokens are never active at the RS (RFC 9767 §2.1.14).
            let continuation = ((grant.json["continue"] as? [String: Any])?["access_token"] as? [String: Any])?["value"] as? String ?? ""
            #expect(try await Self.introspect(client, app, rs, continuation, nil).json["active"] as? Bool == false)
        }
    }

    @Test func keyProofAttacksAreRefused() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        let impostor = GNAPTestSigner(kid: signer.kid, now: clock.closure)
        let body = try Self.grantBody(client: .value(GNAPClientInstance(key: signer.key)), tokens: .single(.init(access: ["photos"])))
        try await app.application.test(.router) { client in
            let unsigned = try await Self.send(client, app, nil, method: .post, path: "/gnap", body: body)
            #expect(unsigned.status == .unauthorized)
            #expect(Self.errorCode(unsigned.json) == "invalid_client")

            let wrongKey = try await Self.send(client, app, impostor, method: .post, path: "/gnap", body: body)
            #expect(Self.errorCode(wrongKey.json) == "invalid_client")

            let fixedNonce = { (configuration: inout HTTPMessageSigner.Configuration) in configuration.nonce = { "same-nonce-123" } }
            let once = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body, configure: fixedNonce)
            #expect(once.status == .ok)
            let replay = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body, configure: fixedNonce)
            #expect(Self.errorCode(replay.json) == "invalid_client")

            let stale = GNAPTestSigner(privateKey: signer.privateKey, now: { Fixtures.epoch.addingTimeInterval(-600) })
            let old = try await Self.send(client, app, stale, method: .post, path: "/gnap", body: body)
            #expect(Self.errorCode(old.json) == "invalid_client")
        }
    }

    @Test func malformedRequestsGetGNAPErrors() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        let registered = GNAPTestSigner(kid: "agent-1", privateKey: registeredKey, now: clock.closure)
        let key = GNAPClientReference.value(GNAPClientInstance(key: signer.key))
        let duplicateLabels = try Self.grantBody(
            client: key,
            tokens: .multiple([.init(access: ["a"], label: "x"), .init(access: ["b"], label: "x")])
        )
        let duplicateFlag = try Self.grantBody(client: key, tokens: .single(.init(access: ["a"], flags: ["bearer", "bearer"])))
        let bearerNotAllowed = try Self.grantBody(client: key, tokens: .single(.init(access: ["a"], flags: ["bearer"])))
        let noClient = try GNAPTestSigner.body(GNAPGrantRequest(accessToken: .single(.init(access: ["a"]))))
        let unknownInstance = try Self.grantBody(client: .instance("nobody"), tokens: .single(.init(access: ["a"])))
        let cases: [(String, [UInt8], GNAPTestSigner, String)] = [
            ("not JSON", Array("{nope".utf8), signer, "invalid_request"),
            ("duplicate labels", duplicateLabels, signer, "invalid_request"),
            ("duplicate flag", duplicateFlag, signer, "invalid_flag"),
            ("bearer not allowed", bearerNotAllowed, signer, "invalid_flag"),
            ("no client", noClient, signer, "invalid_request"),
            ("unknown instance", unknownInstance, registered, "invalid_client"),
        ]
        try await app.application.test(.router) { client in
            for (name, body, who, code) in cases {
                let answer = try await Self.send(client, app, who, method: .post, path: "/gnap", body: body)
                #expect(Self.errorCode(answer.json) == code, "\(name)")
                #expect(answer.status.code < 500, "\(name)")
            }
            let discovery = try await client.execute(uri: "/gnap", method: .options) { try HTTPHelpers.json($0.body) }
            #expect(discovery["key_proofs_supported"] as? [String] == ["httpsig", "jwsd", "jws"])
            let unknownRS = GNAPIntrospectionRequest(accessToken: "x", proof: nil, resourceServer: .instance("ghost"))
            let refused = try await Self.send(
                client,
                app,
                signer,
                method: .post,
                path: "/gnap/introspect",
                body: try GNAPTestSigner.body(unknownRS)
            )
            #expect(Self.errorCode(refused.json) == "invalid_resource_server")
        }
    }
}
