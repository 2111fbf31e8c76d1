import Foundation
import HTTPMessageSignatures
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraResourceHummingbird
import TesseraServer
import TesseraTesting
import Testing

/// The OAuth resource-server SDK over real HTTP: a Tessera AS (in process, listening on loopback),
/// a Hummingbird RS using `OAuthResourceMiddleware`, and the `OAuthClient` SDK calling both.
@Suite struct OAuthResourceServerTests {
    /// What the protected handler answers: the token as the application sees it.
    struct Echo: Codable {
        var subject: String
        var clientID: String?
        var scopes: String
        var kind: String
        var jkt: String?
        var actors: [String]
        var details: [JSONValue]?
    }

    struct Stack {
        let engine: GrantEngine
        let issuer: String
        let resource: String
        let rs: OAuthResourceServer
        let transport: AsyncHTTPClientTransport
        var tokenEndpoint: String { issuer + "/token" }
        func client(_ dpop: DPoPProofSigner? = DPoPProofSigner()) -> OAuthClient {
            OAuthClient(
                tokenEndpoint: tokenEndpoint,
                clientID: TestClients.secretClientID,
                authentication: .clientSecretBasic(TestClients.secret),
                dpop: dpop,
                transport: transport
            )
        }
    }

    /// Runs the AS and an RS (configured by `configure`) on loopback ports. Both listen on the
    /// ports their identifiers name (the AS issuer, the RS resource), so `iss`, `aud` and `htu` are real.
    func withStack(
        configure: @escaping @Sendable (inout OAuthResourceServer.Configuration) -> Void = { _ in },
        _ body: @escaping @Sendable (Stack) async throws -> Void
    ) async throws {
        let asApp = try await TestServer.build()
        let issuer = asApp.engine.configuration.issuer
        let transport = AsyncHTTPClientTransport()
        let rsPort = try FreePort.find(host: "127.0.0.1")
        let resource = "http://127.0.0.1:\(rsPort)"
        var configuration = OAuthResourceServer.Configuration(issuer: issuer, resource: resource)
        configuration.scopesSupported = ["read", "write"]
        configure(&configuration)
        let rs = OAuthResourceServer(configuration: configuration)
        let router = Router(context: OAuthResourceContext.self)
        router.addProtectedResourceMetadata(rs)
        router.group("api").add(middleware: OAuthResourceMiddleware(rs, requiredScopes: Scope(["read"])))
            .get("hello") { _, context -> Response in
                let token = try #require(context.accessToken)
                let echo = Echo(
                    subject: token.subject,
                    clientID: token.clientID,
                    scopes: token.scopes.description,
                    kind: token.kind.rawValue,
                    jkt: token.confirmation?.jkt,
                    actors: token.actorChain.map(\.sub),
                    details: token.authorizationDetails
                )
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(echo)))
                )
            }
        router.group("admin").add(middleware: OAuthResourceMiddleware(rs, requiredScopes: Scope(["admin"]))).get("x") { _, _ in "secret" }
        let rsApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: rsPort)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await asApp.application.runService() }
            group.addTask { try await rsApp.runService() }
            defer { group.cancelAll() }
            try await Self.waitUntilServing(issuer + "/.well-known/oauth-authorization-server", transport)
            try await Self.waitUntilServing(resource + "/.well-known/oauth-protected-resource", transport)
            try await body(Stack(engine: asApp.engine, issuer: issuer, resource: resource, rs: rs, transport: transport))
        }
    }

    static func waitUntilServing(_ url: String, _ transport: AsyncHTTPClientTransport) async throws {
        for _ in 0..<200 {
            if let response = try? await transport.send(HTTPSignatureRequest(method: "GET", targetURI: url)), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw OAuthClientError("\(url) did not come up")
    }

    static func echo(_ response: TesseraHTTPResponse) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }

    static func challenge(_ response: TesseraHTTPResponse, _ scheme: String) -> AuthenticationChallenge? {
        response.headerFields.filter { $0.name == "www-authenticate" }.flatMap { AuthenticationChallenge.parse($0.value) }
            .first { $0.scheme.lowercased() == scheme.lowercased() }
    }

    /// Sends a request with hand-made headers (for the attacks).
    static func raw(_ stack: Stack, _ path: String, _ headers: [(String, String)]) async throws -> TesseraHTTPResponse {
        try await stack.transport.send(
            HTTPSignatureRequest(
                method: "GET",
                targetURI: stack.resource + path,
                headerFields: headers.map { HTTPSignatureField(name: $0.0, value: $0.1) }
            )
        )
    }

    @Test func aDPoPTokenFromTesseraIsAcceptedWithAProofAndTheApplicationSeesItsContents() async throws {
        try await withStack { stack in
            let client = stack.client()
            let token = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            #expect(token.tokenType == "DPoP")
            let response = try await client.call(method: "GET", url: stack.resource + "/api/hello", token: token)
            #expect(response.status == 200)
            let echo = try Self.echo(response)
            #expect(echo.subject == TestClients.secretClientID)
            #expect(echo.clientID == TestClients.secretClientID)
            #expect(echo.scopes == "read")
            #expect(echo.kind == "DPoP")
            #expect(echo.jkt == client.dpop?.thumbprint)
        }
    }

    @Test func proofAttacksAreRefusedWithDPoPChallenges() async throws {
        try await withStack { stack in
            let key = DPoPProofSigner()
            let token = try await stack.client(key).clientCredentials(scope: "read", resources: [stack.resource])
            let url = stack.resource + "/api/hello"
            let auth = ("Authorization", "DPoP " + token.accessToken)

            // A proof used twice.
            let proof = key.proof(method: "GET", uri: url, accessToken: token.accessToken)
            #expect(try await Self.raw(stack, "/api/hello", [auth, ("DPoP", proof)]).status == 200)
            let replay = try await Self.raw(stack, "/api/hello", [auth, ("DPoP", proof)])
            #expect(replay.status == 401)
            #expect(Self.challenge(replay, "DPoP")?["error"] == "invalid_dpop_proof")

            // A proof for another token (wrong ath), another URL, another method.
            let wrongAth = try await Self.raw(
                stack,
                "/api/hello",
                [auth, ("DPoP", key.proof(method: "GET", uri: url, accessToken: "some-other-token"))]
            )
            #expect(Self.challenge(wrongAth, "DPoP")?["error"] == "invalid_dpop_proof")
            #expect(Self.challenge(wrongAth, "DPoP")?["error_description"]?.contains("ath") == true)
            let otherURL = try await Self.raw(
                stack,
                "/api/hello",
                [auth, ("DPoP", key.proof(method: "GET", uri: stack.resource + "/api/other", accessToken: token.accessToken))]
            )
            #expect(Self.challenge(otherURL, "DPoP")?["error_description"]?.contains("htu") == true)
            let otherMethod = try await Self.raw(
                stack,
                "/api/hello",
                [auth, ("DPoP", key.proof(method: "POST", uri: url, accessToken: token.accessToken))]
            )
            #expect(Self.challenge(otherMethod, "DPoP")?["error_description"]?.contains("htm") == true)

            // A stolen token with the thief's own key: the proof is fine, the binding is not.
            let thief = DPoPProofSigner()
            let stolen = try await Self.raw(
                stack,
                "/api/hello",
                [auth, ("DPoP", thief.proof(method: "GET", uri: url, accessToken: token.accessToken))]
            )
            #expect(stolen.status == 401)
            let stolenChallenge = try #require(Self.challenge(stolen, "DPoP"))
            #expect(stolenChallenge["error"] == "invalid_token")
            #expect(stolenChallenge["algs"] == "ES256 ES384 EdDSA PS256 RS256")
            #expect(stolenChallenge["resource_metadata"] == stack.resource + "/.well-known/oauth-protected-resource")

            // No proof at all; and the DPoP token downgraded to Bearer.
            let noProof = try await Self.raw(stack, "/api/hello", [auth])
            #expect(Self.challenge(noProof, "DPoP")?["error"] == "invalid_dpop_proof")
            let downgraded = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + token.accessToken)])
            #expect(downgraded.status == 401)
            #expect(Self.challenge(downgraded, "DPoP")?["error"] == "invalid_token")
        }
    }

    @Test func bearerTokensScopesAudienceAndMissingCredentials() async throws {
        try await withStack { stack in
            let bearer = try await stack.client(nil).clientCredentials(scope: "read", resources: [stack.resource])
            #expect(bearer.tokenType == "Bearer")
            let ok = try await stack.client(nil).call(method: "GET", url: stack.resource + "/api/hello", token: bearer)
            #expect(ok.status == 200)
            #expect(try Self.echo(ok).kind == "Bearer")

            let forbidden = try await stack.client(nil).call(method: "GET", url: stack.resource + "/admin/x", token: bearer)
            #expect(forbidden.status == 403)
            #expect(Self.challenge(forbidden, "Bearer")?["error"] == "insufficient_scope")
            #expect(Self.challenge(forbidden, "Bearer")?["scope"] == "admin")

            // A token for another audience (the AS's default) is not for this RS.
            let elsewhere = try await stack.client(nil).clientCredentials(scope: "read")
            let wrongAudience = try await stack.client(nil).call(method: "GET", url: stack.resource + "/api/hello", token: elsewhere)
            #expect(wrongAudience.status == 401)
            #expect(Self.challenge(wrongAudience, "Bearer")?["error"] == "invalid_token")

            // A tampered token.
            var tampered = bearer
            tampered.accessToken = String(bearer.accessToken.dropLast(4)) + "AAAA"
            let bad = try await stack.client(nil).call(method: "GET", url: stack.resource + "/api/hello", token: tampered)
            #expect(bad.status == 401)

            // No credentials: both challenges, no error, and the metadata leads to the AS (RFC 9728 §5).
            let bare = try await Self.raw(stack, "/api/hello", [])
            #expect(bare.status == 401)
            #expect(Self.challenge(bare, "Bearer")?["error"] == nil)
            #expect(Self.challenge(bare, "DPoP")?["algs"] != nil)
            let metadata = try await ProtectedResourceDiscovery.discover(
                from: bare,
                requestedURL: stack.resource + "/api/hello",
                transport: stack.transport
            )
            #expect(metadata.resource == stack.resource)
            #expect(metadata.authorizationServers == [stack.issuer])
            #expect(metadata.dpopSigningAlgValuesSupported?.contains("ES256") == true)
        }
    }

    @Test func dpopOnlyResourcesRefuseBearerTokens() async throws {
        try await withStack(configure: { $0.acceptBearerTokens = false }) { stack in
            let bearer = try await stack.client(nil).clientCredentials(scope: "read", resources: [stack.resource])
            let refused = try await stack.client(nil).call(method: "GET", url: stack.resource + "/api/hello", token: bearer)
            #expect(refused.status == 401)
            #expect(Self.challenge(refused, "DPoP")?["error"] == "invalid_token")
            #expect(Self.challenge(refused, "Bearer") == nil)
        }
    }

    @Test func resourceNoncesAreDemandedAndTheClientRetries() async throws {
        try await withStack(configure: { $0.dpopNonceSecret = Data(repeating: 3, count: 32) }) { stack in
            let key = DPoPProofSigner()
            let client = stack.client(key)
            let token = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            let url = stack.resource + "/api/hello"
            let first = try await Self.raw(
                stack,
                "/api/hello",
                [
                    ("Authorization", "DPoP " + token.accessToken),
                    ("DPoP", key.proof(method: "GET", uri: url, accessToken: token.accessToken)),
                ]
            )
            #expect(first.status == 401)
            #expect(Self.challenge(first, "DPoP")?["error"] == "use_dpop_nonce")
            #expect(first.headerValue("dpop-nonce") != nil)
            // The SDK client retries with the nonce by itself.
            #expect(try await client.call(method: "GET", url: url, token: token).status == 200)
        }
    }

    @Test func introspectionValidationReadsTheBindingFromTheAS() async throws {
        try await withStack(configure: {
            $0.validation = .introspection(clientID: TestClients.secretClientID, clientSecret: TestClients.secret)
        }) { stack in
            let client = stack.client()
            let token = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            let ok = try await client.call(method: "GET", url: stack.resource + "/api/hello", token: token)
            #expect(ok.status == 200)
            #expect(try Self.echo(ok).jkt == client.dpop?.thumbprint)
            let downgraded = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + token.accessToken)])
            #expect(Self.challenge(downgraded, "DPoP")?["error"] == "invalid_token")
            let unknown = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer not-a-token")])
            #expect(unknown.status == 401)
            #expect(Self.challenge(unknown, "Bearer")?["error"] == "invalid_token")
        }
    }

    @Test func anUnknownKidAfterKeyRotationRefetchesTheKeySet() async throws {
        try await withStack(configure: { $0.jwksMinimumRefreshInterval = 0 }) { stack in
            let client = stack.client()
            let before = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            #expect(try await client.call(method: "GET", url: stack.resource + "/api/hello", token: before).status == 200)
            let newKid = try await stack.engine.keyRing.rotate(publishDelay: 0).kid
            let after = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            #expect(try CompactJWS(parsing: after.accessToken).header.kid == newKid)
            #expect(try await client.call(method: "GET", url: stack.resource + "/api/hello", token: after).status == 200)
            // A kid the AS never published still fails after the refetch.
            let parts = after.accessToken.split(separator: ".")
            let forgedHeader = Base64URLForTests.encode(#"{"alg":"ES256","kid":"nobody","typ":"at+jwt"}"#)
            var forged = after
            forged.accessToken = [forgedHeader, String(parts[1]), String(parts[2])].joined(separator: ".")
            let refused = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + forged.accessToken)])
            #expect(refused.status == 401)
        }
    }

    @Test func theApplicationSeesTheDelegationChainAndAuthorizationDetails() async throws {
        try await withStack { stack in
            // A token as token exchange and RAR mint them, signed with the AS's own key.
            let now = Int(Date().timeIntervalSince1970)
            let details: [JSONValue] = [.object(["type": .string("payment_initiation"), "amount": .number(42)])]
            let claims = AccessTokenClaims(
                iss: stack.issuer,
                sub: "alice",
                aud: Audience([stack.resource]),
                exp: now + 300,
                iat: now,
                jti: UUID().uuidString,
                clientID: "service-b",
                scope: "read",
                act: ActorClaim(sub: "service-b", prior: ActorClaim(sub: "service-a")),
                authorizationDetails: details
            )
            let token = try await stack.engine.keyRing.signer().sign(claims, type: AccessTokenClaims.type)
            let response = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + token)])
            #expect(response.status == 200)
            let echo = try Self.echo(response)
            #expect(echo.subject == "alice")
            #expect(echo.actors == ["service-b", "service-a"])
            #expect(echo.details == details)

            // The same claims from another issuer, or expired, are refused.
            var foreign = claims
            foreign.iss = "https://evil.example"
            let foreignToken = try await stack.engine.keyRing.signer().sign(foreign, type: AccessTokenClaims.type)
            #expect(try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + foreignToken)]).status == 401)
            var expired = claims
            expired.exp = now - 120
            let expiredToken = try await stack.engine.keyRing.signer().sign(expired, type: AccessTokenClaims.type)
            let refused = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + expiredToken)])
            #expect(Self.challenge(refused, "Bearer")?["error_description"]?.contains("expired") == true)
            // A JWT of another type (not at+jwt) is not an access token.
            let wrongType = try await stack.engine.keyRing.signer().sign(claims, type: "JWT")
            #expect(try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer " + wrongType)]).status == 401)
        }
    }

    @Test func discoveryRefusesMetadataFromElsewhereOrAboutAnotherResource() async throws {
        func challenge(_ url: String) -> TesseraHTTPResponse {
            TesseraHTTPResponse(
                status: 401,
                headerFields: [HTTPSignatureField(name: "www-authenticate", value: #"Bearer resource_metadata="\#(url)""#)]
            )
        }
        let lying = StubTransport { _, _ in
            Stub.json(#"{"resource": "https://other.example/api", "authorization_servers": ["https://evil.example"]}"#)
        }
        // Metadata on another origin is never fetched.
        await #expect(throws: OAuthClientError.self) {
            try await ProtectedResourceDiscovery.discover(
                from: challenge("https://evil.example/.well-known/oauth-protected-resource"),
                requestedURL: "https://api.example/data",
                transport: lying
            )
        }
        #expect(lying.sent.isEmpty)
        // Metadata describing another resource is not used.
        let other = StubTransport { _, _ in
            Stub.json(#"{"resource": "https://api.example/other", "authorization_servers": ["https://evil.example"]}"#)
        }
        await #expect(throws: OAuthClientError.self) {
            try await ProtectedResourceDiscovery.discover(
                from: challenge("https://api.example/.well-known/oauth-protected-resource/other"),
                requestedURL: "https://api.example/data",
                transport: other
            )
        }
        // A prefix at a segment boundary is the same resource; a longer name is not.
        let prefix = StubTransport { _, _ in
            Stub.json(#"{"resource": "https://api.example/v1", "authorization_servers": ["https://as.example"]}"#)
        }
        let found = try await ProtectedResourceDiscovery.discover(
            from: challenge("https://api.example/.well-known/oauth-protected-resource/v1"),
            requestedURL: "https://api.example/v1/photos",
            transport: prefix
        )
        #expect(found.authorizationServers == ["https://as.example"])
        await #expect(throws: OAuthClientError.self) {
            try await ProtectedResourceDiscovery.discover(
                from: challenge("https://api.example/.well-known/oauth-protected-resource/v1"),
                requestedURL: "https://api.example/v10/photos",
                transport: prefix
            )
        }
        // No resource_metadata at all.
        await #expect(throws: OAuthClientError.self) {
            try await ProtectedResourceDiscovery.discover(
                from: TesseraHTTPResponse(status: 401),
                requestedURL: "https://api.example/data",
                transport: prefix
            )
        }
    }

    @Test func jwtThenIntrospectionVerifiesJWTsLocallyAndIntrospectsOpaqueTokens() async throws {
        try await withStack(configure: {
            $0.validation = .jwtThenIntrospection(clientID: TestClients.secretClientID, clientSecret: TestClients.secret)
        }) { stack in
            let client = stack.client()
            let token = try await client.clientCredentials(scope: "read", resources: [stack.resource])
            #expect(try await client.call(method: "GET", url: stack.resource + "/api/hello", token: token).status == 200)
            // An opaque value goes to the AS, which does not know it.
            let opaque = try await Self.raw(stack, "/api/hello", [("Authorization", "Bearer opaque-value-the-as-never-issued")])
            #expect(opaque.status == 401)
            #expect(Self.challenge(opaque, "Bearer")?["error_description"] == "the access token is not active")
        }
    }

    @Test func challengesParseAndRenderSafely() {
        let header = #"DPoP error="invalid_token", error_description="a \"quoted\" value", algs="ES256 PS256", Bearer realm=api"#
        let parsed = AuthenticationChallenge.parse(header)
        #expect(parsed.map(\.scheme) == ["DPoP", "Bearer"])
        #expect(parsed[0]["error_description"] == #"a "quoted" value"#)
        #expect(parsed[1]["realm"] == "api")
        #expect(AuthenticationChallenge.parse(parsed[0].description) == [parsed[0]])
        #expect(
            ProtectedResourceMetadata.metadataURL(for: "https://rs.example/api/v1")
                == "https://rs.example/.well-known/oauth-protected-resource/api/v1"
        )
        #expect(
            ProtectedResourceMetadata.metadataURL(for: "https://rs.example/") == "https://rs.example/.well-known/oauth-protected-resource"
        )
    }
}

enum Base64URLForTests {
    static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
