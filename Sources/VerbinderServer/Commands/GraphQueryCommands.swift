import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The graph's queries, answered from memory: NEIGHBORS, PATH, SUGGEST, GAPS, CENTRAL, EXPORT.
extension GraphCommands {
    // MARK: - Queries (from memory)

    static let neighbors = Command(
        "NEIGHBORS", usage: "NEIGHBORS <node> [axis=vertical|horizontal] [relation=R] [kind=K] [region_type=T] [depth=1..3]",
        summary: "The relations around a stakeholder as link records; depth 2 or 3 gives the ego network.",
        arity: .exactly(1), permission: .read,
        options: [.choice("axis", Axis.self), .choice("relation", RelationKind.self, .quoted), .choice("kind", NodeKind.self),
                  .choice("region_type", RegionType.self), OptionSpec("depth", .level(1...3))]
    ) { request, context in
        let axis = context.options.choice("axis", Axis.self)
        let relation = context.options.choice("relation", RelationKind.self)
        let kind = context.options.choice("kind", NodeKind.self)
        let regionType = context.options.choice("region_type", RegionType.self)
        let depth = context.options.number("depth") ?? 1
        let compute = { (graph: borrowing Graph) throws -> Response in
            let start = try graph.require(request.arguments[0])
            let startID = graph.id(forKey: start.key)!
            let filter = WalkFilter(axis: axis, relations: relation.map { [$0] } ?? [])
            var records: [Record] = []
            var nodes: Set<NodeID> = []
            for (index, level) in graph.neighborhood(of: startID, depth: depth, filter: filter) {
                let ends = graph.ends(of: index)
                let others = [ends.from, ends.to].filter { $0 != startID }
                if let kind, !others.contains(where: { graph.node(id: $0).kind == kind }) { continue }
                if let regionType, !others.contains(where: { graph.node(id: $0).regionType == regionType }) { continue }
                nodes.formUnion(others)
                var record = Records.link(index: index, in: graph)
                record.append("depth", .int(level))
                records.append(record)
            }
            var status: [(String, Value)] = [("links", .int(records.count)), ("nodes", .int(nodes.count))]
            // Of a network, whether its member list is complete: a municipality missing from a
            // partial list may still be a member.
            if start.kind == .network {
                var list = Record("list")
                Records.appendMemberList(start, members: graph.members(of: startID).count, to: &list)
                status += list.fields.map { ($0.name, $0.value) }
            }
            return Response(records: records, status: Status(status))
        }
        // The plain form is the common one: answered from the render cache.
        if context.options.isEmpty {
            return .now(try context.services.renderCache.answer(request, about: request.arguments[0], format: context.session.format,
                                                                 today: Today.amsterdam(), graph: context.services.graph, compute))
        }
        return .now(try context.services.graph.read { try compute($0) })
    }

    static let path = Command(
        "PATH", usage: "PATH <from> <to> [axis=vertical|horizontal] [via=kind,...] [avoid=node,...] [max=N] [k=K]",
        summary: "The shortest chain of relations between two stakeholders as hop records; k=K gives the K shortest.",
        arity: .exactly(2), permission: .read,
        options: [.choice("axis", Axis.self), OptionSpec("via", .nodeKinds), OptionSpec("avoid", .nodes), OptionSpec("max", .count(1...12)),
                  OptionSpec("k", .count(1...10))]
    ) { request, context in
        let axis = context.options.choice("axis", Axis.self)
        let maxHops = context.options.number("max") ?? 8
        let k = context.options.number("k") ?? 1
        let numbered = context.options.given("k")
        let via = context.options.nodeKinds("via")
        return .now(try context.services.graph.read { graph in
            let from = graph.id(forKey: try graph.require(request.arguments[0]).key)!
            let to = graph.id(forKey: try graph.require(request.arguments[1]).key)!
            var avoid: Set<NodeID> = []
            for text in (context.options.text("avoid") ?? "").split(separator: ",") {
                avoid.insert(graph.id(forKey: try graph.require(String(text)).key)!)
            }
            if avoid.contains(from) || avoid.contains(to) { throw ProtocolError(.invalid, "avoid= names an end of the path") }
            let filter = WalkFilter(axis: axis, via: via, avoid: avoid)
            let paths = k == 1
                ? graph.shortestPath(from: from, to: to, filter: filter, maxHops: maxHops).map { [$0] } ?? []
                : graph.shortestPaths(from: from, to: to, k: k, filter: filter, maxHops: maxHops)
            guard let first = paths.first else { throw noPathError(from: from, to: to, axis: axis, maxHops: maxHops, in: graph) }
            var records: [Record] = []
            for (number, path) in paths.enumerated() {
                records += hopRecords(path, in: graph, number: numbered ? number + 1 : nil)
            }
            var status: [(String, Value)] = [("hops", .int(first.hops))]
            if numbered { status.append(("paths", .int(paths.count))) }
            return Response(records: records, status: Status(status))
        })
    }

