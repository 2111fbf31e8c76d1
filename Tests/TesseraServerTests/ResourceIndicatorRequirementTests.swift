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

/// `resource` required (RFC 8707 §2; MCP authorization 2026-07-28: clients MUST send it in
/// authorization and token requests): for the clients the operator names, a request without
/// `resource` is refused with `invalid_target` at `/authorize` (back to the client, with `iss`), PAR
/// and `/token`, so no token for them ever gets the default audience. Other clients are unchanged.
@Suite struct ResourceIndicatorRequirementTests {
    typealias Flow = AuthorizationCodeFlowTests
    static let mcpResource = "https://mcp.example.com/mcp"
    static let agent = "mcp-agent"
    static let agentSecret = "mcp-agent-secret-0123456789-abcdefghijklm"

    /// `mcp-agent` with `require_resource: true`, `plain` without; `web-app` and friends are added as in the code-flow tests.
    static func yaml(extra: String = "") -> String {
        """
        port: 0
        database: "sqlite::memory:"
        clients:
          - id: \(agent)
            auth: client_secret_basic
            secret: \(agentSecret)
            grant_types: [authorization_code, client_credentials]
            scopes: "openid read"
            redirect_uris: ["\(Flow.callback)"]
            require_resource: true
          - {id: plain, auth: client_secret_basic, secret: \(agentSecret), grant_types: [client_credentials], scopes: read}
        \(extra)
        """
    }

