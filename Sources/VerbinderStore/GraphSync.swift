import Foundation
import Logging
import NIOConcurrencyHelpers
import PQ
import VerbinderGraph

/// Keeps every daemon's in-memory graph coherent with PostgreSQL and with each other.
///
/// A write sends `NOTIFY verbinder_graph` in its own transaction, so the notice goes out
/// exactly when the change commits. Every daemon LISTENs; for each notice from another
/// daemon it re-reads the changed node or relation and applies what it finds (present:
/// upsert; gone: remove), which is correct whatever order notices arrive in. When the
/// listening connection is lost, notices may have been missed, so it reloads everything.
public final class GraphSync: Sendable {
    public static let channel = "verbinder_graph"

    /// Identifies this daemon's own notices, which it has already applied.
    public let instance = UUID().uuidString.prefix(8).lowercased()
    private let graph: LiveGraph
    private let conninfo: String
    private let logger: Logger
    private let listener: NIOLockedValueBox<Listener?> = NIOLockedValueBox(nil)
    private let loaded = NIOLockedValueBox(false)
    private let refresher: NIOLockedValueBox<Connection?> = NIOLockedValueBox(nil)
    /// Shared with the local writers: a re-read and its apply never interleave with a local write of the same node.
    public let locks: KeyLocks

    /// Called (on the listener thread) when tokens were added or revoked, and after every (re)connect.
    private let onTokensChanged: @Sendable () -> Void

    public init(graph: LiveGraph, conninfo: String, locks: KeyLocks, logger: Logger, onTokensChanged: @escaping @Sendable () -> Void = {}) {
        self.graph = graph
        self.locks = locks
        self.onTokensChanged = onTokensChanged
        self.conninfo = conninfo
        self.logger = logger
        self.notifier = ChangeNotifier(conninfo: conninfo, channel: GraphSync.channel, logger: logger)
    }

    private let notifier: ChangeNotifier
    private let stopping = NIOLockedValueBox(false)

    /// The safety net for a notice that never came (a daemon that died between its commit and
    /// its notice): every 10 s compare row counts with memory; a difference that persists,
    /// unchanged, over two checks is no write in flight but drift, and the graph is reloaded.
    private func reconcile() {
        var suspect: (nodes: Int, relations: Int)?
        // VERBINDER_RECONCILE_SECONDS shortens the interval (tests).
        let ticks = max(1, Int(ProcessInfo.processInfo.environment["VERBINDER_RECONCILE_SECONDS"] ?? "") ?? 10) * 10
        while !stopping.withLockedValue({ $0 }) {
            for _ in 0..<ticks where !stopping.withLockedValue({ $0 }) { usleep(100_000) }
            guard !stopping.withLockedValue({ $0 }), loaded.withLockedValue({ $0 }) else { continue }
            guard let connection = try? Connection(conninfo), let stored = try? GraphQueries.counts(connection) else { continue }
            connection.close()
            let memory = graph.counts
            if stored.nodes == memory.nodes && stored.relations == memory.relations {
                suspect = nil
            } else if let previous = suspect, previous == stored {
                logger.warning("graph differs from the database (\(memory.nodes)/\(memory.relations) in memory, \(stored.nodes)/\(stored.relations) stored); reloading")
                reload(reason: "reconciliation")
                suspect = nil
            } else {
                suspect = stored
            }
        }
    }

    /// A change to announce.
    public enum Change: Sendable {
        /// A node's fields or aliases.
        case node(key: String)
        case relation(Relation)
        /// A theme of the vocabulary.
        case theme(key: String)
    }

    /// Announces committed changes to the other daemons (coalesced; see ChangeNotifier).
    public func announce(_ changes: [Change]) {
        notifier.enqueue(changes.map { change in
            switch change {
            case .node(let key): return "\(instance)|node|\(key)"
            case .relation(let relation): return "\(instance)|rel|\(relation.from)|\(relation.kind.rawValue)|\(relation.to)"
            case .theme(let key): return "\(instance)|theme|\(key)"
            }
        })
    }

