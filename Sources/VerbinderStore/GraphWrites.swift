import PQ
import VerbinderGraph
import VerbinderProtocol

/// Writes to the graph tables. Each runs with its audit row, in the caller's transaction or as
/// one statement (``WriteStatement``), so the change and its audit row commit or neither does.
public enum GraphWrites {
    public static func insertNode(_ node: Node) -> WriteStatement {
        WriteStatement("""
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, valid_from, valid_to, region_type)
            VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::jsonb, $9::date, $10::date, $11)
            RETURNING key
            """, params(node))
    }

    /// Changes the given fields of a node (nil: unchanged; `province`, `validFrom` and
    /// `validTo` "" clear it; `note` is merged into the attributes) and returns the node as stored.
    /// A region keeps its region type unless one is given (`other` when it becomes a region);
    /// any other kind of node has none.
    public static func updateNode(_ tx: Connection, key: String, kind: NodeKind?, name: String?, tier: Tier?,
                                  province: String?, themes: [String]?, note: String?,
                                  validFrom: String? = nil, validTo: String? = nil, regionType: RegionType? = nil) throws -> Node? {
        let rows = try tx.query("""
            UPDATE nodes SET kind = coalesce($2, kind), name = coalesce($3, name),
                   search_name = coalesce($4, search_name), tier = coalesce($5, tier),
                   province = CASE WHEN $6::text IS NULL THEN province ELSE NULLIF($6, '') END,
                   themes = coalesce($7::text[], themes),
                   attributes = CASE WHEN $8::text IS NULL THEN attributes
                                     ELSE attributes || jsonb_build_object('note', $8::text) END,
                   valid_from = CASE WHEN $9::text IS NULL THEN valid_from ELSE NULLIF($9, '')::date END,
                   valid_to = CASE WHEN $10::text IS NULL THEN valid_to ELSE NULLIF($10, '')::date END,
                   region_type = CASE WHEN coalesce($2, kind) <> 'region' THEN NULL ELSE coalesce($11, region_type, 'other') END,
                   updated_at = now()
            WHERE key = $1
            RETURNING \(GraphQueries.nodeColumns)
            """, [key, kind?.rawValue, name, name.map(Search.fold), tier?.rawValue, province,
                  themes.map(PostgresArray.literal), note, validFrom, validTo, regionType?.rawValue])
        return try rows.all.first.map(GraphQueries.decodeNode)
    }

    /// `ALIAS ADD`: returns a row when the alias was new for the node.
    public static func insertAlias(node key: String, alias: String) -> WriteStatement {
        WriteStatement("""
            INSERT INTO aliases (node_key, alias, search_alias) VALUES ($1, $2, $3)
            ON CONFLICT DO NOTHING RETURNING node_key
            """, [key, alias, Search.fold(alias)])
    }

    /// `ALIAS REMOVE`: returns a row when the node had the alias (compared folded).
    public static func deleteAlias(node key: String, alias: String) -> WriteStatement {
        WriteStatement("DELETE FROM aliases WHERE node_key = $1 AND search_alias = $2 RETURNING node_key",
                       [key, Search.fold(alias)])
    }

    /// Deletes a node and its relations; returns how many relations went.
    public static func deleteNode(_ tx: Connection, key: String) throws -> Int {
        let links = try tx.query("DELETE FROM relations WHERE from_key = $1 OR to_key = $1", [key]).affectedRows
        try tx.query("DELETE FROM nodes WHERE key = $1", [key])
        return links
    }

    public static func insertRelation(_ relation: Relation) -> WriteStatement {
        let relation = relation.canonical
        return WriteStatement("""
            INSERT INTO relations (from_key, relation, to_key, themes, since, until, note)
            VALUES ($1, $2, $3, $4::text[], $5::date, $6::date, $7)
            RETURNING from_key
            """, [relation.from, relation.kind.rawValue, relation.to, PostgresArray.literal(relation.themes),
                  relation.since, relation.until, relation.note])
    }

    /// Returns a row when the relation existed.
    public static func deleteRelation(_ relation: Relation) -> WriteStatement {
        let relation = relation.canonical
        return WriteStatement("DELETE FROM relations WHERE from_key = $1 AND relation = $2 AND to_key = $3 RETURNING from_key",
                              [relation.from, relation.kind.rawValue, relation.to])
    }

