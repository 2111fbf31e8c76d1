import Hummingbird
import TesseraEngine
import TesseraProtocol

/// The introspection endpoint (RFC 7662 §2), for authenticated confidential clients, and the revocation
/// endpoint (RFC 7009 §2): both take `token`, `token_type_hint` and the client's credentials.
struct TokenManagementRoutes: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.introspection)) { request, context in
            let (token, hint, credentials) = try await Self.parse(request, context)
            return OAuthResponses.json(try await engine.introspect(token: token, hint: hint, credentials: credentials))
        }
        router.post(RouterPath(Endpoints.revocation)) { request, context in
            let (token, hint, credentials) = try await Self.parse(request, context)
            try await engine.revoke(token: token, hint: hint, credentials: credentials)
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        }
    }

    /// The client's credentials, then the `token` and its `token_type_hint`, of either request.
    private static func parse(
        _ request: Request,
        _ context: TesseraRequestContext
    ) async throws -> (String, TokenTypeHint?, ClientCredentials) {
        let form = try await FormBody.parse(request, context: context)
        let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
        return (try form.require("token"), form["token_type_hint"].map(TokenTypeHint.init(rawValue:)), credentials)
    }
}
