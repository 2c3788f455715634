import PQ
import VerbinderGraph

/// SQL for the stakeholder graph. Every statement is parameterised.
public enum GraphQueries {
    static let nodeColumns = """
        key, kind, name, tier, province, themes, attributes::text, valid_from::text, valid_to::text,
        coalesce((SELECT array_agg(a.alias ORDER BY a.search_alias) FROM aliases a WHERE a.node_key = nodes.key), '{}'),
        region_type
        """

    /// Loads every node and relation and the theme vocabulary: the daemon's in-memory index
    /// starts from this.
    public static func loadGraph(_ connection: Connection) throws -> Graph {
        let nodeRows = try connection.query("SELECT \(nodeColumns) FROM nodes ORDER BY key")
        let relationRows = try connection.query(
            "SELECT from_key, relation, to_key, themes, since::text, until::text, note FROM relations ORDER BY id")
        var graph = Graph(nodes: try nodeRows.all.map(decodeNode), relations: try relationRows.all.map(decodeRelation))
        graph.vocabulary = ThemeVocabulary(try ThemeStore.all(connection))
        return graph
    }

    /// `FIND`: nodes whose key, name or an alias contains `text` (case- and
    /// diacritics-insensitive), best first: exact key, exact name or alias, prefix, substring;
    /// then by name.
    public static func find(_ connection: Connection, text: String, kind: NodeKind?, regionType: RegionType? = nil, limit: Int) throws -> [Node] {
        let folded = Search.fold(text)
        let pattern = escapeLike(folded)
        let rows = try connection.query("""
            WITH alias_rank AS (
                SELECT node_key, min(CASE WHEN search_alias = $1 THEN 1
                                          WHEN search_alias LIKE $2 || '%' THEN 2 ELSE 3 END) AS rank
                FROM aliases WHERE search_alias LIKE '%' || $2 || '%' GROUP BY node_key),
            ranked AS (
                SELECT nodes.*, least(
                       CASE WHEN lower(key) = $1 THEN 0
                            WHEN search_name = $1 THEN 1
                            WHEN search_name LIKE $2 || '%' OR lower(key) LIKE $2 || '%' THEN 2
                            WHEN search_name LIKE '%' || $2 || '%' OR lower(key) LIKE '%' || $2 || '%' THEN 3
                            ELSE 4 END,
                       coalesce(a.rank, 4)) AS rank
                FROM nodes LEFT JOIN alias_rank a ON a.node_key = nodes.key
                WHERE ($3::text IS NULL OR kind = $3) AND ($5::text IS NULL OR region_type = $5))
            SELECT \(nodeColumns), rank FROM ranked nodes
            WHERE rank < 4
            ORDER BY rank, search_name, key
            LIMIT $4
            """, [folded, pattern, kind?.rawValue, String(limit), regionType?.rawValue])
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
                    attributes: row.optionalString(6) ?? "{}", validFrom: row.optionalString(7),
                    validTo: row.optionalString(8), aliases: try row.textArray(9),
                    regionType: row.optionalString(10).flatMap(RegionType.init(rawValue:)))
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
