import Foundation
import PQ
import VerbinderGraph

/// Loads the seed network (`sql/seed/nodes.tsv`, `relations.tsv` and `aliases.tsv`, made by
/// `scripts/make-seed` from the public data in `shared/data`).
///
/// Idempotent: nodes are upserted only where something differs, relations and aliases
/// inserted only when missing, so a second run changes nothing.
public struct Seed: Sendable {
    public let nodes: [Node]
    public let relations: [Relation]
    /// (node key, alias).
    public let aliases: [(key: String, alias: String)]

    /// What a seed run changed.
    public struct Report: Sendable, Equatable {
        public var nodesWritten: Int
        public var relationsWritten: Int
        public var aliasesWritten: Int = 0
    }

    public init(nodes: [Node], relations: [Relation], aliases: [(key: String, alias: String)] = []) {
        self.nodes = nodes
        self.relations = relations
        self.aliases = aliases
    }

    /// Reads the TSV files from `directory` (the `sql/seed` folder; `aliases.tsv` may be absent).
    public init(directory: String) throws {
        // Seed folders made before nodes had a period of validity lack its two columns, and
        // those made before regions had a type lack region_type: made into the current columns.
        let nodeRows = try Seed.readTSV(directory + "/nodes.tsv",
                                        header: ["key", "kind", "name", "tier", "province", "themes", "valid_from", "valid_to", "region_type", "attributes"],
                                        or: [["key", "kind", "name", "tier", "province", "themes", "valid_from", "valid_to", "attributes"],
                                             ["key", "kind", "name", "tier", "province", "themes", "attributes"]])
            .map { line, row in
                switch row.count {
                case 10: (line, row)
                case 9: (line, Array(row[0..<8]) + ["", row[8]])
                default: (line, Array(row[0..<6]) + ["", "", "", row[6]])
                }
            }
        let relationRows = try Seed.readTSV(directory + "/relations.tsv",
                                            header: ["from", "relation", "to", "themes", "since", "until", "note"])
        var nodes: [Node] = []
        for (line, row) in nodeRows {
            guard let kind = NodeKind(rawValue: row[1]), let tier = Tier(rawValue: row[3]) else {
                throw StoreError.invalidSetup("nodes.tsv line \(line): unknown kind or tier")
            }
            var regionType: RegionType?
            if !row[8].isEmpty {
                guard let type = RegionType(rawValue: row[8]), kind == .region else {
                    throw StoreError.invalidSetup("nodes.tsv line \(line): region_type \(row[8]) is not one of a region's types")
                }
                regionType = type
            } else if kind == .region {
                // A seed without the column: the type its attributes name, as migration 0010 does.
                regionType = Seed.regionType(attributes: row[9])
            }
            nodes.append(Node(key: row[0], kind: kind, name: row[2], tier: tier,
                              province: row[4].isEmpty ? nil : row[4], themes: Seed.list(row[5]),
                              attributes: row[9].isEmpty ? "{}" : row[9],
                              validFrom: row[6].isEmpty ? nil : row[6], validTo: row[7].isEmpty ? nil : row[7],
                              regionType: regionType))
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
        var aliases: [(key: String, alias: String)] = []
        if FileManager.default.fileExists(atPath: directory + "/aliases.tsv") {
            for (_, row) in try Seed.readTSV(directory + "/aliases.tsv", header: ["key", "alias", "note"]) {
                aliases.append((row[0], row[1]))
            }
        }
        self.init(nodes: nodes, relations: relations, aliases: aliases)
    }

    /// Writes the seed in one transaction. Themes are written as keys of the database's theme
    /// vocabulary (a synonym becomes its key); a theme it does not know stops the load.
    public func load(_ connection: Connection) throws -> Report {
        try connection.transaction { tx in
            let vocabulary = ThemeVocabulary(try ThemeStore.all(tx))
            func keys(_ words: [String], of owner: String) throws -> [String] {
                var keys: [String] = []
                for word in words {
                    guard case .found(let key) = vocabulary.resolve(word) else {
                        throw StoreError.invalidSetup("seed: \(owner) has the theme \(word), which the vocabulary does not know")
                    }
                    if !keys.contains(key) { keys.append(key) }
                }
                return keys
            }
            let nodes = try self.nodes.map { node in
                var node = node
                node.themes = try keys(node.themes, of: "node \(node.key)")
                return node
            }
            let relations = try self.relations.map { relation in
                var relation = relation
                relation.themes = try keys(relation.themes, of: "relation \(relation.from) \(relation.kind.rawValue) \(relation.to)")
                return relation
            }
            let nodeResult = try tx.query("""
                INSERT INTO nodes AS n (key, kind, name, search_name, tier, province, themes, attributes, valid_from, valid_to, region_type)
                SELECT k, kd, nm, sn, t, NULLIF(p, ''), coalesce(string_to_array(NULLIF(th, ''), ','), '{}'), a::jsonb,
                       NULLIF(vf, '')::date, NULLIF(vt, '')::date, NULLIF(rt, '')
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::text[])
                     AS s(k, kd, nm, sn, t, p, th, a, vf, vt, rt)
                ON CONFLICT (key) DO UPDATE SET
                    kind = EXCLUDED.kind, name = EXCLUDED.name, search_name = EXCLUDED.search_name,
                    tier = EXCLUDED.tier, province = EXCLUDED.province, themes = EXCLUDED.themes,
                    attributes = EXCLUDED.attributes, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
                    region_type = EXCLUDED.region_type, updated_at = now()
                WHERE (n.kind, n.name, n.search_name, n.tier, n.province, n.themes, n.attributes, n.valid_from, n.valid_to, n.region_type)
                      IS DISTINCT FROM
                      (EXCLUDED.kind, EXCLUDED.name, EXCLUDED.search_name, EXCLUDED.tier, EXCLUDED.province,
                       EXCLUDED.themes, EXCLUDED.attributes, EXCLUDED.valid_from, EXCLUDED.valid_to, EXCLUDED.region_type)
                """, [
                    PostgresArray.literal(nodes.map(\.key)),
                    PostgresArray.literal(nodes.map(\.kind.rawValue)),
                    PostgresArray.literal(nodes.map(\.name)),
                    PostgresArray.literal(nodes.map { Search.fold($0.name) }),
                    PostgresArray.literal(nodes.map(\.tier.rawValue)),
                    PostgresArray.literal(nodes.map { $0.province ?? "" }),
                    PostgresArray.literal(nodes.map { $0.themes.joined(separator: ",") }),
                    PostgresArray.literal(nodes.map(\.attributes)),
                    PostgresArray.literal(nodes.map { $0.validFrom ?? "" }),
                    PostgresArray.literal(nodes.map { $0.validTo ?? "" }),
                    PostgresArray.literal(nodes.map { $0.regionType?.rawValue ?? "" }),
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
            let aliasResult = try tx.query("""
                INSERT INTO aliases (node_key, alias, search_alias)
                SELECT k, a, s FROM unnest($1::text[], $2::text[], $3::text[]) AS x(k, a, s)
                ON CONFLICT DO NOTHING
                """, [
                    PostgresArray.literal(aliases.map(\.key)),
                    PostgresArray.literal(aliases.map(\.alias)),
                    PostgresArray.literal(aliases.map { Search.fold($0.alias) }),
                ])
            let report = Report(nodesWritten: nodeResult.affectedRows, relationsWritten: relationResult.affectedRows,
                                aliasesWritten: aliasResult.affectedRows)
            if report.nodesWritten + report.relationsWritten + report.aliasesWritten > 0 {
                // Kinds and tiers may have changed: the meetings' classification follows.
                try WorkflowStore.reclassifyMeetings(tx)
                try tx.query("INSERT INTO audit (actor, command, changes) VALUES ('seed', 'verbinderd seed', $1::jsonb)",
                             ["{\"nodes\":\(report.nodesWritten),\"relations\":\(report.relationsWritten),\"aliases\":\(report.aliasesWritten)}"])
                // Running daemons reload the whole graph rather than replay thousands of changes.
                try tx.query("SELECT pg_notify($1, 'seed|reload|all')", [GraphSync.channel])
            }
            return report
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    }

    /// The region type a seed's attributes name (`region_kind`), for a seed without the column.
    static func regionType(attributes: String) -> RegionType {
        guard let object = try? JSONSerialization.jsonObject(with: Data(attributes.utf8)) as? [String: Any] else { return .other }
        switch object["region_kind"] as? String {
        case "corop": return .corop
        case "veiligheidsregio": return .veiligheidsregio
        case "example": return .functional
        default: return .other
        }
    }

    /// The rows of a TSV file whose first line is `header` (or one of `alternatives`), with line numbers.
    static func readTSV(_ path: String, header wanted: [String], or alternatives: [[String]] = []) throws -> [(Int, [String])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let found = lines.first.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = ([wanted] + alternatives).first(where: { $0 == found }) else {
            throw StoreError.invalidSetup("\(path): header must be \(wanted.joined(separator: " "))")
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
