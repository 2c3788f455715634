import PQ
import VerbinderGraph

/// SQL for the stakeholder graph. Every statement is parameterised.
public enum GraphQueries {
    static let nodeColumns = "key, kind, name, tier, province, themes, attributes::text"

    /// Loads every node and relation: the daemon's in-memory index starts from this.
    public static func loadGraph(_ connection: Connection) throws -> Graph {
        let nodeRows = try connection.query("SELECT \(nodeColumns) FROM nodes ORDER BY key")
        let relationRows = try connection.query(
            "SELECT from_key, relation, to_key, themes, since::text, until::text, note FROM relations ORDER BY id")
        return Graph(nodes: try nodeRows.all.map(decodeNode), relations: try relationRows.all.map(decodeRelation))
    }

    /// `FIND`: nodes whose key or name contains `text` (case- and diacritics-insensitive),
    /// best first: exact key, exact name, prefix, substring; then by name.
    public static func find(_ connection: Connection, text: String, kind: NodeKind?, limit: Int) throws -> [Node] {
        let folded = Search.fold(text)
        let pattern = escapeLike(folded)
        let rows = try connection.query("""
            SELECT \(nodeColumns),
                   CASE WHEN lower(key) = $1 THEN 0
                        WHEN search_name = $1 THEN 1
                        WHEN search_name LIKE $2 || '%' OR lower(key) LIKE $2 || '%' THEN 2
                        ELSE 3 END AS rank
            FROM nodes
            WHERE (search_name LIKE '%' || $2 || '%' OR lower(key) LIKE '%' || $2 || '%')
              AND ($3::text IS NULL OR kind = $3)
            ORDER BY rank, search_name, key
            LIMIT $4
            """, [folded, pattern, kind?.rawValue, String(limit)])
        return try rows.all.map(decodeNode)
    }

    /// Row counts, for `INFO` and tests.
    public static func counts(_ connection: Connection) throws -> (nodes: Int, relations: Int) {
        let row = try connection.query("SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM relations)")[0]
        return (try row.int(0), try row.int(1))
    }

    static func decodeNode(_ row: QueryResult.Row) throws -> Node {
        let kindText = try row.string(1)
        let tierText = try row.string(3)
        guard let kind = NodeKind(rawValue: kindText), let tier = Tier(rawValue: tierText) else {
            throw PQError(kind: .decoding, message: "node \(try row.string(0)) has unknown kind \(kindText) or tier \(tierText)")
        }
        return Node(key: try row.string(0), kind: kind, name: try row.string(2), tier: tier,
                    province: row.optionalString(4), themes: try row.textArray(5),
                    attributes: row.optionalString(6) ?? "{}")
    }

    static func decodeRelation(_ row: QueryResult.Row) throws -> Relation {
        let kindText = try row.string(1)
        guard let kind = RelationKind(rawValue: kindText) else {
            throw PQError(kind: .decoding, message: "unknown relation \(kindText)")
        }
        return Relation(from: try row.string(0), kind: kind, to: try row.string(2), themes: try row.textArray(3),
                        since: row.optionalString(4), until: row.optionalString(5), note: row.optionalString(6))
    }

    /// Escapes LIKE wildcards so user text matches literally (backslash is LIKE's default escape).
    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
