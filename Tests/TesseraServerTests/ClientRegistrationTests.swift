import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Dynamic client registration (RFC 7591) and its management (RFC 7592) through the real routes:
/// every metadata rule and error code, the registration access token, the per-address limit,
/// initial access tokens, loopback ports for native clients (RFC 8252 §7.3), and a registered
/// client completing the authorization code flow.
@Suite struct ClientRegistrationTests {
    typealias Flow = AuthorizationCodeFlowTests
    static var native: [String: Any] {
        [
            "client_name": "Desk <b>Agent</b>",
            "application_type": "native",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "read",
        ]
    }
    let clock = TestClock()

    func withApp(
        mode: ClientRegistrationConfiguration.Mode = .open,
        attempts: Int = 100,
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            configuration.registration.mode = mode
            configuration.registration.allowedScopes = ["read", "profile"]
            configuration.registration.allowedGrantTypes = [.authorizationCode, .refreshToken, .clientCredentials]
            configuration.registration.attemptsPerAddress = attempts
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    struct Answer: @unchecked Sendable {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var headers: HTTPFields
        var error: String? { json["error"] as? String }
    }

    static func send(
        _ client: any TestClientProtocol,
        _ uri: String = "/register",
        method: HTTPRequest.Method = .post,
        json: Any? = nil,
        raw: String? = nil,
        bearer: String? = nil
    ) async throws -> Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = ByteBuffer(string: raw) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            let data = Data(response.body.readableBytesView)
            let object = data.isEmpty ? [:] : (try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
            return Answer(status: response.status, json: object, headers: response.headers)
        }
    }

    static func with(_ changes: [String: Any?], base: [String: Any] = native) -> [String: Any] {
        var metadata = base
        for (key, value) in changes { metadata[key] = value }
        return metadata
    }

    /// The path of a client's configuration endpoint.
    static func path(_ answer: Answer) throws -> String {
        let uri = try #require(answer.json["registration_client_uri"] as? String)
        return try #require(URLComponents(string: uri)?.path)
    }

    // MARK: - Metadata and the endpoint

