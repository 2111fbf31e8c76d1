public import Foundation
import HTTPTypes
public import Hummingbird
import MCP
public import TesseraProtocol
public import TesseraResource
public import TesseraResourceHummingbird

/// The example MCP server: the official MCP Swift SDK's Streamable HTTP transport behind
/// Hummingbird, protected by Tessera (docs/mcp.md, "The Swift example server").
///
/// - `POST /mcp` (the path of ``Configuration/resource``): JSON-RPC, after
///   ``MCPAuthorizationMiddleware`` accepted the access token; `GET`/`DELETE` are answered 405 by
///   the transport (no server-initiated stream, no sessions).
/// - `GET /.well-known/oauth-protected-resource/mcp`: RFC 9728 metadata naming Tessera.
///
/// Each HTTP request gets its own MCP `Server` on a `StatelessHTTPServerTransport` (as the Python
/// SDK's `stateless_http` does): the SDK's `Server` keeps one client's `initialize` state, so one
/// shared instance would refuse every client after the first; and a per-request server lets the
/// `tools/call` handler hold the token verified for exactly this request, so no token can leak
/// into another caller's call.
public struct WeatherMCPServer: Sendable {
    public struct Configuration: Sendable {
        /// Tessera's issuer identifier.
        public var issuer: String
        /// The MCP endpoint's URL: the resource identifier (RFC 8707) tokens must carry in `aud`.
        public var resource: String
        /// The scope every MCP request needs (the spec's 401/403 challenges name it).
        public var requiredScopes: Scope = Scope(["mcp:tools"])
        /// The server's own Cedar policies.
        public var ownPolicies: String
        /// The grant for tokens without a weather-tools Cedar entry; `nil` refuses their tool calls.
        public var defaultGrant: String?
        /// Where Tessera's keys are; `nil` reads `jwks_uri` from its metadata.
        public var jwksURI: String?

        public init(issuer: String, resource: String, ownPolicies: String, defaultGrant: String?) {
            self.issuer = issuer
            self.resource = resource
            self.ownPolicies = ownPolicies
            self.defaultGrant = defaultGrant
        }
    }

    public let configuration: Configuration
    public let resourceServer: OAuthResourceServer
    public let calls: ToolCalls
    let allowedHosts: [String]

    public init(
        configuration: Configuration,
        cache: ForecastCache = ForecastCache(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        guard let url = URLComponents(string: configuration.resource), let host = url.host, !url.path.isEmpty, url.path != "/" else {
            throw ConfigurationProblem("the resource must be the MCP endpoint's full URL, e.g. http://127.0.0.1:8001/mcp")
        }
        self.configuration = configuration
        var rs = OAuthResourceServer.Configuration(issuer: configuration.issuer, resource: configuration.resource)
        rs.jwksURI = configuration.jwksURI
        rs.scopesSupported = configuration.requiredScopes.tokens
        rs.resourceName = "Weather tools (Tessera MCP example)"
        self.resourceServer = OAuthResourceServer(configuration: rs, now: now)
        let tools = WeatherTools.all(cache: cache)
        self.calls = ToolCalls(
            tools: tools,
            authorizer: try ToolAuthorizer(
                ownPolicies: configuration.ownPolicies,
                defaultGrant: configuration.defaultGrant,
                tools: tools,
                now: now
            )
        )
        let authority = url.port.map { "\(host):\($0)" } ?? host
        self.allowedHosts = [authority]
    }

    /// The routes.
    public func router() -> Router<OAuthResourceContext> {
        let router = Router(context: OAuthResourceContext.self)
        router.addProtectedResourceMetadata(resourceServer)
        let path = RouterPath(URLComponents(string: configuration.resource)?.path ?? "/mcp")
        let endpoint = router.group(path).add(
            middleware: MCPAuthorizationMiddleware(resourceServer, requiredScopes: configuration.requiredScopes)
        )
        let handler: @Sendable (Request, OAuthResourceContext) async throws -> Response = { request, context in
            try await self.handle(request, context: context)
        }
        endpoint.post(use: handler)
        endpoint.get(use: handler)
        endpoint.delete(use: handler)
        return router
    }

    func handle(_ request: Request, context: OAuthResourceContext) async throws -> Response {
        guard let token = context.accessToken else { return Response(status: .unauthorized) }
        let mcpRequest = try await MCPTransportAdapter.mcpRequest(request)
        if let refusal = ToolScopes.refusal(
            for: mcpRequest.body,
            token: token,
            tools: calls.tools,
            endpointScopes: configuration.requiredScopes,
            metadataURL: resourceServer.metadataURL
        ) {
            return OAuthResourceMiddleware<OAuthResourceContext>.response(for: refusal)
        }
        let answer = await serve(mcpRequest, token: token)
        return MCPTransportAdapter.response(answer)
    }

    /// One JSON-RPC exchange with a fresh MCP server whose tool handler knows `token`.
    func serve(_ request: MCP.HTTPRequest, token: VerifiedAccessToken) async -> MCP.HTTPResponse {
        let server = Server(
            name: "tessera-weather-example",
            version: "1.0.0",
            title: "Weather tools behind Tessera",
            instructions: "Each tool call is decided in Cedar against the policies your Tessera token grants.",
            capabilities: .init(tools: .init(listChanged: false))
        )
        let calls = self.calls
        await server.withMethodHandler(ListTools.self) { _ in calls.list }
        await server.withMethodHandler(CallTool.self) { parameters in try await calls.call(parameters, token: token) }
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                // DNS-rebinding protection: only this server's own host name (and browser origins on it).
                OriginValidator(allowedHosts: allowedHosts, allowedOrigins: allowedHosts.flatMap { ["http://\($0)", "https://\($0)"] }),
                AcceptHeaderValidator(mode: .jsonOnly),
                ContentTypeValidator(),
                ProtocolVersionValidator(),
            ])
        )
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("the MCP server could not start"))
        }
        let answer = await transport.handleRequest(request)
        await server.stop()
        return answer
    }
}

/// A configuration the example cannot run with.
public struct ConfigurationProblem: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