    func withApp(
        yaml: String = Self.yaml(),
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        var configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        try configuration.validate()
        Flow.configure(&configuration)
        let app = try await buildApplication(configuration, dependencies: ServerDependencies())
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    static func audience(_ body: [String: Any]) throws -> [String] {
        let access = try #require(body["access_token"] as? String, "\(body)")
        return try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: access).payload).aud.values
    }

    /// `/authorize`: without `resource` the client gets `invalid_target` with `iss` (RFC 9207), with
    /// it the consent page; the code redeemed without repeating `resource` keeps the authorized audience.
    @Test func theAuthorizationEndpointRefusesARequestWithoutResource() async throws {
        try await withApp { client, app in
            let issuer = app.engine.configuration.issuer
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let refused = try await browser.request(Flow.authorizeURI(client: Self.agent, scope: "read"))
            #expect(refused.status == .found)
            let error = Flow.query(try #require(refused.location))
            #expect(error["error"] == "invalid_target" && error["iss"] == issuer && error["state"] == "st-123")

            let back = try await Flow.approve(
                browser,
                Flow.authorizeURI(client: Self.agent, scope: "read", extra: [("resource", Self.mcpResource)])
            )
            let code = try #require(Flow.query(back)["code"])
            let (status, body) = try await Flow.token(
                client,
                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Flow.callback), ("code_verifier", Flow.verifier)],
                auth: TestClients.basicAuthorization(id: Self.agent, secret: Self.agentSecret)
            )
            #expect(status == .ok, "\(body)")
            #expect(try Self.audience(body) == [Self.mcpResource])

            // Another client without the requirement: unchanged, the consent page.
            let other = try await browser.request(Flow.authorizeURI(scope: "read"))
            #expect(other.status == .seeOther && other.location?.hasPrefix("/authorize/") == true)
        }
    }

    /// PAR (RFC 9126) validates like `/authorize`: `invalid_target` in the JSON error.
    @Test func pushedRequestsWithoutResourceAreRefused() async throws {
        try await withApp { client, _ in
            let form = [
                ("response_type", "code"), ("client_id", Self.agent), ("redirect_uri", Flow.callback), ("scope", "read"),
                ("code_challenge", Flow.challenge), ("code_challenge_method", "S256"),
            ]
            let basic = TestClients.basicAuthorization(id: Self.agent, secret: Self.agentSecret)
            let refused = try await client.execute(
                uri: "/par",
                method: .post,
                headers: HTTPHelpers.form(authorization: basic),
                body: .init(string: FormParameters(form).encoded)
            ) { ($0.status, try HTTPHelpers.json($0.body)) }
            #expect(refused.0 == .badRequest && refused.1["error"] as? String == "invalid_target", "\(refused.1)")
            let accepted = try await client.execute(
                uri: "/par",
                method: .post,
                headers: HTTPHelpers.form(authorization: basic),
                body: .init(string: FormParameters(form + [("resource", Self.mcpResource)]).encoded)
            ) { $0.status }
            #expect(accepted == .created)
        }
    }

    /// `/token` (client credentials): `invalid_target` without `resource`, `aud` = the resource with it;
    /// a client without the requirement still gets the default audience (the issuer).
    @Test func theTokenEndpointRefusesAGrantWithoutResource() async throws {
        try await withApp { client, app in
            let agent = TestClients.basicAuthorization(id: Self.agent, secret: Self.agentSecret)
            let (refused, error) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "read")], auth: agent)
            #expect(refused == .badRequest && error["error"] as? String == "invalid_target", "\(error)")
            let (status, body) = try await Flow.token(
                client,
                [("grant_type", "client_credentials"), ("scope", "read"), ("resource", Self.mcpResource)],
                auth: agent
            )
            #expect(status == .ok, "\(body)")
            #expect(try Self.audience(body) == [Self.mcpResource])

            let plain = TestClients.basicAuthorization(id: "plain", secret: Self.agentSecret)
            let (unchanged, issued) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "read")], auth: plain)
            #expect(unchanged == .ok, "\(issued)")
            #expect(try Self.audience(issued) == [app.engine.configuration.issuer])
        }
    }

    /// `resource_indicators: required` applies to every client; another value is refused at start.
    @Test func theServerWideSettingAppliesToEveryClient() async throws {
        try await withApp(yaml: Self.yaml(extra: "resource_indicators: required")) { client, _ in
            let plain = TestClients.basicAuthorization(id: "plain", secret: Self.agentSecret)
            let (refused, error) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "read")], auth: plain)
            #expect(refused == .badRequest && error["error"] as? String == "invalid_target", "\(error)")
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let page = try await browser.request(Flow.authorizeURI(scope: "read"))
            #expect(Flow.query(try #require(page.location))["error"] == "invalid_target")
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(file: "resource_indicators: always", environment: [:]) }
    }

    /// The resource AS role (jwt-bearer with an ID-JAG): an ID-JAG that names its resource is enough
    /// (the token's `aud` is that resource); one that names none, redeemed without `resource`, is `invalid_target`.
    @Test func anIDJAGRedemptionNeedsANamedResource() async throws {
        let fixture = try await IDJAGEndpointTests.make(configureB: { $0.resourceIndicators.everyClient = true })
        try await fixture.run { a, b in
            let named = try await IDJAGEndpointTests.redeem(b, try await IDJAGEndpointTests.idJAG(a, fixture), extra: [])
            #expect(named.status == .ok, "\(named.json)")
            #expect(try Self.audience(named.json) == [IDJAGEndpointTests.resource])
            let unnamed = try await IDJAGEndpointTests.forged(fixture, ["resource": nil])
            let refused = try await IDJAGEndpointTests.redeem(b, unnamed, extra: [])
            #expect(refused.status == .badRequest && refused.error == "invalid_target", "\(refused.json)")
        }
    }

    /// `client_id_metadata_documents.require_resource`: every client known by a document URL (the MCP clients).
    @Test func metadataDocumentClientsCanBeRequiredToNameTheResource() throws {
        let configuration = try ConfigurationLoader.load(
            file: "client_id_metadata_documents:\n  enabled: true\n  require_resource: true",
            environment: [:]
        )
        #expect(configuration.resourceIndicators.applies(to: Self.record("https://app.example/client.json")))
        #expect(!configuration.resourceIndicators.applies(to: Self.record("web-app")))
        #expect(!ServerConfiguration().resourceIndicators.applies(to: Self.record("https://app.example/client.json")))
    }

    static func record(_ id: String) -> ClientRecord {
        ClientRecord(id: id, authMethod: .none, grantTypes: [.authorizationCode], scopes: [], createdAt: Date())
    }

    /// `registration.require_resource` (the operator's choice; RFC 7591 has no member for it): a client that
    /// registers itself while it is set is stored with the mark, so its token requests must name the resource.
    /// Without the setting a self-registered client is unchanged.
    @Test(arguments: [true, false])
    func selfRegisteredClientsCanBeRequiredToNameTheResource(_ required: Bool) async throws {
        let yaml = Self.yaml(
            extra: """
                registration:
                  mode: open
                  allowed_grant_types: [client_credentials]
                  allowed_scopes: [read]
                  require_resource: \(required)
                """
        )
        try await withApp(yaml: yaml) { client, app in
            let registered = try await ClientRegistrationTests.send(
                client,
                json: ["grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic", "scope": "read"]
            )
            #expect(registered.status == .created, "\(registered.json)")
            let id = try #require(registered.json["client_id"] as? String)
            let secret = try #require(registered.json["client_secret"] as? String)
            let basic = TestClients.basicAuthorization(id: id, secret: secret)
            let (status, body) = try await Flow.token(client, [("grant_type", "client_credentials"), ("scope", "read")], auth: basic)
            if required {
                #expect(status == .badRequest && body["error"] as? String == "invalid_target", "\(body)")
            } else {
                #expect(status == .ok, "\(body)")
            }
        }
    }
}
