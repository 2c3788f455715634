import VerbinderGraph
import VerbinderProtocol

/// How domain values become records: one place, so every command writes them alike.
enum Records {
    static func node(_ node: Node) -> Record {
        var record = Record("node", [
            ("key", .string(node.key)), ("kind", .string(node.kind.rawValue)),
            ("name", .string(node.name)), ("tier", .string(node.tier.rawValue)),
        ])
        record.append("province", node.province.map(Value.string))
        if !node.themes.isEmpty { record.append("themes", .list(node.themes)) }
        return record
    }

    static func nodeDetail(_ node: Node) -> Record {
        var record = self.node(node)
        if node.attributes != "{}" { record.append("attributes", .string(node.attributes)) }
        return record
    }

    static func link(_ relation: Relation, in graph: Graph) -> Record {
        var record = Record("link", [
            ("from", .string(relation.from)), ("relation", .string(relation.kind.rawValue)),
            ("to", .string(relation.to)),
        ])
        record.append("axis", graph.axis(of: relation).map { .string($0.rawValue) })
        record.append("from_name", graph.node(key: relation.from).map { .string($0.name) })
        record.append("to_name", graph.node(key: relation.to).map { .string($0.name) })
        if !relation.themes.isEmpty { record.append("themes", .list(relation.themes)) }
        record.append("since", relation.since.map(Value.string))
        record.append("until", relation.until.map(Value.string))
        record.append("note", relation.note.map(Value.string))
        return record
    }
}
