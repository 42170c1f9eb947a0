import Foundation
import Hummingbird
import Prometheus

/// The service's Prometheus metrics (`GET /metrics`): requests by route, method and status; request
/// latency, split for inference into time queued and time computing; batch sizes; requests in
/// flight; resident memory; catalogue items.
public final class ServerMetrics: Sendable {
    /// The registry the text format is written from.
    public let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let queueSeconds, computeSeconds: DurationHistogram
    private let batchSize: ValueHistogram
    private let residentMemory, indexItems, queueDepth: Gauge
    private static let latencyBuckets: [Duration] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    /// A registry with every metric made.
    public init() {
        inFlight = registry.makeGauge(descriptor: .init(namespace: "fashion", metricName: "http_requests_in_flight",
                                                        helpText: "Requests being answered"))
        queueSeconds = registry.makeDurationHistogram(
            descriptor: .init(namespace: "fashion", metricName: "inference_queue", unitName: "seconds",
                              helpText: "Time a request's images waited for the model"),
            labels: [], buckets: Self.latencyBuckets)
        computeSeconds = registry.makeDurationHistogram(
            descriptor: .init(namespace: "fashion", metricName: "inference_compute", unitName: "seconds",
                              helpText: "Time of the batch pass that answered a request"),
            labels: [], buckets: Self.latencyBuckets)
        batchSize = registry.makeValueHistogram(
            descriptor: .init(namespace: "fashion", metricName: "inference_batch_size", helpText: "Images per model pass, per request"),
            labels: [], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        residentMemory = registry.makeGauge(descriptor: .init(namespace: "fashion", metricName: "resident_memory", unitName: "bytes",
                                                              helpText: "Resident memory of the process"))
        indexItems = registry.makeGauge(descriptor: .init(namespace: "fashion", metricName: "index_items",
                                                          helpText: "Items in the catalogue index"))
        queueDepth = registry.makeGauge(descriptor: .init(namespace: "fashion", metricName: "inference_queue_depth",
                                                          helpText: "Images waiting for the model"))
    }

    /// Counts one answered request and its latency.
    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: .init(namespace: "fashion", metricName: "http_requests", unitName: "total",
                                               helpText: "Requests answered, by route, method and status"),
                             labels: [("route", route), ("method", method), ("status", "\(status)")]).increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "fashion", metricName: "http_request_duration", unitName: "seconds",
                                                         helpText: "Time to answer a request, by route"),
                                       labels: [("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    /// Records where an inference request's time went.
    func record(_ result: InferenceQueue.Result) {
        queueSeconds.record(.nanoseconds(Int64(result.queueSeconds * 1e9)))
        computeSeconds.record(.nanoseconds(Int64(result.computeSeconds * 1e9)))
        batchSize.record(Double(result.batchSize))
    }

    /// Requests in flight, up or down by one.
    func requestStarted() { inFlight.increment(by: 1) }
    func requestEnded() { inFlight.decrement(by: 1) }

    /// The text format, with the gauges read now.
    func exposition(indexItems items: Int?, queueDepth depth: Int) -> String {
        residentMemory.set(Double(Self.residentBytes() ?? 0))
        indexItems.set(Double(items ?? 0))
        queueDepth.set(Double(depth))
        return registry.emitToString()
    }

    /// The resident set size from /proc/self/statm (nil where there is none).
    public static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Counts every request by route, method and status (after errors became answers) and its latency,
/// and the requests in flight.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        metrics.requestStarted()
        defer { metrics.requestEnded() }
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            metrics.record(route: context.endpointPath ?? "unknown", method: request.method.rawValue, status: status,
                           duration: .now - started)
            return response
        } catch let error as any HTTPResponseError {
            metrics.record(route: context.endpointPath ?? "unknown", method: request.method.rawValue, status: error.status.code,
                           duration: .now - started)
            throw error
        }
    }
}
