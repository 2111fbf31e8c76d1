// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// What the MCP clients demand of an authorization server (MCP authorization 2026-07-28; the digest
/// ../shared/specs/mcp-and-id-jag.md part F, points 1–3), each through the real routes, plus Client
/// ID Metadata Document clients in the authorization code flow (CIMD §4, MCP client-registration).
@Suite struct MCPClientRequirementsTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let mcpResource = "https://mcp.example.com/mcp"
    let clock = TestClock()

    func withApp(
        documents base: String? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            Flow.configure(&configuration)
            if base != nil {
                configuration.clientMetadataDocumentsEnabled = true
                configuration.clientMetadata.allowHTTP = true
                configuration.clientMetadata.allowedGrantTypes = [.authorizationCode, .refreshToken, .clientCredentials]
                configuration.clientMetadata.allowedScopes = ["read"]
                configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!])
            }
        }
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    // MARK: - F.1 metadata

    /// F.1: both endpoints, `response_types_supported`, S256, the RFC 9207 flag, the CIMD flag
    /// when documents are accepted, and no `registration_endpoint` while registration is off.
    @Test func metadataCarriesEverythingTheClientsCheck() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            try await withApp(documents: base) { client, app in
                let document = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) {
                    try HTTPHelpers.json($0.body)
                }
                let issuer = app.engine.configuration.issuer
                #expect(document["issuer"] as? String == issuer)
                #expect(document["authorization_endpoint"] as? String == issuer + "/authorize")
                #expect(document["token_endpoint"] as? String == issuer + "/token")
                #expect(document["response_types_supported"] as? [String] == ["code"])
                #expect(document["code_challenge_methods_supported"] as? [String] == ["S256"])
                #expect(document["authorization_response_iss_parameter_supported"] as? Bool == true)
                #expect(document["client_id_metadata_document_supported"] as? Bool == true)
                #expect(document["registration_endpoint"] == nil)
                let methods = try #require(document["token_endpoint_auth_methods_supported"] as? [String])
                #expect(Set(["client_secret_basic", "client_secret_post", "none"]).isSubset(of: Set(methods)))
            }
        }
    }

    /// F.1: the issuer must be canonical, because clients compare it as a simple string with the
    /// canonical form their URL parser gives (lowercase host, no default port; RFC 3986 §6.2.2–6.2.3).
    @Test(arguments: ["https://AS.example.com", "HTTPS://as.example.com", "https://as.example.com:443", "http://as.example.com:80/tenant"])
    func aNonCanonicalIssuerIsRefusedAtStart(_ issuer: String) throws {
        var configuration = ServerConfiguration()
        configuration.issuer = issuer
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test(arguments: ["https://as.example.com", "https://as.example.com:8443", "http://127.0.0.1:9000/tenant"])
    func aCanonicalIssuerIsAccepted(_ issuer: String) throws {
        var configuration = ServerConfiguration()
        configuration.issuer = issuer
        try configuration.validate()
    }

    // MARK: - F.2 authorization endpoint

    /// F.2 / RFC 9207 §2: `iss` on the success redirect and on every error redirect.
    @Test func issIsOnSuccessAndOnErrorRedirects() async throws {
        try await withApp { client, app in
            let issuer = app.engine.configuration.issuer
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let denied = Flow.query(try await Flow.approve(browser, Flow.authorizeURI(scope: "read"), decision: "deny"))
            #expect(denied["error"] == "access_denied" && denied["iss"] == issuer && denied["state"] == "st-123")
            let success = Flow.query(try await Flow.approve(browser, Flow.authorizeURI(extra: [("resource", Self.mcpResource)])))
            #expect(success["iss"] == issuer && success["code"] != nil)
            // A validation error after the redirect URI is verified: plain PKCE.
            let plain =
                "/authorize?"
                + FormParameters([
                    ("response_type", "code"), ("client_id", Flow.web), ("redirect_uri", Flow.callback), ("state", "s"),
                    ("code_challenge", Flow.challenge), ("code_challenge_method", "plain"),
                ]).encoded
            let refused = try await browser.request(plain)
            #expect(refused.status == .found)
            let error = Flow.query(try #require(refused.location))
            #expect(error["error"] == "invalid_request" && error["iss"] == issuer)
            // A resource that is not an absolute URI: invalid_target, still with iss.
            let target = try await browser.request(Flow.authorizeURI(extra: [("resource", "mcp-server")]))
            let targetError = Flow.query(try #require(target.location))
            #expect(targetError["error"] == "invalid_target" && targetError["iss"] == issuer)
        }
    }

    // MARK: - F.3 token endpoint

    /// F.3: `client_secret_basic` with `client_id` also in the body (as the Python SDK sends it),
    /// `token_type: Bearer` without a DPoP proof, and the access token's `aud` = the `resource`.
    @Test func basicWithClientIDInTheBodyGetsABearerTokenForTheResource() async throws {
        let basic = TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret)
        try await withApp { client, _ in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let back = try await Flow.approve(browser, Flow.authorizeURI(scope: "read", extra: [("resource", Self.mcpResource)]))
            let code = try #require(Flow.query(back)["code"])
            let form = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.callback), ("client_id", Flow.web),
                ("code_verifier", Flow.verifier), ("resource", Self.mcpResource),
            ]
            let (status, body) = try await Flow.token(client, form, auth: basic)
            #expect(status == .ok, "\(body)")
            #expect(body["token_type"] as? String == "Bearer")
            let access = try #require(body["access_token"] as? String)
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: access).payload)
            #expect(claims.aud.values == [Self.mcpResource])
            #expect(claims.clientID == Flow.web)
            // The refresh grant with the same resource keeps the audience (RFC 8707 §2.2).
            let refresh = try #require(body["refresh_token"] as? String)
            let (refreshed, again) = try await Flow.token(
                client,
                [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Flow.web), ("resource", Self.mcpResource)],
                auth: basic
            )
            #expect(refreshed == .ok, "\(again)")
            #expect(again["token_type"] as? String == "Bearer")
            let renewedToken = try #require(again["access_token"] as? String)
            let renewed = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: renewedToken).payload)
            #expect(renewed.aud.values == [Self.mcpResource])
        }
    }

    // MARK: - Client ID Metadata Document clients in the authorization code flow

    static func document(_ base: String, path: String, grants: [String] = ["authorization_code", "refresh_token"]) -> String {
        """
        {"client_id":"\(base)\(path)","client_name":"Agent <Smith>","redirect_uris":["\(Flow.spaCallback)"],
         "grant_types":[\(grants.map { "\"\($0)\"" }.joined(separator: ","))],"token_endpoint_auth_method":"none","scope":"read"}
        """
    }

    /// CIMD §4 at the authorization endpoint: the document is fetched, its `redirect_uris` matched
    /// exactly (but for a loopback IP URI's port, `LoopbackRedirectPortTests`), the consent page names the client as it names itself (escaped, unverified), and the
    /// code is redeemed by the public client with PKCE.
    @Test func aMetadataDocumentClientCompletesTheAuthorizationCodeFlow() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            documents.set("/agent.json", json: Self.document(base, path: "/agent.json"))
            let clientID = base + "/agent.json"
            try await withApp(documents: base) { client, _ in
                let browser = Flow.Browser(client)
                try await browser.signIn()
                for wrong in [Flow.spaCallback + "/", "http://localhost:9000/cb", Flow.callback] {
                    let page = try await browser.request(Flow.authorizeURI(client: clientID, redirect: wrong, scope: "read"))
                    #expect(page.status == .badRequest && page.location == nil)
                }
                let start = try await browser.request(Flow.authorizeURI(client: clientID, redirect: Flow.spaCallback, scope: "read"))
                let consentPath = try #require(start.location)
                let consent = try await browser.request(consentPath)
                #expect(consent.body.contains("“<bdi>Agent &lt;Smith&gt;</bdi>”</strong> (as it names itself, unverified)"))
                #expect(consent.body.contains("runs on your own computer"))
                let form = [("csrf", consent.csrf ?? ""), ("decision", "approve_all")]
                let decided = try await browser.request(consentPath, method: .post, form: form)
                let location = try #require(decided.location)
                let code = try #require(Flow.query(location)["code"])
                let (status, body) = try await Flow.redeem(client, code: code, redirect: Flow.spaCallback, auth: nil, clientID: clientID)
                #expect(status == .ok, "\(body)")
                #expect(body["token_type"] as? String == "Bearer")
            }
        }
    }

    /// RFC 9126 with a metadata-document client: the pushed request is checked against the document.
    @Test func aMetadataDocumentClientCanPushItsRequest() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            documents.set("/agent.json", json: Self.document(base, path: "/agent.json"))
            let clientID = base + "/agent.json"
            try await withApp(documents: base) { client, _ in
                func push(_ redirect: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    let form = [
                        ("client_id", clientID), ("response_type", "code"), ("redirect_uri", redirect), ("scope", "read"),
                        ("code_challenge", Flow.challenge), ("code_challenge_method", "S256"),
                    ]
                    let body = ByteBuffer(string: FormParameters(form).encoded)
                    return try await client.execute(uri: "/par", method: .post, headers: HTTPHelpers.form, body: body) {
                        ($0.status, try HTTPHelpers.json($0.body))
                    }
                }
                let (wrongStatus, wrong) = try await push("http://127.0.0.2:9000/cb")
                #expect(wrongStatus == .badRequest && wrong["error"] as? String == "invalid_request")
                let (status, pushed) = try await push(Flow.spaCallback)
                #expect(status == .created, "\(pushed)")
                let requestURI = try #require(pushed["request_uri"] as? String)
                let browser = Flow.Browser(client)
                try await browser.signIn()
                let query = FormParameters([("client_id", clientID), ("request_uri", requestURI)]).encoded
                let start = try await browser.request("/authorize?" + query)
                #expect(start.location?.hasPrefix("/authorize/") == true)
            }
        }
    }

    /// A document that does not declare the authorization code grant: `unauthorized_client` for its verified redirect
    /// URI, with `iss` — on a page with the link back, never redirected by itself, since only the document vouches for
    /// that URI (RFC 9700 §4.11.2, K5).
    @Test func aMetadataDocumentWithoutTheAuthorizationCodeGrantIsRefused() async throws {
        let documents = ClientMetadataDocumentServer()
        try await documents.run { base in
            documents.set("/machine.json", json: Self.document(base, path: "/machine.json", grants: ["client_credentials"]))
            try await withApp(documents: base) { client, app in
                let browser = Flow.Browser(client)
                let uri = Flow.authorizeURI(client: base + "/machine.json", redirect: Flow.spaCallback, scope: "read")
                let page = try await browser.request(uri)
                #expect(page.status == .badRequest && page.location == nil)
                let (location, answer) = try UntrustedRedirectTests.link(page)
                #expect(location.hasPrefix(Flow.spaCallback + "?"))
                #expect(answer["error"] == "unauthorized_client" && answer["iss"] == app.engine.configuration.issuer)
            }
        }
    }
}