    /// Why no path was found, in the terms a user can act on: an end with no relation at all
    /// (or none on the axis asked for) is named, since searching further would not help.
    static func noPathError(from: NodeID, to: NodeID, axis: Axis?, maxHops: Int, in graph: Graph) -> ProtocolError {
        for end in [from, to] where !graph.hasRelation(end, filter: WalkFilter()) {
            return ProtocolError(.noPath, "\(graph.node(id: end).key) has no relations")
        }
        for end in [from, to] where !graph.hasRelation(end, filter: WalkFilter(axis: axis)) {
            switch axis {
            case .vertical: return ProtocolError(.noPath, "\(graph.node(id: end).key) has no vertical relations")
            case .horizontal: return ProtocolError(.noPath, "\(graph.node(id: end).key) has no horizontal relations")
            case nil: break
            }
        }
        return ProtocolError(.noPath, "no path within \(maxHops) hops")
    }

    static func hopRecords(_ path: GraphPath, in graph: Graph, number: Int?) -> [Record] {
        path.nodes.enumerated().map { n, id in
            let node = graph.node(id: id)
            var record = Record("hop")
            record.append("path", number.map(Value.int))
            record.append("n", .int(n))
            record.append("key", .string(node.key))
            record.append("name", .string(node.name))
            record.append("kind", .string(node.kind.rawValue))
            record.append("tier", .string(node.tier.rawValue))
            record.append("layer", .string(node.layer.rawValue))
            if n > 0 {
                let relation = path.relations[n - 1]
                record.append("relation", .string(graph.kind(of: relation).rawValue))
                record.append("direction", .string(graph.ends(of: relation).from == path.nodes[n - 1] ? "out" : "in"))
                record.append("axis", .string(graph.axis(ofRelation: relation).rawValue))
            }
            return record
        }
    }

    static let suggest = Command(
        "SUGGEST", usage: "SUGGEST <node> [theme=T] [axis=vertical|horizontal] [limit=N]",
        summary: "Who this stakeholder should meet and is not yet linked to, best first, with the evidence.",
        arity: .exactly(1), permission: .read, options: [OptionSpec("theme", .theme), .choice("axis", Axis.self), .limit()]
    ) { request, context in
        let axis = context.options.choice("axis", Axis.self)
        let limit = context.options.number("limit") ?? 10
        let today = Today.amsterdam()
        let language = context.session.language
        return .now(try context.services.graph.read { graph in
            let theme = try context.options.theme(in: graph.vocabulary)
            let node = try graph.require(request.arguments[0])
            let suggestions = graph.suggestions(for: graph.id(forKey: node.key)!, theme: theme, axis: axis, limit: limit, today: today)
            let records = suggestions.map { suggestion -> Record in
                let other = graph.node(id: suggestion.node)
                var record = Record("suggestion", [
                    ("key", .string(other.key)), ("name", .string(other.name)), ("kind", .string(other.kind.rawValue)),
                    ("tier", .string(other.tier.rawValue)), ("layer", .string(other.layer.rawValue)),
                    ("score", .double(suggestion.score)), ("reason", .string(suggestion.reason.text(language))),
                ])
                if !suggestion.path.isEmpty {
                    record.append("path", .string(suggestion.path.map { graph.node(id: $0).key }.joined(separator: ">")))
                }
                return record
            }
            return Response(records: records, status: Status([("rows", .int(records.count))]))
        })
    }

