import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The stakeholder graph's verbs: changes (ADD, SET, REMOVE, LINK, UNLINK) go to PostgreSQL
/// first; queries (NEIGHBORS, PATH, SUGGEST, GAPS, CENTRAL, EXPORT) are answered from memory.
enum GraphCommands {
    static var all: [Command] {
        [add, set, remove, link, unlink, neighbors, path, suggest, gaps, central, export]
    }

    // MARK: - Changes

    static let add = Command(
        "ADD", usage: "ADD <kind> <name> [key=K] [tier=T] [province=PVxx] [themes=a,b] [valid_from=YYYY-MM-DD] [valid_to=YYYY-MM-DD] [region_type=T] [note=...]",
        summary: "Add a stakeholder; answers OK key=K. Municipalities and provinces need their CBS code as key.",
        arity: .atLeast(2), permission: .write,
        options: [.text("key"), .choice("tier", Tier.self), OptionSpec("province", .province), OptionSpec("themes", .themes),
                  OptionSpec("valid_from", .dateOrEmpty), OptionSpec("valid_to", .dateOrEmpty), .choice("region_type", RegionType.self), .text("note")]
    ) { request, context in
        let kind = try WorkflowCommands.enumValue(request.arguments[0], NodeKind.self, "kind")
        let regionType = try regionTypeOption(context.options, kind: kind)
        let name = request.arguments.dropFirst().joined(separator: " ")
        let given = context.options.text("key")
        var key = given ?? Keys.slug(name)
        switch kind {
        case .municipality:
            guard let given, Validation.isCBSCode(given, prefix: "GM", digits: 4) else {
                throw ProtocolError(.invalid, "a municipality needs its CBS code as key (key=GMnnnn)")
            }
            key = given.uppercased()
        case .province:
            guard let given, Validation.isCBSCode(given, prefix: "PV", digits: 2) else {
                throw ProtocolError(.invalid, "a province needs its CBS code as key (key=PVnn)")
            }
            key = given.uppercased()
        default:
            guard Keys.isValid(key) else {
                throw ProtocolError(.invalid, "key \(Quoting.quote(key)) must be 1-64 letters, digits, - or _")
            }
        }
        let tier = context.options.choice("tier", Tier.self) ?? kind.defaultTier
        let themes = try context.themes()
        let (validFrom, validTo) = try validityOptions(context.options)
        let province = try context.services.graph.read { graph throws -> String? in
            if graph.node(key: key) != nil { throw ProtocolError(.conflict, "a node with key \(key) exists") }
            return try provinceOption(context.options, graph: graph)
        }
        var attributes: [String: String] = [:]
        if let note = context.options.text("note") { attributes["note"] = note }
        let node = Node(key: key, kind: kind, name: name, tier: tier, province: province, themes: themes ?? [],
                        attributes: JSONText.object(attributes), validFrom: validFrom ?? nil, validTo: validTo ?? nil, regionType: regionType)
        let finalKey = key
        return context.write(request) { scope, done in
            context.core.graphChanges.add(node, scope, answer: { Response(status: Status([("key", .string(finalKey))])) }, completion: done)
        }
    }

    static let set = Command(
        "SET", usage: "SET <node> name=value... (fields: name, kind, tier, province, themes, valid_from, valid_to, region_type, note)",
        summary: "Change a stakeholder's fields; answers OK key=K. valid_to= ends it (it stays, for the history).",
        arity: .exactly(1), permission: .write,
        options: [.text("name"), .choice("kind", NodeKind.self), .choice("tier", Tier.self), OptionSpec("province", .province),
                  OptionSpec("themes", .themes), OptionSpec("valid_from", .dateOrEmpty), OptionSpec("valid_to", .dateOrEmpty),
                  .choice("region_type", RegionType.self), .text("note")]
    ) { request, context in
        guard !context.options.isEmpty else { throw ProtocolError(.usage, "") }
        let kind = context.options.choice("kind", NodeKind.self)
        let tier = context.options.choice("tier", Tier.self)
        let themes = try context.themes()
        let (validFrom, validTo) = try validityOptions(context.options)
        let name = context.options.text("name")
        if let name, name.isEmpty { throw ProtocolError(.invalid, "name must not be empty") }
        let (node, province) = try context.services.graph.read { graph in
            (try graph.require(request.arguments[0]), try provinceOption(context.options, graph: graph))
        }
        let key = node.key
        let note = context.options.text("note")
        let regionType = try regionTypeOption(context.options, kind: kind ?? node.kind)
        var changes = ["node": key, "action": "set"]
        for name in request.optionOrder { changes[name] = request.options[name] }
        let effective = (validFrom ?? node.validFrom, validTo ?? node.validTo)
        if let from = effective.0, let to = effective.1, to <= from {
            throw ProtocolError(.invalid, "valid_to= must be after valid_from=")
        }
        let change = GraphService.NodeChange(kind: kind, name: name, tier: tier, province: province, themes: themes, note: note,
                                             validFrom: validFrom.map { $0 ?? "" }, validTo: validTo.map { $0 ?? "" }, regionType: regionType)
        return context.write(request) { scope, done in
            context.core.graphChanges.set(key, change, audit: changes, scope, answer: { stored in
                guard stored != nil else { throw ProtocolError(.notFound, "node \(key) is gone") }
                return Response(status: Status([("key", .string(key))]))
            }, completion: done)
        }
    }

