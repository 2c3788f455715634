import Foundation
import Prometheus
import VerbinderServer

/// `GET /metrics`: the line protocol's counters (``ServerMetrics``) with what the HTTP side
/// counts itself, and gauges read at scrape time (connections, database, graph, reminders,
/// change feed), in the Prometheus text format.
final class WebMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let connectionsOpen: Gauge
    private let uptime: Gauge
    private let databaseUp: Gauge
    private let poolOpen: Gauge
    private let poolSize: Gauge
    private let transactionsOpen: Gauge
    private let nodes: Gauge
    private let relations: Gauge
    private let feedLag: Gauge
    private let remindersByState: [String: Gauge]

    init(registry: PrometheusCollectorRegistry, reminderStates: [String]) {
        self.registry = registry
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: ServerMetrics.metric(name, unit, help))
        }
        connectionsOpen = gauge("connections_open", "", "Line-protocol connections open now.")
        uptime = gauge("uptime", "seconds", "Seconds since the daemon started.")
        databaseUp = gauge("database_up", "", "1 when PostgreSQL answered the probe within the last 3 seconds, else 0.")
        poolOpen = gauge("database_pool_connections_open", "", "PostgreSQL connections of the pool open now.")
        poolSize = gauge("database_pool_connections_max", "", "The pool's size (--pool-size).")
        transactionsOpen = gauge("database_batches_open", "", "Batches (BEGIN ... COMMIT) open now, each holding a pooled connection.")
        nodes = gauge("graph_nodes", "", "Nodes in the in-memory graph.")
        relations = gauge("graph_relations", "", "Relations in the in-memory graph.")
        feedLag = gauge("change_feed_lag", "seconds",
                        "Seconds since this daemon last had every change of the other daemons applied (about 1 when healthy).")
        remindersByState = Dictionary(uniqueKeysWithValues: reminderStates.map { state in
            (state, registry.makeGauge(descriptor: ServerMetrics.metric("reminders", "", "Reminder rows by state, read from PostgreSQL at each scrape."),
                                       labels: [("state", state)]))
        })
    }

    /// Sets the gauges from what the daemon knows now; `reminders` nil keeps the last counts
    /// (the database did not answer: `verbinder_database_up` says so).
    func update(services: Services, reminders: [String: Int]?) {
        connectionsOpen.set(to: Double(services.stats.openConnections))
        uptime.set(to: Double(services.stats.uptimeSeconds))
        let database = services.core.databaseStatus
        databaseUp.set(to: database.up ? 1.0 : 0.0)
        poolOpen.set(to: Double(database.openConnections))
        poolSize.set(to: Double(database.maxConnections))
        transactionsOpen.set(to: Double(database.openTransactions))
        let counts = services.graph.counts
        nodes.set(to: Double(counts.nodes))
        relations.set(to: Double(counts.relations))
        feedLag.set(to: services.sync.secondsSinceCaughtUp ?? .nan)
        for (state, count) in reminders ?? [:] { remindersByState[state]?.set(to: Double(count)) }
    }

    func text() -> [UInt8] { registry.emitToBuffer() }
}
