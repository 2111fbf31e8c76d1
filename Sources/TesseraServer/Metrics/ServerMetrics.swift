import Foundation
import Prometheus
import Synchronization

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

    /// The series already made, by label values (issue 22): the registry builds the metric's name and looks the labels
    /// up under its lock on every `make…` call, about 2 % of a token's CPU. The labels are bounded (matched routes,
    /// methods, statuses, grant types of issued tokens), as they are for the registry itself.
    private let requestSeries = Mutex<[RequestLabels: (count: Counter, duration: DurationHistogram)]>([:])
    private let tokenSeries = Mutex<[String: Counter]>([:])

    private struct RequestLabels: Hashable {
        let endpoint: String
        let method: String
        let status: Int
    }

    public init() {}

    func requestFinished(endpoint: String, method: String, status: Int, duration: Duration) {
        let labels = RequestLabels(endpoint: endpoint, method: method, status: status)
        let series =
            requestSeries.withLock { $0[labels] }
            ?? {
                let made = (count: makeRequestCounter(labels), duration: makeDurationHistogram(labels))
                requestSeries.withLock { $0[labels] = made }
                return made
            }()
        series.count.increment()
        series.duration.record(duration)
    }

    func tokenIssued(grantType: String) {
        let counter =
            tokenSeries.withLock { $0[grantType] }
            ?? {
                let made = registry.makeCounter(
                    descriptor: .init(
                        namespace: "tessera",
                        metricName: "tokens_issued",
                        unitName: "total",
                        helpText: "Token responses sent, per grant type"
                    ),
                    labels: [("grant_type", grantType)]
                )
                tokenSeries.withLock { $0[grantType] = made }
                return made
            }()
        counter.increment()
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String { registry.emitToString() }

    private func makeRequestCounter(_ labels: RequestLabels) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "tessera", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("endpoint", labels.endpoint), ("method", labels.method), ("status", String(labels.status))]
        )
    }

    private func makeDurationHistogram(_ labels: RequestLabels) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "tessera",
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "HTTP request latency"
            ),
            labels: [("endpoint", labels.endpoint), ("method", labels.method)],
            buckets: Self.buckets
        )
    }
}
