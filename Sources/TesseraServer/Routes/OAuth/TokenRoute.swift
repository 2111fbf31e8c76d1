import HTTPTypes
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
        var response = await OAuthEndpoint.run(logger: context.logger) {
            let form = try await FormBody.parse(request, context: context)
            let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
            let dpopProofs = request.headers[values: .dpop]
            let response = try await engine.token(form: form, credentials: credentials, dpopProofs: dpopProofs)
            metrics.tokenIssued(grantType: form["grant_type"] ?? "")
            return OAuthResponses.json(response)
        }
        // RFC 9449 §8: the nonce to use next, on use_dpop_nonce errors and (proactively) on success.
        if let nonce = engine.dpop.currentNonce {
            response.headers[.dpopNonce] = nonce
        }
        return response
    }
}
