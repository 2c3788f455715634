import Foundation
import PQ
import VerbinderGraph

/// Loads the seed network (`sql/seed/nodes.tsv`, `sql/seed/relations.tsv`, made by
/// `scripts/make-seed` from the public data in `shared/data`).
///
/// Idempotent: nodes are upserted only where something differs and relations inserted only
/// when missing, so a second run changes nothing.
public struct Seed: Sendable {
    public let nodes: [Node]
    public let relations: [Relation]

    /// What a seed run changed.
    public struct Report: Sendable, Equatable {
        public var nodesWritten: Int
        public var relationsWritten: Int
    }

    public init(nodes: [Node], relations: [Relation]) {
        self.nodes = nodes
        self.relations = relations
    }

    /// Reads the two TSV files from `directory` (the `sql/seed` folder).
    public init(directory: String) throws {
        let nodeRows = try Seed.readTSV(directory + "/nodes.tsv",
                                        header: ["key", "kind", "name", "tier", "province", "themes", "attributes"])
        let relationRows = try Seed.readTSV(directory + "/relations.tsv",
                                            header: ["from", "relation", "to", "themes", "since", "until", "note"])
        var nodes: [Node] = []
        for (line, row) in nodeRows {
            guard let kind = NodeKind(rawValue: row[1]), let tier = Tier(rawValue: row[3]) else {
                throw StoreError.invalidSetup("nodes.tsv line \(line): unknown kind or tier")
            }
            nodes.append(Node(key: row[0], kind: kind, name: row[2], tier: tier,
                              province: row[4].isEmpty ? nil : row[4], themes: Seed.list(row[5]),
                              attributes: row[6].isEmpty ? "{}" : row[6]))
        }
        var relations: [Relation] = []
        for (line, row) in relationRows {
            guard let kind = RelationKind(rawValue: row[1]) else {
                throw StoreError.invalidSetup("relations.tsv line \(line): unknown relation \(row[1])")
            }
            relations.append(Relation(from: row[0], kind: kind, to: row[2], themes: Seed.list(row[3]),
                                      since: row[4].isEmpty ? nil : row[4], until: row[5].isEmpty ? nil : row[5],
                                      note: row[6].isEmpty ? nil : row[6]).canonical)
        }
        self.init(nodes: nodes, relations: relations)
    }

    /// Writes the seed in one transaction.
    public func load(_ connection: Connection) throws -> Report {
        try connection.transaction { tx in
            let nodeResult = try tx.query("""
                INSERT INTO nodes AS n (key, kind, name, search_name, tier, province, themes, attributes)
                SELECT k, kd, nm, sn, t, NULLIF(p, ''), coalesce(string_to_array(NULLIF(th, ''), ','), '{}'), a::jsonb
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                     AS s(k, kd, nm, sn, t, p, th, a)
                ON CONFLICT (key) DO UPDATE SET
                    kind = EXCLUDED.kind, name = EXCLUDED.name, search_name = EXCLUDED.search_name,
                    tier = EXCLUDED.tier, province = EXCLUDED.province, themes = EXCLUDED.themes,
                    attributes = EXCLUDED.attributes, updated_at = now()
                WHERE (n.kind, n.name, n.search_name, n.tier, n.province, n.themes, n.attributes)
                      IS DISTINCT FROM
                      (EXCLUDED.kind, EXCLUDED.name, EXCLUDED.search_name, EXCLUDED.tier, EXCLUDED.province,
                       EXCLUDED.themes, EXCLUDED.attributes)
                """, [
                    PostgresArray.literal(nodes.map(\.key)),
                    PostgresArray.literal(nodes.map(\.kind.rawValue)),
                    PostgresArray.literal(nodes.map(\.name)),
                    PostgresArray.literal(nodes.map { Search.fold($0.name) }),
                    PostgresArray.literal(nodes.map(\.tier.rawValue)),
                    PostgresArray.literal(nodes.map { $0.province ?? "" }),
                    PostgresArray.literal(nodes.map { $0.themes.joined(separator: ",") }),
                    PostgresArray.literal(nodes.map(\.attributes)),
                ])
            let relationResult = try tx.query("""
                INSERT INTO relations (from_key, relation, to_key, themes, since, until, note)
                SELECT f, r, t, coalesce(string_to_array(NULLIF(th, ''), ','), '{}'),
                       NULLIF(s, '')::date, NULLIF(u, '')::date, NULLIF(nt, '')
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                     AS x(f, r, t, th, s, u, nt)
                ON CONFLICT (from_key, relation, to_key) DO NOTHING
                """, [
                    PostgresArray.literal(relations.map(\.from)),
                    PostgresArray.literal(relations.map(\.kind.rawValue)),
                    PostgresArray.literal(relations.map(\.to)),
                    PostgresArray.literal(relations.map { $0.themes.joined(separator: ",") }),
                    PostgresArray.literal(relations.map { $0.since ?? "" }),
                    PostgresArray.literal(relations.map { $0.until ?? "" }),
                    PostgresArray.literal(relations.map { $0.note ?? "" }),
                ])
            let report = Report(nodesWritten: nodeResult.affectedRows, relationsWritten: relationResult.affectedRows)
            if report.nodesWritten + report.relationsWritten > 0 {
                try tx.query("INSERT INTO audit (actor, command, changes) VALUES ('seed', 'verbinderd seed', $1::jsonb)",
                             ["{\"nodes\":\(report.nodesWritten),\"relations\":\(report.relationsWritten)}"])
                // Running daemons reload the whole graph rather than replay thousands of changes.
                try tx.query("SELECT pg_notify($1, 'seed|reload|all')", [GraphSync.channel])
            }
            return report
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    }

    static func readTSV(_ path: String, header: [String]) throws -> [(Int, [String])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) == header else {
            throw StoreError.invalidSetup("\(path): header must be \(header.joined(separator: " "))")
        }
        var rows: [(Int, [String])] = []
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else {
                throw StoreError.invalidSetup("\(path) line \(index + 1): \(fields.count) fields, expected \(header.count)")
            }
            rows.append((index + 1, fields))
        }
        return rows
    }
}