    @Test func theEndpointAndItsMetadataExistOnlyWhenRegistrationIsOn() async throws {
        try await withApp(mode: .off) { client, _ in
            let document = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) {
                try HTTPHelpers.json($0.body)
            }
            #expect(document["registration_endpoint"] == nil)
            #expect(try await Self.send(client, json: Self.native).status == .notFound)
        }
        try await withApp { client, app in
            let document = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) {
                try HTTPHelpers.json($0.body)
            }
            #expect(document["registration_endpoint"] as? String == app.engine.configuration.issuer + "/register")
        }
    }

    // MARK: - Registration and the code flow

    /// RFC 7591 §3.2.1 response; the client then signs a person in from a loopback port it chose
    /// at run time (RFC 8252 §7.3) and redeems the code with its generated secret.
    @Test func aNativeClientRegistersAndCompletesTheCodeFlowFromAnyLoopbackPort() async throws {
        let clock = clock
        try await withApp { client, app in
            let registered = try await Self.send(client, json: Self.native)
            #expect(registered.status == .created)
            let json = registered.json
            let id = try #require(json["client_id"] as? String)
            let secret = try #require(json["client_secret"] as? String)
            #expect(json["client_secret_expires_at"] as? Int == 0)
            #expect(json["client_id_issued_at"] as? Int == Int(clock.now.timeIntervalSince1970))
            #expect(json["token_endpoint_auth_method"] as? String == "client_secret_basic")
            #expect(json["scope"] as? String == "read")
            #expect(json["redirect_uris"] as? [String] == ["http://127.0.0.1/callback"])
            #expect(registered.headers[.cacheControl] == "no-store")
            #expect((json["registration_access_token"] as? String)?.isEmpty == false)
            #expect(json["registration_client_uri"] as? String == app.engine.configuration.issuer + "/register/" + id)
            // Stored durably, marked as self-registered, the secret only as a hash.
            let record = try #require(try await app.engine.stores.clients.client(id: id))
            #expect(record.registration != nil && record.secretHash != nil && record.secretHash != secret)

            let browser = Flow.Browser(client)
            try await browser.signIn()
            let redirect = "http://127.0.0.1:49152/callback"
            let start = try await browser.request(Flow.authorizeURI(client: id, redirect: redirect, scope: "read"))
            let consentPath = try #require(start.location)
            let consent = try await browser.request(consentPath)
            #expect(consent.body.contains("“<bdi>Desk &lt;b&gt;Agent&lt;/b&gt;</bdi>”") && consent.body.contains("unverified"))
            #expect(consent.body.contains("dynamic registration"))
            let back = try await Flow.approve(browser, Flow.authorizeURI(client: id, redirect: redirect, scope: "read"))
            #expect(back.hasPrefix(redirect + "?"))
            let code = try #require(Flow.query(back)["code"])
            let (status, token) = try await Flow.redeem(
                client,
                code: code,
                redirect: redirect,
                auth: TestClients.basicAuthorization(id: id, secret: secret),
                clientID: id
            )
            #expect(status == .ok)
            #expect(token["scope"] as? String == "read" && token["refresh_token"] != nil)
        }
    }

    /// RFC 8252 §7.3's port freedom is for loopback IP URIs of native clients: not another path,
    /// host or scheme. The same rule serves operator-registered public clients
    /// (`LoopbackRedirectPortTests`); a self-registered `web` client is exact.
    @Test func onlyTheLoopbackPortIsFreeAndOnlyForNativeClients() async throws {
        try await withApp { client, _ in
            let registered = try await Self.send(client, json: Self.native)
            let id = try #require(registered.json["client_id"] as? String)
            let browser = Flow.Browser(client)
            try await browser.signIn()
            for wrong in [
                "http://127.0.0.1:49152/other", "http://localhost:49152/callback", "https://127.0.0.1:49152/callback",
                "http://127.0.0.1:49152/callback?x=1", "http://127.0.0.2:49152/callback",
            ] {
                let page = try await browser.request(Flow.authorizeURI(client: id, redirect: wrong, scope: "read"))
                #expect(page.status == .badRequest && page.location == nil, "\(wrong)")
            }
            // An operator's public client registered http://127.0.0.1:9000/cb: the same rule, one rule.
            let page = try await browser.request(Flow.authorizeURI(client: Flow.spa, redirect: "http://127.0.0.1:9001/cb", scope: "read"))
            #expect(page.status == .seeOther && page.location?.hasPrefix("/authorize/") == true)
        }
    }

    // MARK: - Rules (RFC 7591 §2, §3.2.2)

    @Test(
        arguments: [
            ("web", ["https://app.example/cb#frag"]),
            ("native", ["http://app.example/cb"]),
            ("web", ["http://127.0.0.1/cb"]),
            ("native", ["javascript:alert(1)"]),
            ("native", ["com.example.app:/cb"]),
            ("web", ["https://user@app.example/cb"]),
            ("web", ["/relative/cb"]),
            ("native", []),
            ("native", nil),
        ] as [(String, [String]?)]
    )
    func aRedirectURIOutsideTheRulesIsInvalidRedirectURI(_ applicationType: String, _ uris: [String]?) async throws {
        try await withApp { client, app in
            let answer = try await Self.send(client, json: Self.with(["application_type": applicationType, "redirect_uris": uris]))
            #expect(answer.status == .badRequest)
            #expect(answer.error == "invalid_redirect_uri", "\(uris ?? []): \(answer.json)")
            #expect((answer.json["error_description"] as? String)?.isEmpty == false)
            #expect(try await app.engine.stores.clients.all().allSatisfy { $0.registration == nil })
        }
    }

    /// Each member with a value outside the rules, as JSON text.
    @Test(arguments: [
        ("token_endpoint_auth_method", #""tls_client_auth""#),
        ("token_endpoint_auth_method", #""client_secret_jwt""#),
        ("response_types", #"["token"]"#),
        ("response_types", #"["code", "id_token"]"#),
        ("grant_types", #"["implicit"]"#),
        ("grant_types", #"["password"]"#),
        ("grant_types", #"["urn:ietf:params:oauth:grant-type:token-exchange"]"#),
        ("grant_types", #"["refresh_token"]"#),
        ("grant_types", "[]"),
        ("scope", #""read admin""#),
        ("scope", #""read \"x""#),
        ("client_name", "\"" + String(repeating: "n", count: 201) + "\""),
        ("client_name", #""tab\there""#),
        ("logo_uri", #""http://app.example/logo.png""#),
        ("client_uri", #""javascript:alert(1)""#),
        ("policy_uri", #""https://app.example/p#x""#),
        ("tos_uri", #""not a url""#),
        ("contacts", #"["a@example.com", ""]"#),
        ("application_type", #""desktop""#),
        ("jwks_uri", #""https://app.example/jwks""#),
        ("redirect_uris", #""http://127.0.0.1/callback""#),
        ("scope", "42"),
    ])
    func metadataOutsideTheRulesIsInvalidClientMetadata(_ member: String, _ json: String) async throws {
        try await withApp { client, _ in
            let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
            let answer = try await Self.send(client, json: Self.with([member: value]))
            #expect(answer.status == .badRequest)
            #expect(answer.error == "invalid_client_metadata", "\(member): \(answer.json)")
            #expect((answer.json["error_description"] as? String)?.isEmpty == false)
        }
    }

    @Test func keysAuthenticationAndStatementsFollowTheRules() async throws {
        try await withApp { client, _ in
            // private_key_jwt needs keys, and exactly one of jwks / jwks_uri.
            let keyless = try await Self.send(client, json: Self.with(["token_endpoint_auth_method": "private_key_jwt"]))
            #expect(keyless.error == "invalid_client_metadata")
            let keyData = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(TestClients.jwtClientPublicJWK))
            let both = try await Self.send(
                client,
                json: Self.with([
                    "token_endpoint_auth_method": "private_key_jwt", "jwks": ["keys": [keyData]], "jwks_uri": "https://app.example/jwks",
                ])
            )
            #expect(both.error == "invalid_client_metadata")
            let good = try await Self.send(
                client,
                json: Self.with(["token_endpoint_auth_method": "private_key_jwt", "jwks": ["keys": [keyData]]])
            )
            #expect(good.status == .created && good.json["client_secret"] == nil && good.json["client_secret_expires_at"] == nil)
            // A public client may not use client_credentials.
            let publicMachine = try await Self.send(
                client,
                json: Self.with(["token_endpoint_auth_method": "none", "grant_types": ["client_credentials"], "response_types": []])
            )
            #expect(publicMachine.error == "invalid_client_metadata")
            let statement = try await Self.send(client, json: Self.with(["software_statement": "eyJhbGciOiJub25lIn0.e30."]))
            #expect(statement.error == "invalid_software_statement")
            for raw in ["[]", "\"x\"", "{", ""] {
                let answer = try await Self.send(client, raw: raw)
                #expect(answer.status == .badRequest && answer.error == "invalid_client_metadata", "\(raw)")
            }
            // Without scope, the client gets the operator's whole ceiling; unknown members are ignored.
            let defaults = try await Self.send(client, json: Self.with(["scope": nil, "x-unknown": true]))
            #expect(defaults.status == .created && defaults.json["scope"] as? String == "profile read" && defaults.json["x-unknown"] == nil)
        }
    }

    // MARK: - Management (RFC 7592)

    @Test func managementNeedsTheCurrentRegistrationAccessToken() async throws {
        try await withApp { client, _ in
            let first = try await Self.send(client, json: Self.native)
            let second = try await Self.send(client, json: Self.native)
            let path = try Self.path(first)
            let token = try #require(first.json["registration_access_token"] as? String)
            let otherToken = try #require(second.json["registration_access_token"] as? String)
            for bearer in [nil, "wrong", otherToken] as [String?] {
                let answer = try await Self.send(client, path, method: .get, bearer: bearer)
                #expect(answer.status == .unauthorized && answer.error == "invalid_token")
                #expect(answer.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            let unknown = try await Self.send(client, "/register/no-such-client", method: .get, bearer: token)
            #expect(unknown.status == .unauthorized && unknown.error == "invalid_token")
            // A client id that is not canonical (a NUL, a newline, a space, too long) never becomes a lookup key.
            let clientID = try #require(first.json["client_id"] as? String)
            for suffix in ["%00", "%0A", "%20", String(repeating: "a", count: 300)] {
                let odd = try await Self.send(client, "/register/\(clientID)\(suffix)", method: .get, bearer: token)
                #expect(odd.status == .unauthorized && odd.error == "invalid_token", "\(suffix)")
            }
            // An operator-registered client has no configuration endpoint.
            let operatorClient = try await Self.send(client, "/register/\(Flow.web)", method: .get, bearer: token)
            #expect(operatorClient.status == .unauthorized)

            let read = try await Self.send(client, path, method: .get, bearer: token)
            #expect(read.status == .ok)
            #expect(read.json["client_id"] as? String == first.json["client_id"] as? String && read.json["client_secret"] == nil)
            #expect(read.json["client_name"] as? String == "Desk <b>Agent</b>")
            // The token is rotated: the old one is kept only as a hash, so it cannot be returned.
            let rotated = try #require(read.json["registration_access_token"] as? String)
            #expect(rotated != token)
            #expect(try await Self.send(client, path, method: .get, bearer: token).status == .unauthorized)
            #expect(try await Self.send(client, path, method: .get, bearer: rotated).status == .ok)
        }
    }

    /// The attack: a registered client tries to widen its scope, escape the redirect rules or
    /// change how it authenticates through an update (RFC 7592 §2.2), or update another client.
    @Test func anUpdateCannotWidenScopeEscapeRedirectRulesOrTouchAnotherClient() async throws {
        try await withApp { client, app in
            let registered = try await Self.send(client, json: Self.native)
            let id = try #require(registered.json["client_id"] as? String)
            let other = try #require(try await Self.send(client, json: Self.native).json["client_id"] as? String)
            let path = try Self.path(registered)
            var token = try #require(registered.json["registration_access_token"] as? String)
            let attempts: [([String: Any?], String)] = [
                (["scope": "read admin"], "invalid_client_metadata"),
                (["redirect_uris": ["http://evil.example/cb"]], "invalid_redirect_uri"),
                (["redirect_uris": ["http://127.0.0.1/cb#x"]], "invalid_redirect_uri"),
                (["grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"]], "invalid_client_metadata"),
                (["token_endpoint_auth_method": "none"], "invalid_client_metadata"),
                (["client_id": other], "invalid_request"),
                (["client_id": nil], "invalid_request"),
                (["client_secret": "not-the-secret"], "invalid_client_metadata"),
            ]
            for (change, expected) in attempts {
                var changes: [String: Any?] = ["client_id": id]
                for (key, value) in change { changes[key] = value }
                let answer = try await Self.send(client, path, method: .put, json: Self.with(changes), bearer: token)
                #expect(answer.status == .badRequest && answer.error == expected, "\(change): \(answer.json)")
            }
            // Nothing changed: same scope, redirect URIs and method.
            let record = try #require(try await app.engine.stores.clients.client(id: id))
            #expect(
                record.scopes == ["read"] && record.redirectURIs == ["http://127.0.0.1/callback"] && record.authMethod == .clientSecretBasic
            )
            // Another client's configuration endpoint refuses this client's token.
            #expect(
                try await Self.send(
                    client,
                    "/register/\(other)",
                    method: .put,
                    json: Self.with(["client_id": other, "scope": "read profile"]),
                    bearer: token
                ).status == .unauthorized
            )

            // A valid update within the ceiling applies, rotates the token, and keeps the secret.
            let updated = try await Self.send(
                client,
                path,
                method: .put,
                json: Self.with(["client_id": id, "scope": "profile", "redirect_uris": ["http://127.0.0.1/cb2"], "client_name": "Renamed"]),
                bearer: token
            )
            #expect(updated.status == .ok, "\(updated.json)")
            #expect(updated.json["scope"] as? String == "profile" && updated.json["client_name"] as? String == "Renamed")
            token = try #require(updated.json["registration_access_token"] as? String)
            let after = try #require(try await app.engine.stores.clients.client(id: id))
            #expect(after.scopes == ["profile"] && after.redirectURIs == ["http://127.0.0.1/cb2"] && after.secretHash == record.secretHash)
            #expect(try await Self.send(client, path, method: .get, bearer: token).status == .ok)
        }
    }

    /// RFC 7592 §2.3: deleting a registration removes the client and revokes what it was issued.
    @Test func deletingARegistrationRemovesTheClientAndRevokesItsTokens() async throws {
        try await withApp { client, app in
            let registered = try await Self.send(
                client,
                json: Self.with(["grant_types": ["client_credentials"], "response_types": nil, "redirect_uris": nil, "scope": "read"])
            )
            #expect(registered.status == .created, "\(registered.json)")
            let id = try #require(registered.json["client_id"] as? String)
            let basic = TestClients.basicAuthorization(id: id, secret: try #require(registered.json["client_secret"] as? String))
            let (status, token) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "read")], auth: basic)
            #expect(status == .ok)
            let accessToken = try #require(token["access_token"] as? String)
            let jti = try #require(try Self.claims(accessToken)["jti"] as? String)
            let path = try Self.path(registered)
            let bearer = try #require(registered.json["registration_access_token"] as? String)
            let deleted = try await client.execute(uri: path, method: .delete, headers: [.authorization: "Bearer \(bearer)"]) { $0.status }
            #expect(deleted == .noContent)
            #expect(try await app.engine.stores.clients.client(id: id) == nil)
            #expect(try await app.engine.stores.tokens.accessToken(jti: jti)?.revokedAt != nil)
            let (after, refused) = try await Flow.token(client, [("grant_type", "client_credentials")], auth: basic)
            #expect(after == .unauthorized && refused["error"] as? String == "invalid_client")
            #expect(try await Self.send(client, path, method: .get, bearer: bearer).status == .unauthorized)
        }
    }

    // MARK: - Who may register

    @Test func initialAccessTokenModeNeedsAMintedTokenWithUsesLeft() async throws {
        let clock = clock
        try await withApp(mode: .initialAccessToken) { client, app in
            #expect(try await Self.send(client, json: Self.native).error == "invalid_token")
            #expect(try await Self.send(client, json: Self.native, bearer: "made-up").status == .unauthorized)
            let token = ClientSecret.generate()
            try await app.engine.stores.clients.insertRegistrationToken(
                RegistrationTokenRecord(
                    id: "t1",
                    tokenHash: TokenIssuer.hashToken(token),
                    label: "",
                    createdAt: clock.now,
                    expiresAt: clock.now.addingTimeInterval(600),
                    remainingUses: 1
                )
            )
            // An unacceptable request does not spend the use.
            #expect(try await Self.send(client, json: Self.with(["scope": "admin"]), bearer: token).error == "invalid_client_metadata")
            #expect(try await Self.send(client, json: Self.native, bearer: token).status == .created)
            #expect(try await Self.send(client, json: Self.native, bearer: token).status == .unauthorized)

            let later = ClientSecret.generate()
            try await app.engine.stores.clients.insertRegistrationToken(
                RegistrationTokenRecord(
                    id: "t2",
                    tokenHash: TokenIssuer.hashToken(later),
                    label: "",
                    createdAt: clock.now,
                    expiresAt: clock.now.addingTimeInterval(60),
                    remainingUses: 5
                )
            )
            clock.advance(by: 61)
            #expect(try await Self.send(client, json: Self.native, bearer: later).error == "invalid_token")
        }
    }

    @Test func registrationsAreLimitedPerAddress() async throws {
        try await withApp(attempts: 3) { client, _ in
            #expect(try await Self.send(client, json: Self.native).status == .created)
            #expect(try await Self.send(client, json: Self.with(["scope": "admin"])).status == .badRequest)
            #expect(try await Self.send(client, json: Self.native).status == .created)
            let refused = try await Self.send(client, json: Self.native)
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil)
        }
    }

    static func claims(_ jwt: String) throws -> [String: Any] {
        let part = String(jwt.split(separator: ".")[1])
        let data = try #require(Base64URL.decode(part))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
