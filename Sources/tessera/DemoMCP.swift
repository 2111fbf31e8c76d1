import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MCPServerExample
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraResourceHummingbird
import TesseraServer

/// `tessera demo mcp`: MCP Enterprise-Managed Authorization — the ID-JAG profile
/// (draft-ietf-oauth-identity-assertion-authz-grant) of identity chaining — end to end, in one command.
///
/// The example MCP server of `Examples/MCPServer` (weather tools on the official MCP Swift SDK,
/// each call decided in Cedar) runs **in this process**: the CLI links the example's library, so
/// the command works from a fresh clone (`swift run tessera demo mcp`) with no second binary to
/// build or find and no files to read from the working directory.
struct MCPDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "MCP enterprise flow: ID token at the IdP, ID-JAG, access token at the MCP server's AS, tool calls.",
        discussion: """
            Starts two Tessera issuers — the enterprise IdP and the MCP server's authorization server (the
            resource AS) — and the example weather MCP server on free loopback ports with in-memory databases.
            Then walks the flow, printing every request and the decoded tokens: the person signs in at the IdP
            (authorization code with PKCE S256, scope openid) and the client keeps the ID token; the client
            exchanges it at the IdP for an ID-JAG (RFC 8693, requested_token_type id-jag); redeems the ID-JAG
            at the resource AS (RFC 7523 jwt-bearer, with resource, which this resource AS requires); calls a
            tool the MCP server's Cedar policy permits and one it refuses; and ends with the attacks that are
            refused. Nothing is written to disk; everything is stopped at the end.
            """
    )

    @Option(help: "Address the servers listen on.")
    var host = "127.0.0.1"

    func run() async throws {
        DemoNarration.quietLogs()
        let walk = try await MCPEnterpriseWalk(host: host)
        try await walk.run()
    }
}

/// The demo's three servers and its narration.
struct MCPEnterpriseWalk {
    let idpIssuer: String
    let resourceASIssuer: String
    let mcpResource: String
    let idp: TesseraApplication
    let resourceAS: TesseraApplication
    let mcpServer: Application<RouterResponder<OAuthResourceContext>>
    let idpSecret = TokenIssuer.randomIdentifier()
    let resourceASSecret = TokenIssuer.randomIdentifier()
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static let clientID = "enterprise-agent"
    static let redirectURI = "http://127.0.0.1:33419/callback"
    static let user = ("mona", "mona-password-1")
    static let scope = "mcp:tools"

    /// The MCP server's own policies, as `Examples/MCPServer/server.cedar`.
    static let serverPolicies = """
        permit (principal, action, resource);
        forbid (principal, action, resource) when { resource.destructive } unless { context.scopes.contains("weather:admin") };
        """
    /// What a token without a Cedar grant of its own may do. An ID-JAG redemption grants scopes, not
    /// Cedar policies, so this is the policy that decides the enterprise agent's calls.
    static let grantForScopedTokens = """
        permit (principal, action == Weather::Action::"get_forecast", resource) when { context.arguments.city == "Berlin" };
        """

    init(host: String) async throws {
        let idpPort = try FreePort.find(host: host)
        let asPort = try FreePort.find(host: host)
        let mcpPort = try FreePort.find(host: host)
        idpIssuer = "http://\(host):\(idpPort)"
        resourceASIssuer = "http://\(host):\(asPort)"
        mcpResource = "http://\(host):\(mcpPort)/mcp"

        var idpConfiguration = DemoNarration.server(
            host: host,
            port: idpPort,
            client: Self.clientID,
            secret: idpSecret,
            grantTypes: [GrantType.authorizationCode.rawValue, GrantType.tokenExchange.rawValue],
            scopes: "openid"
        )
        idpConfiguration.users = [UserDefinition(username: Self.user.0, password: Self.user.1, displayName: "Mona")]
        idpConfiguration.clients[0].redirectURIs = [Self.redirectURI]
        // The IdP issues ID-JAGs for the resource AS: for this client, this MCP server, this scope.
        var forResourceAS = TrustConfiguration.Peer(name: "mcp-as", issuer: resourceASIssuer)
        var issuing = IDJAGTrust()
        issuing.resources = [mcpResource]
        issuing.clients = [Self.clientID]
        issuing.scopes = Scope([Self.scope])
        forResourceAS.idJAG = issuing
        idpConfiguration.chaining.peers = [forResourceAS]

        var asConfiguration = DemoNarration.server(
            host: host,
            port: asPort,
            client: Self.clientID,
            secret: resourceASSecret,
            grantTypes: [GrantType.jwtBearer.rawValue],
            scopes: Self.scope
        )
        // The resource AS redeems the IdP's ID-JAGs (keys from its JWK Set) for the MCP server only,
        // and issues no token that does not name its resource (RFC 8707; `resource_indicators: required`).
        var trustedIdP = TrustConfiguration.Peer(name: "idp", issuer: idpIssuer)
        trustedIdP.jwksURI = idpIssuer + "/jwks"
        var redeeming = IDJAGTrust()
        redeeming.resources = [mcpResource]
        trustedIdP.idJAG = redeeming
        asConfiguration.chaining.peers = [trustedIdP]
        asConfiguration.resourceIndicators.everyClient = true

        let logger = Logger(label: "tessera-demo")
        idp = try await buildApplication(idpConfiguration, dependencies: ServerDependencies(logger: logger))
        resourceAS = try await buildApplication(asConfiguration, dependencies: ServerDependencies(logger: logger))
        let weather = try WeatherMCPServer(
            configuration: .init(
                issuer: resourceASIssuer,
                resource: mcpResource,
                ownPolicies: Self.serverPolicies,
                defaultGrant: Self.grantForScopedTokens
            )
        )
        mcpServer = Application(
            router: weather.router(),
            configuration: .init(address: .hostname(host, port: mcpPort)),
            logger: logger
        )
    }

