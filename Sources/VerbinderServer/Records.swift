import VerbinderCore
import VerbinderGraph
import VerbinderProtocol

/// How domain values become records: one place, so every command writes them alike.
enum Records {
    /// `node key kind name tier layer [province] [themes] [aliases] [ended] [region_type]`:
    /// `ended` is the day a node that no longer exists ended; `region_type` a region's type.
    static func node(_ node: Node, today: String = Today.amsterdam()) -> Record {
        var record = Record("node", [
            ("key", .string(node.key)), ("kind", .string(node.kind.rawValue)),
            ("name", .string(node.name)), ("tier", .string(node.tier.rawValue)), ("layer", .string(node.layer.rawValue)),
        ])
        record.append("province", node.province.map(Value.string))
        if !node.themes.isEmpty { record.append("themes", .list(node.themes)) }
        if !node.aliases.isEmpty { record.append("aliases", .list(node.aliases)) }
        if node.isEnded(on: today) { record.append("ended", node.validTo.map(Value.string)) }
        record.append("region_type", node.regionType.map { .string($0.rawValue) })
        return record
    }

    /// `SHOW`'s node record: also the period of validity (`valid_to` only while it lies ahead;
    /// after it, `ended` says it), the successors of an ended node
    /// (its `succeeded_by` relations), a network's member list, a partner's portfolio, and the
    /// attributes.
    static func nodeDetail(_ node: Node, successors: [String], members: Int, today: String) -> Record {
        var record = self.node(node, today: today)
        record.append("valid_from", node.validFrom.map(Value.string))
        if !node.isEnded(on: today) { record.append("valid_to", node.validTo.map(Value.string)) }
        if !successors.isEmpty { record.append("successors", .list(successors)) }
        if node.kind == .network { appendMemberList(node, members: members, to: &record) }
        record.append("portfolio", node.attribute("portfolio").map(Value.string))
        if node.attributes != "{}" { record.append("attributes", .string(node.attributes)) }
        return record
    }

    /// A network's `list_status` (`complete` or `partial`), `members_known` (its member
    /// municipalities in the graph) and, where the network stated it, `members_reported` with
    /// `members_reported_on`. A network whose attributes say nothing of its list shows only
    /// `members_known`.
    static func appendMemberList(_ node: Node, members: Int, to record: inout Record) {
        let list = MemberList(attributes: node.attributes)
        record.append("list_status", list.map { .string($0.complete ? "complete" : "partial") })
        record.append("members_known", .int(members))
        record.append("members_reported", list?.reported.map(Value.int))
        record.append("members_reported_on", list?.reportedOn.map(Value.string))
    }

    /// A stored relation as a link record; names come straight from the node ids (no key lookups).
    static func link(index: Int32, in graph: borrowing Graph) -> Record {
        let (fromID, toID) = graph.ends(of: index)
        let from = graph.node(id: fromID), to = graph.node(id: toID)
        let relation = graph.relation(index)
        var record = Record("link", [
            ("from", .string(from.key)), ("relation", .string(relation.kind.rawValue)), ("to", .string(to.key)),
            ("axis", .string(Axis.of(from.layer, to.layer).rawValue)), ("from_name", .string(from.name)), ("to_name", .string(to.name)),
        ])
        if !relation.themes.isEmpty { record.append("themes", .list(relation.themes)) }
        record.append("since", relation.since.map(Value.string))
        record.append("until", relation.until.map(Value.string))
        record.append("note", relation.note.map(Value.string))
        return record
    }

}
