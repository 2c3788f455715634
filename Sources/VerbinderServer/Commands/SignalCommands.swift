import NIOCore
import VerbinderCore
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
        return context.write(request) { scope, done in
            context.core.signals.add(node: node, kind: kind, theme: theme, text: text, scope,
                                     answer: { id in Response(status: Status([("id", .int(id))])) }, completion: done)
        }
    }

    static let signals = Command(
        "SIGNALS", usage: "SIGNALS [theme=T] [kind=K] [node=<node>] [tier=T] [limit=N]", summary: "List signals.",
        arity: .exactly(0), options: [OptionSpec("theme", .theme), .choice("kind", SignalKind.self), .node("node"), .choice("tier", Tier.self), .limit()]
    ) { request, context in
        let kind = context.options.choice("kind", SignalKind.self)
        let node = try context.node("node")
        let tier = context.options.choice("tier", Tier.self)
        let tierNodes: [String]? = tier.map { tier in
            context.services.graph.read { graph in graph.nodeIDs.map(graph.node(id:)).filter { $0.tier == tier }.map(\.key) }
        }
        let theme = try context.theme()
        let limit = context.options.number("limit") ?? 100
        return .later(context.future {
            context.core.signals.list(theme: theme, kind: kind, node: node, nodes: tierNodes, limit: limit, completion: $0)
        }.map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }

    static let match = Command(
        "MATCH", usage: "MATCH <signal-id> [limit=N]",
        summary: "For a problem or need: solutions and practice examples on the same theme from elsewhere, most similar sources first.",
        arity: .exactly(1), options: [.limit()]
    ) { request, context in
        let id = try id(request.arguments[0], "signal")
        let limit = context.options.number("limit") ?? 20
        let graph = context.services.graph
        let language = context.session.language
        return .later(context.future { context.core.signals.matchCandidates(id, completion: $0) }.map { signal, answers in
            graph.read { graph in
                guard let source = graph.id(forKey: signal.node) else { return Response(records: [], status: Status([("rows", 0)])) }
                let records = graph.matches(for: source, answers: answers.map(\.node), limit: limit).map { match -> Record in
                    let answer = answers[match.index]
                    return Record("match", [("id", .int(answer.id)), ("node", .string(answer.node)),
                                            ("name", .string(graph.node(key: answer.node)?.name ?? answer.node)), ("kind", .string(answer.kind.rawValue)),
                                            ("theme", .string(answer.theme)), ("score", .double(match.score)), ("reason", .string(match.reason.text(language))),
                                            ("text", .string(answer.text))])
                }
                return Response(records: Array(records), status: Status([("rows", .int(records.count))]))
            }
        })
    }
}