    static let remove = Command(
        "REMOVE", usage: "REMOVE <node>",
        summary: "Remove a stakeholder and its relations; ERR CONFLICT while trajectories or meetings refer to it.",
        arity: .exactly(1), permission: .write
    ) { request, context in
        let key = try context.services.graph.read { try $0.require(request.arguments[0]).key }
        return context.write(request) { scope, done in
            context.core.graphChanges.remove(key, scope, answer: { links in Response(status: Status([("key", .string(key)), ("links", .int(links))])) },
                                             completion: done)
        }
    }

    static let link = Command(
        "LINK", usage: "LINK <from> <relation> <to> [themes=a,b] [since=YYYY-MM-DD] [until=YYYY-MM-DD] [note=...]",
        summary: "Relate two stakeholders; answers OK axis=vertical|horizontal.",
        arity: .exactly(3), permission: .write,
        options: [OptionSpec("themes", .themes), .date("since"), .date("until"), .text("note")]
    ) { request, context in
        let kind = try relationArgument(request.arguments[1])
        let since = context.options.text("since"), until = context.options.text("until")
        if let since, let until, until < since {
            throw ProtocolError(.invalid, "until= is before since=")
        }
        let themes = try context.themes() ?? []
        let today = Today.amsterdam()
        let (relation, axis) = try context.services.graph.read { graph -> (Relation, Axis) in
            let from = try graph.require(request.arguments[0]), to = try graph.require(request.arguments[2])
            if Keys.fold(from.key) == Keys.fold(to.key) { throw ProtocolError(.invalid, "a node cannot be related to itself") }
            // An ended node takes part only in relations that ended before it did (its history),
            // and in the succession itself.
            if kind != .succeededBy {
                for end in [from, to] where end.isEnded(on: today) {
                    guard let until, let ended = end.validTo, until <= ended else {
                        throw ProtocolError(.invalid, "\(end.key) ended on \(end.validTo ?? "?"); only a relation with until= on or before that day may name it")
                    }
                }
            }
            let relation = Relation(from: from.key, kind: kind, to: to.key, themes: themes, since: since,
                                    until: until, note: context.options.text("note")).canonical
            if graph.contains(relation) {
                throw ProtocolError(.conflict, "\(relation.from) \(kind.rawValue) \(relation.to) exists")
            }
            return (relation, Axis.of(from.layer, to.layer))
        }
        let answer = Response(status: Status([("axis", .string(axis.rawValue))]))
        return context.write(request) { scope, done in
            context.core.graphChanges.link(relation, scope, answer: answer, completion: done)
        }
    }

    static let unlink = Command(
        "UNLINK", usage: "UNLINK <from> <relation> <to>", summary: "Remove a relation.",
        arity: .exactly(3), permission: .write
    ) { request, context in
        let kind = try relationArgument(request.arguments[1])
        let relation = try context.services.graph.read { graph -> Relation in
            let from = try graph.require(request.arguments[0]), to = try graph.require(request.arguments[2])
            let relation = Relation(from: from.key, kind: kind, to: to.key).canonical
            guard graph.contains(relation) else {
                throw ProtocolError(.notFound, "no relation \(from.key) \(kind.rawValue) \(to.key)")
            }
            return relation
        }
        return context.write(request) { scope, done in
            context.core.graphChanges.unlink(relation, scope, completion: done)
        }
    }

    // MARK: - Option parsing

    static func relationArgument(_ text: String) throws(ProtocolError) -> RelationKind {
        try WorkflowCommands.enumValue(text, RelationKind.self, "relation")
    }

    /// `valid_from=` and `valid_to=`: nil when absent, `.some(nil)` when given empty (clears).
    static func validityOptions(_ options: Options) throws(ProtocolError) -> (String??, String??) {
        let from = options.clearable("valid_from"), to = options.clearable("valid_to")
        if let from = from ?? nil, let to = to ?? nil, to <= from {
            throw ProtocolError(.invalid, "valid_to= must be after valid_from=")
        }
        return (from, to)
    }

    /// `region_type=`, which only a region has.
    static func regionTypeOption(_ options: Options, kind: NodeKind) throws(ProtocolError) -> RegionType? {
        guard let type = options.choice("region_type", RegionType.self) else { return nil }
        guard kind == .region else { throw ProtocolError(.invalid, "region_type= goes with kind region") }
        return type
    }

    /// `province=` must name a province; "" clears it. Returns the province's key.
    static func provinceOption(_ options: Options, graph: borrowing Graph) throws(ProtocolError) -> String? {
        if options.clearable("province") == .some(nil) { return "" }
        guard let text = options.text("province") else { return nil }
        let node = try graph.require(text)
        guard node.kind == .province else { throw ProtocolError(.invalid, "province=\(text) is not a province") }
        return node.key
    }
}
