import HTTPTypes
import Hummingbird
import TesseraEngine
import TesseraProtocol

/// The token endpoint (RFC 6749 §3.2).
struct TokenRoute: Sendable {
    let engine: GrantEngine
    let metrics: ServerMetrics

    /// - Parameter router: the OAuth door's routes (behind its ``DoorErrors``).
    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.token), use: token)
    }

    @Sendable func token(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
        let dpopProofs = request.headers[values: .dpop]
        let response = try await engine.token(form: form, credentials: credentials, dpopProofs: dpopProofs)
        metrics.tokenIssued(grantType: form["grant_type"] ?? "")
        return OAuthResponses.json(response)
    }
}

/// RFC 9449 §8: the DPoP nonce to use next, on the token endpoint's every answer — `use_dpop_nonce`
/// errors and (proactively) successes. It sits outside the door's ``DoorErrors``, so it sees errors as responses.
struct DPoPNonceMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let dpop: DPoPService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if let nonce = dpop.currentNonce { response.headers[.dpopNonce] = nonce }
        return response
    }
}
