import Prometheus

/// The server's Prometheus metrics, in a registry of its own (so several servers in one process, as in tests, do
/// not share counts): requests by route and status, request latency and batch size histograms by route, and the
/// engine's queue depth. `GET /metrics` renders them in the text exposition format.
final class ServingMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let requests = MetricNameDescriptor(namespace: "crossmodal", metricName: "http_requests", unitName: "total",
                                                       helpText: "HTTP requests answered, by route and status code.")
    private static let latency = MetricNameDescriptor(namespace: "crossmodal", metricName: "http_request_duration", unitName: "seconds",
                                                      helpText: "Time from a request's arrival to its response, by route.")
    private static let batchSize = MetricNameDescriptor(namespace: "crossmodal", metricName: "batch_size", unitName: "",
                                                        helpText: "Requests run together in one forward pass, by route.")
    private static let queueDepth = MetricNameDescriptor(namespace: "crossmodal", metricName: "queue_depth", unitName: "",
                                                         helpText: "Requests waiting for the engine.")
    private static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000].map { .milliseconds($0) }
    private static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]
    private let depth: Gauge

    init() {
        depth = registry.makeGauge(descriptor: Self.queueDepth)
    }

    /// Counts a response and its latency.
    func request(route: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    /// Records a batch the engine ran (size > 0) and the queue depth it left.
    func batch(route: String, size: Int, queueDepth: Int) {
        if size > 0 {
            registry.makeValueHistogram(descriptor: Self.batchSize, labels: [("route", route)], buckets: Self.batchBuckets).record(Double(size))
        }
        depth.set(Double(queueDepth))
    }

    /// All metrics in the Prometheus text format.
    func exposition() -> String { registry.emitToString() }
}
