import PQ
import VerbinderGraph

/// The audit trail read as the graph's change feed (see ``GraphSync``).
public enum ChangeFeed {
    /// What one audit row changed in the graph.
    public enum Change: Sendable, Equatable {
        case node(String)
        case relation(Relation)
        case theme(String)
        /// A bulk load (`verbinderd seed`): reload the whole graph.
        case everything
    }

    /// One row of the feed.
    public struct Row: Sendable {
        public var id: Int64
        /// nil: the row changed nothing in the graph (a workflow write).
        public var change: Change?
    }

    /// One read: its snapshot's `xmin`, `next` (a transaction id handed out after the
    /// snapshot, see ``horizon(inSnapshotOf:)``), the highest audit id it could see (of any
    /// daemon), and the rows after the cursor that other daemons and tools wrote.
    public struct Read: Sendable {
        public var xmin: Int64
        public var next: Int64
        public var maxID: Int64
        public var rows: [Row]
    }

    /// The audit actions that change the graph, by what they change.
    static let nodeActions: Set<String> = ["add", "set", "remove", "alias add", "alias remove"]
    static let relationActions: Set<String> = ["link", "unlink"]

    /// Reads, in one snapshot, the rows with an id above `cursor` not written by `daemon`.
    public static func read(_ connection: Connection, after cursor: Int64, skipping daemon: String, limit: Int) throws -> Read {
        try connection.transaction(isolation: .repeatableRead) { tx in
            let horizon = try self.horizon(inSnapshotOf: tx)
            let rows = try tx.query("""
                SELECT id, actor, changes->>'action', changes->>'node', changes->>'from', changes->>'relation',
                       changes->>'to', changes->>'theme'
                FROM audit WHERE id > $1 AND daemon IS DISTINCT FROM $2 ORDER BY id LIMIT $3
                """, [String(cursor), daemon, String(limit)]).all.map { row -> Row in
                Row(id: Int64(try row.int(0)), change: change(actor: try row.string(1), action: row.optionalString(2),
                                                             node: row.optionalString(3), from: row.optionalString(4),
                                                             relation: row.optionalString(5), to: row.optionalString(6),
                                                             theme: row.optionalString(7)))
            }
            return Read(xmin: horizon.xmin, next: horizon.next, maxID: horizon.maxID, rows: rows)
        }
    }

    /// In a `REPEATABLE READ` transaction that has taken no snapshot yet: the snapshot's `xmin`
    /// (every transaction id below it has ended), the highest audit id it sees, and `next`, a
    /// transaction id handed out after the snapshot was taken: every transaction that held an
    /// id when the snapshot was taken has a smaller one. (`pg_snapshot_xmax` is no such bound
    /// since PostgreSQL 14: it is the newest completed id plus one, and a transaction with a
    /// higher id can be running.) A graph change's audit row always follows a change of data in
    /// its transaction, so that transaction holds its id before the audit id is drawn.
    public static func horizon(inSnapshotOf tx: Connection) throws -> (xmin: Int64, next: Int64, maxID: Int64) {
        let row = try tx.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text, (SELECT coalesce(max(id), 0) FROM audit)::text")[0]
        let next = try tx.query("SELECT pg_current_xact_id()::text")[0]
        guard let xmin = Int64(try row.string(0)), let maxID = Int64(try row.string(1)), let after = Int64(try next.string(0)) else {
            throw PQError(kind: .decoding, message: "unreadable snapshot \(row.values)")
        }
        return (xmin, after, maxID)
    }

    /// The sessions of this database that hold a transaction id now (pid and id): a reload
    /// waits for these, not for the transactions of other databases in the cluster.
    public static func writersOfThisDatabase(_ connection: Connection) throws -> [String] {
        try connection.query("""
            SELECT pid::text || ':' || backend_xid::text FROM pg_stat_activity
            WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()
            """).all.map { try $0.string(0) }
    }

    /// Which of `writers` (from ``writersOfThisDatabase(_:)``) still hold that transaction.
    public static func stillRunning(_ writers: [String], _ connection: Connection) throws -> Int {
        guard !writers.isEmpty else { return 0 }
        return try connection.query("""
            SELECT count(*) FROM pg_stat_activity
            WHERE pid::text || ':' || backend_xid::text = ANY($1::text[])
            """, [PostgresArray.literal(writers)])[0].int(0)
    }

    static func change(actor: String, action: String?, node: String?, from: String?, relation: String?, to: String?,
                       theme: String?) -> Change? {
        if actor == "seed" { return .everything }
        guard let action else { return nil }
        if nodeActions.contains(action), let node { return .node(node) }
        if relationActions.contains(action), let from, let to, let kind = relation.flatMap(RelationKind.init(rawValue:)) {
            return .relation(Relation(from: from, kind: kind, to: to))
        }
        if action == "theme add", let theme { return .theme(theme) }
        return nil
    }
}
