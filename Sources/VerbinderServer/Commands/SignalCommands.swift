import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `SIGNAL`, `SIGNALS` and `MATCH`: the problem analyses and solutions the VNG collects.
extension WorkflowCommands {
    // MARK: - Signals

    static let signal = Command(
        "SIGNAL", usage: "SIGNAL ADD <node> problem|solution|example|need <theme> <text>", summary: "Signals.", permission: .write,
        subcommands: [.init("SIGNAL ADD", "SIGNAL ADD <node> problem|solution|example|need <theme> <text>",
                            "Bring in a problem analysis, solution, practice example or support need: OK id=N.",
                            arity: .atLeast(5), permission: .write)]
    ) { request, context in
        guard subverb(request) == "ADD" else { throw ProtocolError(.usage, "") }
        let node = try nodeKey(context, request.arguments[1])
        let kind = try enumValue(request.arguments[2], SignalKind.self, "kind")
        let theme = try context.services.graph.vocabulary.require(request.arguments[3])
        let text = request.arguments.dropFirst(4).joined(separator: " ")
        return .later(write(context, request, audit: ["node": node, "kind": kind.rawValue, "theme": theme, "action": "signal add"]) { tx in
            try WorkflowStore.insertSignal(tx, node: node, kind: kind, theme: theme, text: text)
        }.answer { id in Response(status: Status([("id", .int(id))])) })
    }

    static let signals = Command(
        "SIGNALS", usage: "SIGNALS [theme=T] [kind=K] [node=<node>] [tier=T] [limit=N]", summary: "List signals.",
        arity: .exactly(0), options: ["theme", "kind", "node", "tier", "limit"]
    ) { request, context in
        let kind = try request.enumOption("kind", SignalKind.self)
        let node = try request.options["node"].map { try nodeKey(context, $0) }
        let tier = try request.enumOption("tier", Tier.self)
        let tierNodes: [String]? = tier.map { tier in
            context.services.graph.read { graph in graph.nodeIDs.map(graph.node(id:)).filter { $0.tier == tier }.map(\.key) }
        }
        let theme = try request.themeOption(context.services.graph.vocabulary)
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        return .later(read(context) { connection in
            let list = try WorkflowStore.signals(connection, theme: theme, kind: kind, node: node, nodes: tierNodes, openOnly: false, limit: limit)
            return Response(records: list.map(record), status: Status([("rows", .int(list.count))]))
        })
    }

    static let match = Command(
        "MATCH", usage: "MATCH <signal-id> [limit=N]",
        summary: "For a problem or need: solutions and practice examples on the same theme from elsewhere, most similar sources first.",
        arity: .exactly(1), options: ["limit"]
    ) { request, context in
        let id = try id(request.arguments[0], "signal")
        let limit = try request.intOption("limit", default: 20, range: 1...1000)
        let graph = context.services.graph
        return .later(read(context) { connection -> (Signal, [Signal]) in
            guard let signal = try WorkflowStore.signal(connection, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            guard signal.kind == .problem || signal.kind == .need else {
                throw ProtocolError(.invalid, "signal \(id) is a \(signal.kind.rawValue); MATCH takes a problem or a need")
            }
            let answers = try WorkflowStore.signals(connection, theme: signal.theme, kind: nil, node: nil, nodes: nil, openOnly: false, limit: 10_000)
                .filter { ($0.kind == .solution || $0.kind == .example) && Keys.fold($0.node) != Keys.fold(signal.node) }
            return (signal, answers)
        }.map { signal, answers in
            graph.read { graph in
                guard let source = graph.id(forKey: signal.node) else { return Response(records: [], status: Status([("rows", 0)])) }
                let sourceNode = graph.node(id: source)
                let sourceRegions = Set(graph.edges(source).filter { graph.node(id: $0.neighbor).kind == .region }.map(\.neighbor))
                var scored: [(Signal, Double, String)] = []
                for answer in answers {
                    guard let other = graph.id(forKey: answer.node) else { continue }
                    let otherNode = graph.node(id: other)
                    var score = 1.0
                    var reasons: [String] = []
                    if otherNode.tier == sourceNode.tier { score += 1; reasons.append("same tier (\(otherNode.tier.rawValue))") }
                    let shared = sourceRegions.intersection(graph.edges(other).map(\.neighbor))
                    if !shared.isEmpty {
                        score += Double(shared.count)
                        reasons.append("shared region " + shared.map { graph.node(id: $0).name }.sorted().joined(separator: ", "))
                    }
                    if let path = graph.shortestPath(from: source, to: other, maxHops: 6) {
                        score += 2.0 / Double(1 + path.hops)
                        reasons.append("\(path.hops) step\(path.hops == 1 ? "" : "s") away")
                    }
                    scored.append((answer, score, reasons.joined(separator: "; ")))
                }
                scored.sort { ($0.1, $1.0.id) > ($1.1, $0.0.id) }
                let records = scored.prefix(limit).map { answer, score, reason -> Record in
                    Record("match", [("id", .int(answer.id)), ("node", .string(answer.node)),
                                     ("name", .string(graph.node(key: answer.node)?.name ?? answer.node)), ("kind", .string(answer.kind.rawValue)),
                                     ("theme", .string(answer.theme)), ("score", .double(score)), ("reason", .string(reason)),
                                     ("text", .string(answer.text))])
                }
                return Response(records: Array(records), status: Status([("rows", .int(records.count))]))
            }
        })
    }
}