    /// Re-reads one node (for a change announced by another daemon); nil if it is gone.
    public static func fetchNode(_ connection: Connection, key: String) throws -> Node? {
        let rows = try connection.query("SELECT \(GraphQueries.nodeColumns) FROM nodes WHERE lower(key) = lower($1)", [key])
        return try rows.all.first.map(GraphQueries.decodeNode)
    }

    /// Re-reads one relation; nil if it is gone.
    public static func fetchRelation(_ connection: Connection, from: String, kind: RelationKind, to: String) throws -> Relation? {
        let rows = try connection.query("""
            SELECT from_key, relation, to_key, themes, since::text, until::text, note FROM relations
            WHERE lower(from_key) = lower($1) AND relation = $2 AND lower(to_key) = lower($3)
            """, [from, kind.rawValue, to])
        return try rows.all.first.map(GraphQueries.decodeRelation)
    }

    private static func params(_ node: Node) -> [String?] {
        [node.key, node.kind.rawValue, node.name, Search.fold(node.name), node.tier.rawValue, node.province,
         PostgresArray.literal(node.themes), node.attributes, node.validFrom, node.validTo, node.regionType?.rawValue]
    }
}

/// Who did a write, for the audit table.
public struct Actor: Sendable {
    /// Token name, or `local` in protected mode.
    public var name: String
    public var remote: String
    public var connection: UInt64
    /// The daemon instance that writes (``GraphSync/instance``): its own rows of the change
    /// feed are skipped by it.
    public var daemon: String?
    /// Names the one request this write is for, in its audit row: after a connection broke
    /// while the write committed, ``WriteOutcome`` looks it up to learn whether it did.
    public var writeID: String?

    public init(name: String, remote: String, connection: UInt64, daemon: String? = nil, writeID: String? = nil) {
        self.name = name
        self.remote = remote
        self.connection = connection
        self.daemon = daemon
        self.writeID = writeID
    }
}

/// The append-only audit trail: one row per write, in the write's own transaction.
public enum Audit {
    public static func record(_ tx: Connection, actor: Actor, command: String, changes: [String: String]) throws {
        try tx.query("INSERT INTO audit (actor, remote, connection, command, changes, daemon, write_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)",
                     parameters(actor: actor, command: command, changes: changes))
    }

    /// Runs `statement` and writes its audit row in one SQL statement, which PostgreSQL makes
    /// atomic by itself: outside an explicit transaction that is one round trip and one commit,
    /// where `BEGIN`, change, audit row, `COMMIT` take four. The audit row is written only when
    /// the change returned a row (an `UPDATE` whose `WHERE` matched nothing changed nothing).
    /// Returns the change's `RETURNING` rows.
    @discardableResult
    public static func run(_ statement: WriteStatement, on connection: Connection, actor: Actor, command: String,
                           changes: [String: String]) throws -> QueryResult {
        let n = statement.parameters.count
        return try connection.queryPrepared("""
            WITH change AS (\(statement.sql)),
            logged AS (
                INSERT INTO audit (actor, remote, connection, command, changes, daemon, write_id)
                SELECT $\(n + 1)::text, $\(n + 2)::text, $\(n + 3)::bigint, $\(n + 4)::text, $\(n + 5)::jsonb, $\(n + 6)::text, $\(n + 7)::text
                WHERE EXISTS (SELECT 1 FROM change))
            SELECT * FROM change
            """, statement.parameters + parameters(actor: actor, command: command, changes: changes))
    }

    private static func parameters(actor: Actor, command: String, changes: [String: String]) -> [String?] {
        [actor.name, actor.remote, String(actor.connection), command, JSONText.object(changes), actor.daemon, actor.writeID]
    }
}

/// One data-modifying statement (`INSERT`, `UPDATE` or `DELETE` ending in `RETURNING`) with
/// its parameters, for ``Audit/run(_:on:actor:command:changes:)``.
public struct WriteStatement: Sendable {
    public var sql: String
    public var parameters: [String?]

    public init(_ sql: String, _ parameters: [String?]) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// Tiny JSON writer for flat string maps (audit changes, node attributes).
public enum JSONText {
    public static func object(_ fields: [String: String]) -> String {
        "{" + fields.keys.sorted().map { string($0) + ":" + string(fields[$0]!) }.joined(separator: ",") + "}"
    }

    public static func string(_ value: String) -> String { JSON.quoted(value) }
}
