import Hummingbird
import TesseraEngine
import TesseraProtocol

/// The introspection endpoint (RFC 7662 §2), for authenticated confidential clients.
struct IntrospectionRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.introspection), use: introspect)
    }

    @Sendable func introspect(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
        let token = try form.require("token")
        let answer = try await engine.introspect(
            token: token,
            hint: form["token_type_hint"].map(TokenTypeHint.init(rawValue:)),
            credentials: credentials
        )
        return OAuthResponses.json(answer)
    }
}