    func run() async throws {
        let ready = [
            idpIssuer + "/healthz", resourceASIssuer + "/healthz", ProtectedResourceMetadata.metadataURL(for: mcpResource) ?? mcpResource,
        ]
        do {
            try await DemoNarration.run([idp.application, resourceAS.application, mcpServer], readyAt: ready, http: http, walk)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    // MARK: - The walk

    private func walk() async throws {
        print(
            """
            MCP Enterprise-Managed Authorization: ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant)
              IdP (enterprise):        \(idpIssuer)   person '\(Self.user.0)' signs in here
              resource AS (MCP's AS):  \(resourceASIssuer)   redeems the IdP's ID-JAGs; requires 'resource' (RFC 8707)
              MCP server:              \(mcpResource)   Examples/MCPServer: weather tools, tokens of the resource AS
              client '\(Self.clientID)' is registered at the IdP and at the resource AS
              The MCP server decides each tool call in Cedar. Its own policies:
            \(Self.indented(Self.serverPolicies))
              and, for tokens that carry scopes but no Cedar grant of their own (as ID-JAG redemptions do):
            \(Self.indented(Self.grantForScopedTokens))
            """
        )

        DemoNarration.step(1, "The person signs in at the IdP: authorization code with PKCE S256 and scope openid → an ID token")
        let idToken = try await signIn()
        DemoNarration.show(token: idToken)

        DemoNarration.step(2, "Leg 1, token exchange at the IdP (RFC 8693): the ID token for an ID-JAG addressed to the resource AS")
        let exchange: [(String, String)] = [
            ("grant_type", GrantType.tokenExchange.rawValue), ("requested_token_type", TokenTypeIdentifier.idJAG),
            ("audience", resourceASIssuer), ("resource", mcpResource), ("scope", Self.scope),
            ("subject_token", idToken), ("subject_token_type", TokenTypeIdentifier.idToken),
        ]
        let issued = try await post(idpIssuer, secret: idpSecret, exchange)
        let idJAG = try DemoNarration.require(issued.json, "access_token")
        print("  The IdP checked the ID token (its signature, aud = this client) and its ID-JAG policy; token_type N_A,")
        print("  typ oauth-id-jag+jwt, aud = the resource AS, resource = the MCP server, single-use jti, no refresh token")
        DemoNarration.show(token: idJAG)

        DemoNarration.step(3, "Leg 2, jwt-bearer at the resource AS (RFC 7523): the ID-JAG for an access token to the MCP server")
        let redeemed = try await post(
            resourceASIssuer,
            secret: resourceASSecret,
            [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", idJAG), ("resource", mcpResource)]
        )
        let accessToken = try DemoNarration.require(redeemed.json, "access_token")
        print("  The resource AS checked the IdP's signature, typ, aud = its issuer, client_id = the authenticated client,")
        print("  the resource, and spent the jti; its token's aud is the MCP server")
        DemoNarration.show(token: accessToken)

        DemoNarration.step(4, "The MCP server without a token: 401 and where to find its authorization server (RFC 9728)")
        _ = try await mcp(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#, token: nil)

        DemoNarration.step(5, "A tool call the MCP server's Cedar policy permits: get_forecast for Berlin")
        _ = try await mcp(
            #"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"tessera-demo","version":"1"}}}"#,
            token: accessToken,
            quiet: true
        )
        let berlin = try await mcp(toolCall: "get_forecast", #"{"city":"Berlin","days":2}"#, id: 3, token: accessToken)

        DemoNarration.step(
            6,
            "A tool call the policy refuses: get_forecast for Paris (a tool error, not an HTTP error: no scope would help)"
        )
        let paris = try await mcp(toolCall: "get_forecast", #"{"city":"Paris"}"#, id: 4, token: accessToken)

        DemoNarration.step(7, "Attacks: the same ID-JAG again; the resource AS's own access token as an ID-JAG; a destructive tool")
        let replayed = try await post(
            resourceASIssuer,
            secret: resourceASSecret,
            [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", idJAG), ("resource", mcpResource)]
        )
        let ownToken = try await post(
            resourceASIssuer,
            secret: resourceASSecret,
            [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", accessToken), ("resource", mcpResource)]
        )
        _ = try await mcp(toolCall: "delete_forecast_cache", "{}", id: 5, token: accessToken)

        guard berlin.isError == false, paris.isError == true, replayed.status == 400, ownToken.status == 400 else {
            throw ValidationError("the demo expected Berlin permitted, Paris refused, and both attacks refused")
        }
        print("\nDone: one sign-in at the IdP became a token for the MCP server, and Cedar decided each tool call.")
    }

    // MARK: - Sign-in at the IdP, as a browser would

    /// Authorization code with PKCE at the IdP; the walk plays the browser (sign-in form, consent form).
    private func signIn() async throws -> String {
        let flow = AuthorizationCodeFlow(
            issuer: idpIssuer,
            authorizationEndpoint: idpIssuer + "/authorize",
            clientID: Self.clientID,
            redirectURI: Self.redirectURI
        )
        let request = flow.start(scope: "openid")
        print("  browser → GET \(idpIssuer)/authorize?response_type=code&client_id=\(Self.clientID)&scope=openid&code_challenge=…")
        let browser = InteractionPageDriver(base: idpIssuer)
        let held = try await browser.get(request.url)
        guard let consentPath = held.location else { throw ValidationError("the IdP did not hold the request: \(held.body)") }
        print("  browser → POST \(idpIssuer)/signin   username=\(Self.user.0) password=…")
        try await browser.signIn(username: Self.user.0, password: Self.user.1, next: consentPath)
        print("  browser → POST \(idpIssuer)\(consentPath)   decision=approve_all")
        let decided = try await browser.decide(consentPath: consentPath, decision: "approve_all")
        guard let callback = decided.location else { throw ValidationError("the IdP did not redirect back: \(decided.body)") }
        print("  ← 303 \(Self.shortened(callback))")
        let code = try flow.code(fromCallback: callback, for: request)
        print("  state and iss (RFC 9207) checked")
        let tokens = try await post(
            idpIssuer,
            secret: idpSecret,
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirectURI),
                ("code_verifier", request.codeVerifier),
            ]
        )
        return try DemoNarration.require(tokens.json, "id_token")
    }

    // MARK: - HTTP with narration

    private func post(_ issuer: String, secret: String, _ parameters: [(String, String)]) async throws -> (status: Int, json: [String: Any])
    {
        try await DemoNarration.postToken(issuer, clientID: Self.clientID, secret: secret, parameters, http: http)
    }

    private struct ToolResult {
        var isError: Bool?
    }

    private func mcp(toolCall name: String, _ arguments: String, id: Int, token: String) async throws -> ToolResult {
        let body = #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(name)","arguments":\#(arguments)}}"#
        let answer = try await mcp(body, token: token)
        let result = answer["result"] as? [String: Any]
        return ToolResult(isError: result.map { ($0["isError"] as? Bool) ?? false })
    }

    @discardableResult
    private func mcp(_ body: String, token: String?, quiet: Bool = false) async throws -> [String: Any] {
        if !quiet {
            print("  POST \(mcpResource)" + (token == nil ? "" : "   Authorization: Bearer <token>"))
            print("    \(body)")
        }
        var request = HTTPClientRequest(url: mcpResource)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        if !quiet {
            let shown = json.isEmpty ? String(decoding: data, as: UTF8.self) : DemoNarration.pretty(json)
            print("  → HTTP \(response.status.code) \(shown)")
            for challenge in response.headers["WWW-Authenticate"] { print("  WWW-Authenticate: \(challenge)") }
        }
        return json
    }

    // MARK: - Printing

    private static func indented(_ text: String) -> String {
        text.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
    }

    private static func shortened(_ url: String) -> String {
        url.count > 110 ? String(url.prefix(110)) + "…" : url
    }

}