    static let gaps = Command(
        "GAPS", usage: "GAPS unaffiliated|isolated|vertical [theme=T] [limit=N] | GAPS agenda [by=corop|province|functional] [limit=N] | GAPS stale [days=180] [limit=N] | GAPS unanswered [days=60] [limit=N]",
        summary: "Who is missing out: municipalities in no network, nodes with no relation, no vertical tie to a ministry, municipalities no active kansenagenda covers (per COROP area, province or functional region), trajectories and stakeholders without a meeting held lately, parties that owe an answer to a raised signal.",
        arity: .exactly(1), permission: .read,
        options: [OptionSpec("theme", .theme), .limit(100_000), OptionSpec("days", .count(0...36_500)), .choice("by", CoverageUnit.self)]
    ) { request, context in
        let options = context.options
        let limit = options.number("limit") ?? 100_000
        let which = request.arguments[0].lowercased()
        if which == "agenda" || which == "stale" || which == "unanswered" {
            if options.given("theme") || (which == "agenda" && options.given("days")) || (which != "agenda" && options.given("by")) {
                throw ProtocolError(.usage, "")
            }
            if which == "unanswered" { return unanswered(days: options.number("days") ?? 60, limit: limit, context) }
            return try MonitoringCommands.gaps(which, request, context)
        }
        if options.given("days") { throw ProtocolError(.usage, "days= goes with GAPS stale") }
        if options.given("by") { throw ProtocolError(.usage, "by= goes with GAPS agenda") }
        if options.given("theme"), which != "vertical" { throw ProtocolError(.usage, "theme= goes with GAPS vertical") }
        let today = Today.amsterdam()
        return .now(try context.services.graph.read { graph in
            let ids: [NodeID]
            switch which {
            case "unaffiliated": ids = graph.unaffiliatedMunicipalities(today: today)
            case "isolated": ids = graph.isolatedNodes(today: today)
            case "vertical": ids = graph.verticalGaps(theme: try options.theme(in: graph.vocabulary), today: today)
            default: throw ProtocolError(.usage, "")
            }
            let nodes = ids.map(graph.node(id:)).sorted { $0.key < $1.key }
            var status: [(String, Value)] = [("count", .int(nodes.count))]
            // "In no network" is only as good as the member lists: say which are partial.
            let partial = which == "unaffiliated" ? graph.partialNetworks(today: today).map { graph.node(id: $0).name } : []
            if !partial.isEmpty { status.append(("partial", .list(partial))) }
            return Response(records: nodes.prefix(limit).map { Records.node($0, today: today) }, status: Status(status))
        })
    }

    /// `GAPS unanswered`: per party, the signals raised with it `days` or more days ago that
    /// have no answer, the longest wait first.
    static func unanswered(days: Int, limit: Int, _ context: CommandContext) -> Reply {
        let graph = context.services.graph
        return .later(context.future { context.core.signals.unanswered(days: days, completion: $0) }.map { parties in
            let records = parties.prefix(limit).map { party in
                Record("unanswered", [("node", .string(party.node)), ("name", .string(graph.read { $0.node(key: party.node)?.name } ?? party.node)),
                                      ("signals", .int(party.signals.count)), ("ids", .list(party.signals.map(String.init))),
                                      ("oldest", .string(party.oldest)), ("days", .int(party.days))])
            }
            return Response(records: Array(records), status: Status([("count", .int(parties.count)),
                                                                     ("signals", .int(parties.reduce(0) { $0 + $1.signals.count }))]))
        })
    }

