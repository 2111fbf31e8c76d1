import Hummingbird

/// Counts requests and records their latency, labelled by the matched route (never the raw path,
/// so unknown URLs cannot create unbounded label values).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.requestFinished(
                endpoint: context.endpointPath ?? "unmatched",
                method: request.method.rawValue,
                status: response.status.code,
                duration: ContinuousClock.now - start
            )
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.requestFinished(
                endpoint: context.endpointPath ?? "unmatched",
                method: request.method.rawValue,
                status: status,
                duration: ContinuousClock.now - start
            )
            throw error
        }
    }
}