    /// Starts listening and loads the graph; returns once the first load is done (or throws
    /// after `timeout` seconds without a database).
    public func start(timeout: Double = 60) throws {
        let listener = Listener(conninfo: conninfo, channels: [GraphSync.channel, TokenStore.channel], onConnect: { [self] reconnect in
            onTokensChanged()
            reload(reason: reconnect ? "listening connection re-established" : "start-up")
        }, handler: { [self] note in
            if note.channel == TokenStore.channel { onTokensChanged() } else { apply(note) }
        })
        self.listener.withLockedValue { $0 = listener }
        notifier.start()
        listener.start()
        let reconciler = Thread { [self] in reconcile() }
        reconciler.name = "verbinder-reconcile"
        reconciler.start()
        let deadline = Date().addingTimeInterval(timeout)
        while !loaded.withLockedValue({ $0 }) {
            if Date() > deadline { throw PQError(kind: .connection, message: "could not load the graph within \(Int(timeout)) s") }
            usleep(10_000)
        }
    }

    public func stop() {
        stopping.withLockedValue { $0 = true }
        notifier.stop()
        listener.withLockedValue { $0?.stop() }
        refresher.withLockedValue { $0?.close(); $0 = nil }
    }

    private func reload(reason: String) {
        let started = ContinuousClock.now
        do {
            let connection = try Connection(conninfo)
            defer { connection.close() }
            // Holding every key lock: a local write commits either before the snapshot is read
            // (and is in it) or after the new graph is in place (and applies to it). Without
            // this, a write that committed during the load and was applied to the old graph
            // would vanish from memory with it, and its own daemon skips its notice.
            let fresh = try locks.withAllLocks { () throws -> Graph in
                let fresh = try GraphQueries.loadGraph(connection)
                graph.replace(with: fresh)
                return fresh
            }
            loaded.withLockedValue { $0 = true }
            logger.info("graph loaded", metadata: [
                "reason": "\(reason)", "nodes": "\(fresh.nodeCount)", "relations": "\(fresh.relationCount)",
                "took": "\(ContinuousClock.now - started)",
            ])
        } catch {
            logger.error("graph reload failed: \(error)")
        }
    }

    /// Runs on the listener thread, one notice at a time, so changes apply in commit order.
    private func apply(_ note: ChannelNotification) {
        // Under this daemon's own writes most notices are its own: they are skipped on their
        // bytes, before anything is split or copied.
        let own = Array((instance + "|").utf8)
        for notice in note.payload.utf8.split(separator: UInt8(ascii: ";")) where !notice.starts(with: own) {
            apply(notice: String(decoding: notice, as: UTF8.self))
        }
    }

    private func apply(notice: String) {
        let parts = notice.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] != instance else { return }
        do {
            let connection = try refresherConnection()
            switch parts[1] {
            case "node":
                let key = parts[2]
                try locks.withLocks([key]) { () throws -> Void in
                    if let node = try GraphWrites.fetchNode(connection, key: key) {
                        graph.write { _ = $0.upsert(node) }
                    } else {
                        graph.write { _ = $0.remove(key: key) }
                    }
                }
            case "theme":
                if let theme = try ThemeStore.fetch(connection, key: parts[2]) {
                    graph.write { $0.vocabulary.upsert(theme) }
                }
            case "reload":
                reload(reason: "bulk load by \(parts[0])")
            case "rel":
                guard parts.count == 5, let kind = RelationKind(rawValue: parts[3]) else { return }
                try locks.withLocks([parts[2], parts[4]]) { () throws -> Void in
                    if let relation = try GraphWrites.fetchRelation(connection, from: parts[2], kind: kind, to: parts[4]) {
                        graph.write { _ = $0.link(relation) }
                    } else {
                        graph.write { _ = $0.unlink(Relation(from: parts[2], kind: kind, to: parts[4])) }
                    }
                }
            default:
                return
            }
        } catch {
            logger.warning("could not apply a change from another daemon (\(error)); reloading")
            refresher.withLockedValue { $0?.close(); $0 = nil }
            reload(reason: "missed change")
        }
    }

    private func refresherConnection() throws -> Connection {
        try refresher.withLockedValue { current in
            if let current, current.isHealthy { return current }
            let fresh = try Connection(conninfo)
            current = fresh
            return fresh
        }
    }
}
