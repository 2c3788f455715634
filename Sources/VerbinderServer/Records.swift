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

    /// A stored relation as a link record; names come straight from the node ids (no key lookups).
    static func link(index: Int32, in graph: borrowing Graph) -> Record {
        let (fromID, toID) = graph.ends(of: index)
        let from = graph.node(id: fromID), to = graph.node(id: toID)
        let relation = graph.relation(index)
        var record = Record("link", [
            ("from", .string(from.key)), ("relation", .string(relation.kind.rawValue)), ("to", .string(to.key)),
            ("axis", .string(Axis.of(from.tier, to.tier).rawValue)), ("from_name", .string(from.name)), ("to_name", .string(to.name)),
        ])
        if !relation.themes.isEmpty { record.append("themes", .list(relation.themes)) }
        record.append("since", relation.since.map(Value.string))
        record.append("until", relation.until.map(Value.string))
        record.append("note", relation.note.map(Value.string))
        return record
    }

}
