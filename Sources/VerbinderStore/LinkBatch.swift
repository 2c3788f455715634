import PQ
import VerbinderGraph

/// Many new relations, each with its audit row, written as one SQL statement and one commit.
///
/// For group commit of `LINK` (see `LinkGroupCommit` in VerbinderCore). All rows are written or
/// none: a relation that exists already (another daemon wrote it a moment ago) fails the whole
/// statement with a unique violation, and the caller writes that group again one row at a
/// time, so each request still gets its own answer. That case is rare (the daemon checks its
/// graph before queueing a `LINK`), and leaving out `ON CONFLICT DO NOTHING`, its `RETURNING`
/// and the join back to the input makes every statement about a fifth cheaper.
/// Rows of one batch must be distinct relations.
public enum LinkBatch {
    /// One relation to write and the audit row that goes with it.
    public struct Row: Sendable {
        public var relation: Relation
        public var actor: Actor
        public var command: String
        public var changes: [String: String]

        public init(relation: Relation, actor: Actor, command: String, changes: [String: String]) {
            self.relation = relation.canonical
            self.actor = actor
            self.command = command
            self.changes = changes
        }
    }

    /// Writes the rows, each with its audit row, in one statement and one commit. Throws
    /// (SQLSTATE 23505) when any of the relations exists, and then writes nothing.
    public static func insert(_ rows: [Row], on connection: Connection) throws {
        if rows.count == 1 {
            // A group of one (the common case when writes trickle in beside reads) is the plain
            // statement a lone write uses: unnesting twelve one-element arrays costs the database
            // about a quarter more per write than the rows themselves.
            let row = rows[0]
            try Audit.run(GraphWrites.insertRelation(row.relation), on: connection, actor: row.actor, command: row.command,
                          changes: row.changes)
            return
        }
        func column(_ value: (Row) -> String?) -> String? { PostgresArray.literal(optional: rows.map(value)) }
        try connection.queryPrepared("""
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[]) WITH ORDINALITY
                    AS i(from_key, relation, to_key, themes, since, until, note, actor, remote, conn, command, changes, daemon, write_id, n)
            ), inserted AS (
                INSERT INTO relations (from_key, relation, to_key, themes, since, until, note)
                SELECT from_key, relation, to_key, themes::text[], since::date, until::date, note FROM input ORDER BY n
                RETURNING 1
            ), logged AS (
                -- After the relations (it reads `inserted`): the transaction holds its id before
                -- an audit id is drawn, which the change feed relies on (ChangeFeed.horizon).
                INSERT INTO audit (actor, remote, connection, command, changes, daemon, write_id)
                SELECT actor, remote, conn::bigint, command, changes::jsonb, daemon, write_id FROM input
                WHERE EXISTS (SELECT 1 FROM inserted) ORDER BY n
            )
            SELECT count(*) FROM input
            """, [
                column { $0.relation.from }, column { $0.relation.kind.rawValue }, column { $0.relation.to },
                column { PostgresArray.literal($0.relation.themes) }, column { $0.relation.since }, column { $0.relation.until },
                column { $0.relation.note }, column { $0.actor.name }, column { $0.actor.remote },
                column { String($0.actor.connection) }, column { $0.command }, column { JSONText.object($0.changes) },
                column { $0.actor.daemon }, column { $0.actor.writeID },
            ])
    }
}
