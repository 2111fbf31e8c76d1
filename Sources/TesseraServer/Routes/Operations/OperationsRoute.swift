import Hummingbird
import NIOCore
import TesseraEngine

/// `/healthz` (the process answers), `/readyz` (the store answers) and `/metrics` (Prometheus text).
struct OperationsRoute: Sendable {
    let engine: GrantEngine
    let metrics: ServerMetrics
    /// Who may read `/metrics`: anyone else is answered 404, as if there were none.
    let exposure: MetricsExposure

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.health)) { _, _ in Self.text("ok\n") }
        router.get(RouterPath(Endpoints.ready)) { _, _ in
            await engine.isReady()
                ? Self.text("ready\n") : Self.text("not ready: database unreachable\n", status: .serviceUnavailable)
        }
        router.get(RouterPath(Endpoints.metrics)) { _, context in
            guard exposure.allows(context.channel.remoteAddress?.ipAddress) else { return Self.text("not found\n", status: .notFound) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
            )
        }
    }

    private static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