    static let central = Command(
        "CENTRAL", usage: "CENTRAL [kind=K] [limit=N]",
        summary: "The key connectors by exact betweenness centrality, with their degree.",
        arity: .exactly(0), permission: .read, options: [.choice("kind", NodeKind.self), .limit()]
    ) { request, context in
        let kind = context.options.choice("kind", NodeKind.self)
        let limit = context.options.number("limit") ?? 20
        let graph = context.services.graph
        let today = Today.amsterdam()
        // Brandes is O(V·E): run it on the pool's threads, never on an event loop, on a snapshot,
        // so writers never wait for it. Above 20,000 nodes exact work takes hours: estimate from
        // 500 evenly spread sources and say so (exact=no).
        return .later(context.future { done in context.core.compute({
            let graph = graph.snapshot()
            let exact = graph.nodeCount <= 20_000
            let scores = graph.betweenness(sources: exact ? nil : 500)
            // An ended node is history, not a connector of today.
            let gone = graph.notCurrent(on: today)
            let ranked = scores.filter { (kind == nil || graph.node(id: $0.key).kind == kind) && !gone.contains($0.key) }
                .sorted { ($0.value, graph.node(id: $1.key).key) > ($1.value, graph.node(id: $0.key).key) }
                .prefix(limit)
            let records = ranked.enumerated().map { rank, entry -> Record in
                let node = graph.node(id: entry.key)
                return Record("central", [
                    ("rank", .int(rank + 1)), ("key", .string(node.key)), ("name", .string(node.name)),
                    ("kind", .string(node.kind.rawValue)), ("betweenness", .double(entry.value)),
                    ("degree", .int(graph.degree(entry.key))),
                ])
            }
            return Response(records: records, status: Status([("rows", .int(records.count)), ("exact", .bool(exact))]))
        }, completion: done) })
    }

    static let export = Command(
        "EXPORT", usage: "EXPORT dot [<node>] [depth=N] [axis=vertical|horizontal] [expand=yes] | EXPORT ics [trajectory=T] [node=<node>] [from=YYYY-MM-DD] [to=YYYY-MM-DD]",
        summary: "The graph or an ego network as GraphViz DOT, or meetings and milestones as an iCalendar file; one line per data line.",
        arity: .between(1, 2),
        options: [OptionSpec("depth", .level(1...3)), .choice("axis", Axis.self), .flag("expand"), .text("trajectory"), .node("node"),
                  .date("from"), .date("to")]
    ) { request, context in
        let options = context.options
        if request.arguments.count == 1, request.arguments[0].lowercased() == "ics" {
            if options.given("depth") || options.given("axis") || options.given("expand") { throw ProtocolError(.usage, "") }
            return try MonitoringCommands.ics(request, context)
        }
        if options.given("trajectory") || options.given("node") || options.given("from") || options.given("to") {
            throw ProtocolError(.usage, "")
        }
        guard (1...2).contains(request.arguments.count), request.arguments[0].lowercased() == "dot" else {
            throw ProtocolError(.usage, "")
        }
        let axis = options.choice("axis", Axis.self)
        let depth = options.number("depth") ?? 1
        // Streamed from a snapshot: a million relations never sit in memory as text, a slow
        // reader only slows its own answer, and writers carry on meanwhile.
        let graph = context.services.graph.snapshot()
        let center = try request.arguments.count == 2 ? graph.id(forKey: graph.require(request.arguments[1]).key) : nil
        if let center {
            // An ego network is small, and drawn for people: marked, grouped, folded, with a legend.
            let drawing = EgoDrawingOptions(depth: depth, filter: WalkFilter(axis: axis), expand: options.flag("expand"),
                                            language: context.session.language)
            let lines = graph.egoDotLines(center: center, options: drawing)
            return .now(Response(records: lines.map(Record.raw), status: Status([("lines", .int(lines.count))])))
        }
        if options.given("expand") { throw ProtocolError(.usage, "expand= goes with EXPORT dot <node>") }
        var writer = DotWriter(graph: graph, center: nil, depth: depth, filter: WalkFilter(axis: axis))
        return .stream(ResponseStream(nextChunk: { writer.next(upTo: 512).map { $0.map(Record.raw) } },
                                      status: { Status([("lines", .int($0))]) }))
    }
}
