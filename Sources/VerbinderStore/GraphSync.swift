import Foundation
import Synchronization
import Logging
import NIOConcurrencyHelpers
import PQ
import VerbinderGraph

/// Keeps every daemon's in-memory graph coherent with PostgreSQL and with each other.
///
/// **The change feed is the audit trail.** Every write commits its audit row with it, and the
/// row names what changed (`node`, `from`/`relation`/`to`, `theme`) and which daemon wrote it.
/// Each daemon reads the rows of the others in id order and re-reads each changed node,
/// relation or theme, applying what it finds (present: upsert; gone: remove): state, not
/// deltas, so applying a row twice or late is harmless. A `NOTIFY` only wakes the reader up;
/// it also reads once a second, so a lost notice (a daemon that died between its commit and its
/// notice, a listening connection that was down) costs a second at most, never a change.
///
/// Ids are handed out when rows are inserted, not when they commit, so a row can become
/// visible after rows with higher ids. The reader therefore keeps a `base` below which every
/// row has been applied, and above it the ids it has applied: `base` moves up to the highest id
/// visible at an earlier read once every transaction that held a transaction id then has ended
/// (`pg_snapshot_xmin` at a later read is past a transaction id drawn just after that read's
/// snapshot; see ``ChangeFeed/horizon(inSnapshotOf:)``).
///
/// A daemon applies its own writes before it answers (under the key locks) and skips its own
/// rows. A reload of the whole graph (at start, or when it fell far behind) holds every key
/// lock while it reads and swaps, so no local write falls between the snapshot and the swap.
public final class GraphSync: Sendable {
    public static let channel = "verbinder_graph"

    /// Identifies this daemon's audit rows and notices, which it has already applied.
    public let instance = UUID().uuidString.prefix(8).lowercased()
    private let graph: LiveGraph
    private let conninfo: String
    private let logger: Logger
    private let listener: NIOLockedValueBox<Listener?> = NIOLockedValueBox(nil)
    private let loaded = NIOLockedValueBox(false)
    /// Shared with the local writers: a re-read and its apply never interleave with a local write of the same node.
    public let locks: KeyLocks
    private let notifier: ChangeNotifier
    private let stopping = NIOLockedValueBox(false)
    private let feed = NIOLockedValueBox(FeedPosition())
    /// Set to 1 to wake the feed reader before its next one-second read.
    private let wake = ConditionLock(value: 0)
    /// Local changes whose outcome is unknown (the connection broke around the commit): read
    /// again from the database by the feed reader.
    private let uncertain = NIOLockedValueBox<[Change]>([])
    /// Why the reconciliation wants a reload (done by the feed reader, the one thread that
    /// moves the feed's position).
    private let reloadRequest = NIOLockedValueBox<String?>(nil)

    /// Moves on every change this daemon knows of: its own committed writes (announced before
    /// they are answered) and every row of the others' it reads, workflow rows included. An
    /// answer built from the database while it stood still is still true: the HTTP side keeps
    /// its pages and feeds by it.
    private let changes = Atomic<UInt64>(0)

    /// The current ``changes`` count: read it before building an answer, keep the answer with it.
    public var dataVersion: UInt64 { changes.load(ordering: .acquiring) }

