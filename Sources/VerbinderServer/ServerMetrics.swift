import NIOConcurrencyHelpers
import Prometheus

/// What the line protocol counts for Prometheus (`GET /metrics` on the HTTP side): connections
/// accepted, commands answered by verb and status code, and command latency by verb. The
/// registry is this daemon's own (not the process-wide swift-metrics bootstrap), so tests can
/// run several daemons in one process.
public final class ServerMetrics: Sendable {
    /// Every collector of this daemon; the HTTP side adds its own and renders them all.
    public let registry: PrometheusCollectorRegistry
    let connectionsAccepted: Counter
    let connectionsRefused: Counter
    /// Requests that failed because PostgreSQL could not answer (`ERR UNAVAILABLE`, `ERR INDOUBT`, an HTTP 503).
    public let databaseErrors: Counter
    private let answered = NIOLockedValueBox<[String: Counter]>([:])
    private let latencies = NIOLockedValueBox<[String: DurationHistogram]>([:])

    /// Latency buckets from 100 µs (a `PING`) to 10 s (a statement near its timeout).
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        connectionsAccepted = registry.makeCounter(descriptor: Self.metric("connections_accepted", "total",
                                                                           "Line-protocol connections accepted since the daemon started."))
        connectionsRefused = registry.makeCounter(descriptor: Self.metric("connections_refused", "total",
                                                                          "Line-protocol connections refused (ERR BUSY: too many at once, or from one address)."))
        databaseErrors = registry.makeCounter(descriptor: Self.metric("database_errors", "total",
                                                                      "Requests that failed because PostgreSQL could not answer (line protocol and HTTP)."))
    }

    /// The name `verbinder_<name>_<unit>` with its help text.
    public static func metric(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "verbinder", metricName: name, unitName: unit, helpText: help)
    }

    /// Counts one answered command. `verb` is a verb of the command table, or `unknown` for
    /// anything else (the label set stays bounded whatever clients send); `code` is `OK` or the
    /// error code.
    func commandAnswered(verb: String, code: String, duration: Duration) {
        let key = verb + " " + code
        let counter = answered.withLockedValue { counters -> Counter in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: Self.metric("commands", "total", "Line-protocol commands answered, by verb and status code."),
                                               labels: [("verb", verb), ("code", code)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        if code == "UNAVAILABLE" || code == "INDOUBT" { databaseErrors.increment() }
        let histogram = latencies.withLockedValue { histograms -> DurationHistogram in
            if let histogram = histograms[verb] { return histogram }
            let histogram = registry.makeDurationHistogram(descriptor: Self.metric("command_duration", "seconds",
                                                                                   "Time from a parsed request to its answer, by verb."),
                                                           labels: [("verb", verb)], buckets: Self.buckets)
            histograms[verb] = histogram
            return histogram
        }
        histogram.record(duration)
    }
}
