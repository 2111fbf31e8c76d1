import HTTPTypes
public import Hummingbird
public import TesseraProtocol
public import TesseraResource
public import TesseraResourceHummingbird

/// Lets a request to the MCP endpoint through only with a valid Tessera access token for this
/// server (RFC 9068 JWT: signature from Tessera's JWK Set, `iss`, `aud` = the server's resource
/// URL per RFC 8707, `exp`; DPoP proof when the token is bound, RFC 9449) that carries
/// `requiredScopes`.
///
/// Refusals are ``OAuthResourceServer``'s, with one addition the MCP authorization spec asks of
/// servers (2026-07-28, "Scope Selection Strategy"): every 401 challenge also names the `scope`
/// needed, besides `resource_metadata` (RFC 9728 §5.1); a 403 carries `error="insufficient_scope"`
/// with that scope (RFC 6750 §3.1).
public struct MCPAuthorizationMiddleware<Context: OAuthResourceRequestContext>: RouterMiddleware {
    public let resourceServer: OAuthResourceServer
    public let requiredScopes: Scope

    public init(_ resourceServer: OAuthResourceServer, requiredScopes: Scope) {
        self.resourceServer = resourceServer
        self.requiredScopes = requiredScopes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The DPoP `htu` is the public URL of the endpoint: the resource identifier itself.
        let resourceRequest = ResourceRequest(
            method: request.method.rawValue,
            uri: resourceServer.configuration.resource,
            authorization: request.headers[values: .authorization],
            dpop: request.headers[values: .dpop]
        )
        switch await resourceServer.authorize(resourceRequest, requiredScopes: requiredScopes) {
        case .success(let token):
            var context = context
            context.accessToken = token
            return try await next(request, context)
        case .failure(let refusal):
            return OAuthResourceMiddleware<Context>.response(for: Self.namingScope(refusal, requiredScopes))
        }
    }

    /// The refusal with `scope` on every challenge of a 401 that lacks it.
    static func namingScope(_ refusal: ResourceRefusal, _ scopes: Scope) -> ResourceRefusal {
        guard refusal.status == 401, !scopes.isEmpty else { return refusal }
        var refusal = refusal
        refusal.challenges = refusal.challenges.map { challenge in
            guard challenge["scope"] == nil else { return challenge }
            var challenge = challenge
            // Before resource_metadata, as the MCP spec's examples order them; the position has no meaning.
            let index = challenge.parameters.firstIndex { $0.name == "resource_metadata" } ?? challenge.parameters.endIndex
            challenge.parameters.insert((name: "scope", value: scopes.description), at: index)
            return challenge
        }
        return refusal
    }
}

// A literal RFC 9110 §5.1 token: `HTTPField.Name.init?` cannot fail for it.
extension HTTPField.Name {
    /// The `DPoP` request header carrying a proof JWT (RFC 9449 §4.1).
    // swift-format-ignore: NeverForceUnwrap
    fileprivate static let dpop = HTTPField.Name("DPoP")!
}