    /// When the feed reader last had applied everything it could see (start-up load included).
    private let caughtUp = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    /// Seconds since the feed reader last had every visible change of the other daemons
    /// applied: the change-notice lag an operator watches (about 1 s at most while healthy).
    public var secondsSinceCaughtUp: Double? {
        caughtUp.withLockedValue { $0 }.map { instant in
            let elapsed = ContinuousClock.now - instant
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }

    /// Called (on the listener thread) when tokens were added or revoked, and after every (re)connect.
    private let onTokensChanged: @Sendable () -> Void

    /// Rows of one read at most; a daemon further behind than ``reloadDistance`` reloads instead.
    static let readLimit = 20_000
    static let reloadDistance: Int64 = 200_000

    public init(graph: LiveGraph, conninfo: String, locks: KeyLocks, logger: Logger, onTokensChanged: @escaping @Sendable () -> Void = {}) {
        self.graph = graph
        self.locks = locks
        self.onTokensChanged = onTokensChanged
        self.conninfo = conninfo
        self.logger = logger
        self.notifier = ChangeNotifier(conninfo: conninfo, channel: GraphSync.channel, logger: logger)
    }

    /// A change to announce.
    public enum Change: Sendable {
        /// A node's fields or aliases.
        case node(key: String)
        case relation(Relation)
        /// A theme of the vocabulary.
        case theme(key: String)
    }

    /// Wakes the other daemons' feed readers (coalesced; see ChangeNotifier). What changed
    /// they read from the audit trail.
    public func announce(_ changes: [Change]) {
        self.changes.add(1, ordering: .releasing)
        notifier.enqueue(changes.map { change in
            switch change {
            case .node(let key): return "\(instance)|node|\(key)"
            case .relation(let relation): return "\(instance)|rel|\(relation.from)|\(relation.kind.rawValue)|\(relation.to)"
            case .theme(let key): return "\(instance)|theme|\(key)"
            }
        })
    }

    /// Starts listening, loads the graph and starts the feed reader; returns once the first
    /// load is done (or throws after `timeout` seconds without a database).
    public func start(timeout: Double = 60) throws {
        let listener = Listener(conninfo: conninfo, channels: [GraphSync.channel, TokenStore.channel], onConnect: { [self] _ in
            onTokensChanged()
            poke()
        }, handler: { [self] note in
            if note.channel == TokenStore.channel { onTokensChanged() } else if isFromOthers(note) { poke() }
        })
        self.listener.withLockedValue { $0 = listener }
        notifier.start()
        listener.start()
        let reader = Thread { [self] in readFeed() }
        reader.name = "verbinder-feed"
        reader.start()
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
        poke()
    }

    /// Reads these changes again from the database at the feed reader's next turn, whatever
    /// it finds (for a local write whose connection broke around its commit: it may have
    /// committed, and its own audit row is skipped by the feed).
    public func refresh(_ changes: [Change]) {
        guard !changes.isEmpty else { return }
        uncertain.withLockedValue { $0 += changes }
        poke()
    }

    /// Wakes the feed reader now.
    private func poke() {
        wake.lock()
        wake.unlock(withValue: 1)
    }

    /// Whether a notice holds a change of another daemon (this daemon's own are skipped on
    /// their bytes, before anything is split or copied).
    private func isFromOthers(_ note: ChannelNotification) -> Bool {
        let own = Array((instance + "|").utf8)
        return note.payload.utf8.split(separator: UInt8(ascii: ";")).contains { !$0.starts(with: own) }
    }

    // MARK: - The feed reader

    /// Where the reader stands in the audit trail.
    struct FeedPosition {
        /// Every row with an id up to this one has been applied (or was in the loaded graph).
        var base: Int64 = 0
        /// Rows above `base` already applied.
        var seen: Set<Int64> = []
        /// Per read: a transaction id drawn after its snapshot, and the highest id it could see.
        var reads: [(next: Int64, maxID: Int64)] = []
    }

    /// The reader's thread: loads the graph, then reads the feed when woken and once a second.
    private func readFeed() {
        var connection: Connection?
        while !stopping.withLockedValue({ $0 }) {
            do {
                if connection == nil || connection?.checkAlive() != true {
                    connection?.close()
                    connection = try Connection(conninfo)
                }
                if !loaded.withLockedValue({ $0 }) {
                    try reload(connection!, reason: "start-up")
                } else if let reason = reloadRequest.withLockedValue({ $0 }) {
                    try reload(connection!, reason: reason)
                    reloadRequest.withLockedValue { $0 = nil }
                } else {
                    try catchUp(connection!)
                }
                caughtUp.withLockedValue { $0 = .now }
            } catch {
                connection?.close()
                connection = nil
                logger.debug("change feed: \(error)")
            }
            if wake.lock(whenValue: 1, timeoutSeconds: 1) { wake.unlock(withValue: 0) }
        }
        connection?.close()
    }

    /// Applies every row of the other daemons that is new since the last read.
    private func catchUp(_ connection: Connection) throws {
        let pending = uncertain.withLockedValue { changes -> [Change] in
            defer { changes = [] }
            return changes
        }
        do {
            try apply(nodes: pending.compactMap { if case .node(let key) = $0 { key } else { nil } },
                      relations: pending.compactMap { if case .relation(let relation) = $0 { relation } else { nil } },
                      themes: pending.compactMap { if case .theme(let key) = $0 { key } else { nil } },
                      on: connection)
        } catch {
            uncertain.withLockedValue { $0 = pending + $0 }
            throw error
        }
        var position = feed.withLockedValue { $0 }
        var cursor = position.base
        while true {
            let read = try ChangeFeed.read(connection, after: cursor, skipping: instance, limit: GraphSync.readLimit)
            if read.maxID - position.base > GraphSync.reloadDistance {
                try reload(connection, reason: "\(read.maxID - position.base) changes behind")
                return
            }
            var nodes: [String] = [], relations: [RelationIdentity: Relation] = [:], themes: [String] = []
            var fresh = 0
            for row in read.rows where !position.seen.contains(row.id) {
                position.seen.insert(row.id)
                fresh += 1
                switch row.change {
                case .node(let key): nodes.append(key)
                case .relation(let relation): relations[relation.identity] = relation
                case .theme(let key): themes.append(key)
                case .everything:
                    try reload(connection, reason: "bulk load")
                    return
                case nil: continue
                }
            }
            try apply(nodes: nodes, relations: Array(relations.values), themes: themes, on: connection)
            if fresh > 0 { self.changes.add(1, ordering: .releasing) }
            logger.trace("change feed read", metadata: [
                "cursor": "\(cursor)", "base": "\(position.base)", "xmin": "\(read.xmin)", "next": "\(read.next)",
                "max_id": "\(read.maxID)", "rows": "\(read.rows.map(\.id))", "nodes": "\(nodes)",
            ])
            position.reads.append((read.next, read.maxID))
            cursor = read.rows.last?.id ?? cursor
            if read.rows.count < GraphSync.readLimit {
                position.advance(to: read.xmin)
                feed.withLockedValue { $0 = position }
                return
            }
        }
    }

    private func apply(nodes: [String], relations: [Relation], themes: [String], on connection: Connection) throws {
        for key in Set(nodes) {
            try locks.withLocks([key]) { () throws -> Void in
                if let node = try GraphWrites.fetchNode(connection, key: key) {
                    graph.write { _ = $0.upsert(node) }
                } else {
                    graph.write { _ = $0.remove(key: key) }
                }
            }
        }
        for relation in relations {
            try locks.withLocks([relation.from, relation.to]) { () throws -> Void in
                if let stored = try GraphWrites.fetchRelation(connection, from: relation.from, kind: relation.kind, to: relation.to) {
                    graph.write { _ = $0.link(stored) }
                } else {
                    graph.write { _ = $0.unlink(relation) }
                }
            }
        }
        for key in Set(themes) {
            if let theme = try ThemeStore.fetch(connection, key: key) {
                graph.write { $0.vocabulary.upsert(theme) }
            }
        }
    }

    /// Loads the whole graph again. First waits (a minute at most) until every writing
    /// transaction of this database that was running at a first look has ended, so that every
    /// row up to the highest id that look saw is in the load; rows above it are read from the
    /// feed afterwards.
    private func reload(_ connection: Connection, reason: String) throws {
        defer { changes.add(1, ordering: .releasing) }
        let started = ContinuousClock.now
        // A transaction with an audit id at or below the highest one seen now held its
        // transaction id before that id was drawn, so it is among the writers of this database
        // listed right after the snapshot: wait for those (not for other databases' work).
        let (first, writers) = try connection.transaction(isolation: .repeatableRead) { tx in
            (try ChangeFeed.horizon(inSnapshotOf: tx), try ChangeFeed.writersOfThisDatabase(tx))
        }
        let deadline = Date().addingTimeInterval(60)
        while try ChangeFeed.stillRunning(writers, connection) > 0, Date() < deadline { usleep(20_000) }
        let fresh = try locks.withAllLocks { () throws -> Graph in
            let fresh = try connection.transaction(isolation: .repeatableRead) { tx in try GraphQueries.loadGraph(tx) }
            graph.replace(with: fresh)
            feed.withLockedValue { $0 = FeedPosition(base: first.maxID) }
            return fresh
        }
        loaded.withLockedValue { $0 = true }
        logger.info("graph loaded", metadata: [
            "reason": "\(reason)", "nodes": "\(fresh.nodeCount)", "relations": "\(fresh.relationCount)",
            "took": "\(ContinuousClock.now - started)",
        ])
    }

    /// The safety net for anything the feed could not tell: every 10 s compare row counts with
    /// memory; a difference that persists, unchanged, over two checks is no write in flight but
    /// drift, and the graph is reloaded.
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
                reloadRequest.withLockedValue { $0 = "reconciliation" }
                poke()
                suspect = nil
            } else {
                suspect = stored
            }
        }
    }
}

extension GraphSync.FeedPosition {
    /// Moves `base` up to the highest id of the latest read whose `next` lies at or below
    /// `xmin` now: every transaction that could still add a row at or below that id has ended,
    /// and the rows it committed were visible to this read.
    mutating func advance(to xmin: Int64) {
        guard let index = reads.lastIndex(where: { $0.next <= xmin }) else {
            if reads.count > 10_000 { reads.removeFirst(reads.count - 10_000) }
            return
        }
        base = max(base, reads[index].maxID)
        reads.removeFirst(index + 1)
        seen = seen.filter { $0 > base }
    }
}
