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

    /// One read: its snapshot's `xmin` and `xmax`, the highest audit id it could see (of any
    /// daemon), and the rows after the cursor that other daemons and tools wrote.
    public struct Read: Sendable {
        public var xmin: Int64
        public var xmax: Int64
        public var maxID: Int64
        public var rows: [Row]
    }

    /// The audit actions that change the graph, by what they change.
    static let nodeActions: Set<String> = ["add", "set", "remove", "alias add", "alias remove"]
    static let relationActions: Set<String> = ["link", "unlink"]

    /// Reads, in one snapshot, the rows with an id above `cursor` not written by `daemon`.
    public static func read(_ connection: Connection, after cursor: Int64, skipping daemon: String, limit: Int) throws -> Read {
        try connection.transaction(isolation: .repeatableRead) { tx in
            let horizon = try self.horizon(tx)
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
            return Read(xmin: horizon.xmin, xmax: horizon.xmax, maxID: horizon.maxID, rows: rows)
        }
    }

    /// The current snapshot's `xmin` (the oldest transaction still running), `xmax` (the next
    /// transaction id) and the highest audit id it sees.
    public static func horizon(_ connection: Connection) throws -> (xmin: Int64, xmax: Int64, maxID: Int64) {
        let row = try connection.query("""
            SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text, (SELECT coalesce(max(id), 0) FROM audit)::text
            FROM pg_current_snapshot() s
            """)[0]
        guard let xmin = Int64(try row.string(0)), let xmax = Int64(try row.string(1)), let maxID = Int64(try row.string(2)) else {
            throw PQError(kind: .decoding, message: "unreadable snapshot \(row.values)")
        }
        return (xmin, xmax, maxID)
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
