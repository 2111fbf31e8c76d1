import Foundation
import Prometheus

/// Prometheus metrics: request counts and latencies per endpoint, tokens issued per grant type.
///
/// Owned by the application (not a process-global bootstrap), so tests can build many
/// applications in one process.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    public init() {}

    func requestFinished(endpoint: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "tessera", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("endpoint", endpoint), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "tessera",
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "HTTP request latency"
            ),
            labels: [("endpoint", endpoint), ("method", method)],
            buckets: Self.buckets
        ).record(duration)
    }

    func tokenIssued(grantType: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "tessera",
                metricName: "tokens_issued",
                unitName: "total",
                helpText: "Token responses sent, per grant type"
            ),
            labels: [("grant_type", grantType)]
        ).increment()
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String { registry.emitToString() }
}
