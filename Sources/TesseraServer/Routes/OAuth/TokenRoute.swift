import Hummingbird
import TesseraEngine
import TesseraProtocol

/// The token endpoint (RFC 6749 §3.2).
struct TokenRoute: Sendable {
    let engine: GrantEngine
    let metrics: ServerMetrics

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.token), use: token)
    }

    @Sendable func token(_ request: Request, context: TesseraRequestContext) async -> Response {
        await OAuthEndpoint.run(logger: context.logger) {
            let form = try await FormBody.parse(request, context: context)
            let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
            let response = try await engine.token(form: form, credentials: credentials)
            metrics.tokenIssued(grantType: form["grant_type"] ?? "")
            return OAuthResponses.json(response)
        }
    }
}
