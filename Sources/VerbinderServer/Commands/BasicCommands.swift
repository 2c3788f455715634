import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderText
import VerbinderStore

/// The foundation's commands: PING, HELP, QUIT, FORMAT, INFO, FIND, SHOW.
enum BasicCommands {
    static func all(help: @escaping @Sendable () -> [Command]) -> [Command] {
        [
            Command("PING", usage: "PING", summary: "Check that the server answers: OK pong.", permission: .open) { request, _ in
                .now(Response(status: Status(words: ["pong"])))
            },
            Command("HELP", usage: "HELP [verb [sub-verb]]", summary: "List the commands, or show one: command records with usage and summary.",
                    permission: .open) { request, context in
                let entries = help().flatMap { $0.helpRecords(in: context.session.language) }
                guard let verb = request.arguments.first else {
                    return .now(Response(records: entries.map(\.record), status: Status([("commands", .int(entries.count))])))
                }
                let wanted = request.arguments.joined(separator: " ").uppercased()
                let matching = entries.filter { $0.name == wanted || $0.name.hasPrefix(wanted + " ") }
                guard !matching.isEmpty else { throw ProtocolError(.unknown, "no such command \(Quoting.quote(verb))") }
                return .now(Response(records: matching.map(\.record), status: Status([("commands", .int(matching.count))])))
            },
            Command("QUIT", usage: "QUIT", summary: "Close the connection: OK bye.", permission: .open) { _, _ in
                .now(Response(status: Status(words: ["bye"]), closesConnection: true))
            },
            Command("LANG", usage: "LANG [nl|en]",
                    summary: "The language of this connection's texts for people (messages, reasons, HELP summaries): OK lang=L. Default nl; record types, field names, codes and keys never change.",
                    arity: .between(0, 1), permission: .open) { request, context in
                if let word = request.arguments.first {
                    context.session.language = try closedValue(word, Language.self, label: "language \(Quoting.quote(word))")
                }
                return .now(Response(status: Status([("lang", .string(context.session.language.rawValue))])))
            },
            Command("FORMAT", usage: "FORMAT text|json", summary: "Switch this connection's data lines to text records or JSON objects.",
                    arity: .exactly(1), permission: .authenticated) { request, context in
                guard let format = OutputFormat(rawValue: request.arguments[0].lowercased()) else { throw ProtocolError(.usage, "") }
                context.session.format = format
                return .now(Response(status: Status([("format", .string(format.rawValue))])))
            },
            Command("INFO", usage: "INFO",
                    summary: "Server statistics as stat records (version, uptime_s, connections, commands, database, nodes, relations, index_bytes, batches, ...); answered at once, even with the database down.") { _, context in
                let services = context.services
                let counts = services.graph.counts
                let indexBytes = services.graph.read { $0.approximateBytes }
                let database = services.core.databaseStatus
                var stats: [(String, Value)] = [
                    ("version", .string(services.configuration.version)),
                    ("uptime_s", .int(services.stats.uptimeSeconds)),
                    ("connections", .int(services.stats.openConnections)),
                    ("max_connections", .int(services.configuration.maxConnections)),
                    ("commands", .int(services.stats.commandsServed)),
                    ("database", .string(database.up ? "up" : "down")),
                    ("database_connections", .int(database.openConnections)),
                    ("nodes", .int(counts.nodes)),
                    ("relations", .int(counts.relations)),
                    ("index_bytes", .int(indexBytes)),
                    ("batches", .int(database.openTransactions)),
                    ("max_batches", .int(services.configuration.maxBatches)),
                ]
                if let age = database.secondsSinceAnswer { stats.append(("database_answered_s_ago", .int(age))) }
                let records = stats.map { Record("stat", [("name", .string($0.0)), ("value", $0.1)]) }
                return .now(Response(records: records, status: Status([("stats", .int(records.count))])))
            },
            Command("FIND", usage: "FIND <text> [kind=K] [region_type=T] [limit=N]",
                    summary: "Nodes whose key, name or an alias contains the text (case- and diacritics-insensitive), best first.",
                    arity: .atLeast(1), options: [.choice("kind", NodeKind.self), .choice("region_type", RegionType.self), .limit()]) { request, context in
                let text = request.arguments.joined(separator: " ")
                let kind = context.options.choice("kind", NodeKind.self)
                let limit = context.options.number("limit") ?? 20
                let regionType = context.options.choice("region_type", RegionType.self)
                // No text matches every node: the list of a kind, as NODES gives it.
                if text.allSatisfy(\.isWhitespace) { return try listNodes(context, kind: kind, province: nil, regionType: regionType, limit: limit) }
                let found = context.future { context.core.graphChanges.find(text, kind: kind, regionType: regionType, limit: limit, completion: $0) }
                let today = Today.amsterdam()
                return .later(found.map { nodes in
                    Response(records: nodes.map { Records.node($0, today: today) }, status: Status([("rows", .int(nodes.count))]))
                })
            },
            Command("NODES", usage: "NODES [kind=K] [province=P] [region_type=T] [limit=N]",
                    summary: "Every node of a kind, province or region type, by key: the whole list, where FIND gives the best matches of a text.",
                    arity: .exactly(0),
                    options: [.choice("kind", NodeKind.self), OptionSpec("province", .province), .choice("region_type", RegionType.self),
                              .limit(100_000)]) { _, context in
                let options = context.options
                let province = try context.services.graph.read { graph throws(ProtocolError) in try GraphCommands.provinceOption(options, graph: graph) }
                return try listNodes(context, kind: options.choice("kind", NodeKind.self), province: province,
                                     regionType: options.choice("region_type", RegionType.self), limit: options.number("limit") ?? 1000)
            },
            Command("SHOW", usage: "SHOW <node>",
                    summary: "One node (with its layer, aliases and period of validity) and every relation it has: a node record, then link records.",
                    arity: .exactly(1)) { request, context in
                let today = Today.amsterdam()
                return .now(try context.services.renderCache.answer(request, about: request.arguments[0], format: context.session.format,
                                                                     today: today, graph: context.services.graph) { graph in
                    let node = try graph.require(request.arguments[0])
                    let id = graph.id(forKey: node.key)!
                    let relations = graph.sortedRelations(of: id)
                    let successors = relations.filter { graph.kind(of: $0) == .succeededBy && graph.ends(of: $0).from == id }
                        .map { graph.node(id: graph.ends(of: $0).to).key }
                    let links = relations.map { Records.link(index: $0, in: graph) }
                    let members = node.kind == .network ? graph.members(of: id).count : 0
                    return Response(records: [Records.nodeDetail(node, successors: successors, members: members, today: today)] + links,
                                    status: Status([("links", .int(links.count))]))
                })
            },
        ]
    }
    /// Node records of every node of a kind, province and region type, by key; `OK rows=N`,
    /// and `total=` when `limit=` cut the list.
    static func listNodes(_ context: CommandContext, kind: NodeKind?, province: String?, regionType: RegionType?, limit: Int) throws -> Reply {
        let today = Today.amsterdam()
        let nodes = context.services.graph.read { graph in graph.nodes(kind: kind, province: province == "" ? nil : province, regionType: regionType) }
        var status: [(String, Value)] = [("rows", .int(min(limit, nodes.count)))]
        if nodes.count > limit { status.append(("total", .int(nodes.count))) }
        return .now(Response(records: nodes.prefix(limit).map { Records.node($0, today: today) }, status: Status(status)))
    }
}
