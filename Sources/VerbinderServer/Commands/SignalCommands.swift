import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `SIGNAL`, `SIGNALS` and `MATCH`: the problem analyses and solutions the VNG collects.
extension WorkflowCommands {
    // MARK: - Signals

    static let signal = Command(
        "SIGNAL", usage: "SIGNAL ADD|RAISE|ANSWER|CLOSE|WITHDRAW|<id> ...", summary: "Signals and their way to the national table and back.",
        arity: .atLeast(1), permission: .read,
        options: [OptionSpec("meeting", .id("meeting")), .text("note"), .node("by"), .text("outcome"), .text("reason")],
        subcommands: [
            .init("SIGNAL ADD", "SIGNAL ADD <node> problem|solution|example|need <theme> <text>",
                  "Bring in a problem analysis, solution, practice example or support need: OK id=N.",
                  arity: .atLeast(5), permission: .write, options: []),
            .init("SIGNAL RAISE", "SIGNAL RAISE <id> <node> [meeting=<id>] [note=...]",
                  "Put an open signal on the table of a national or provincial party, perhaps at a meeting.",
                  arity: .exactly(3), permission: .write, options: ["meeting", "note"]),
            .init("SIGNAL ANSWER", "SIGNAL ANSWER <id> <text> [by=<node>]", "Record the answer that came back to a raised signal.",
                  arity: .atLeast(3), permission: .write, options: ["by"]),
            .init("SIGNAL CLOSE", "SIGNAL CLOSE <id> [outcome=...]", "Close a signal that is open, raised or answered.",
                  arity: .exactly(2), permission: .write, options: ["outcome"]),
            .init("SIGNAL WITHDRAW", "SIGNAL WITHDRAW <id> reason=...", "Withdraw a signal that is not closed.",
                  arity: .exactly(2), permission: .write, options: ["reason"], required: ["reason"]),
            .init("SIGNAL", "SIGNAL <id>", "One signal and its history: a signal record, then step records.",
                  arity: .exactly(1), permission: .read, options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            let node = try nodeKey(context, request.arguments[1])
            let kind = try enumValue(request.arguments[2], SignalKind.self, "kind")
            let theme = try context.services.graph.vocabulary.require(request.arguments[3])
            let text = request.arguments.dropFirst(4).joined(separator: " ")
            return context.write(request) { scope, done in
                context.core.signals.add(node: node, kind: kind, theme: theme, text: text, scope,
                                         answer: { id in Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "RAISE", "ANSWER", "CLOSE", "WITHDRAW":
            let id = try id(request.arguments[1], "signal")
            let step = SignalStep(rawValue: subverb(request).lowercased())!
            var node: String?
            var text: String?
            switch step {
            case .raise:
                let party = try context.services.graph.read { try $0.require(request.arguments[2]) }
                // The mouthpiece speaks to the national government, or to a province: not to another municipality.
                guard party.layer != .decentral else {
                    throw ProtocolError(.invalid, "a signal is raised with a national or provincial party (a ministry, a province, IPO), not \(party.key)")
                }
                node = party.key
                text = context.options.text("note")
            case .answer:
                node = try context.node("by")
                text = request.arguments.dropFirst(2).joined(separator: " ")
            case .close: text = context.options.text("outcome")
            case .withdraw: text = context.options.text("reason")
            }
            let meeting = context.options.number("meeting")
            return context.write(request) { scope, done in
                context.core.signals.step(id, step, node: node, meeting: meeting, text: text, scope,
                                          answer: { status in Response(status: Status([("id", .int(id)), ("status", .string(status.rawValue))])) },
                                          completion: done)
            }
        default:
            guard request.arguments.count == 1 else { throw ProtocolError(.usage, "") }
            let id = try id(request.arguments[0], "signal")
            return .later(context.future { context.core.signals.signal(id, completion: $0) }.map { signal, history in
                let steps = history.map { entry -> Record in
                    var record = Record("step", [("signal", .int(id)), ("status", .string(entry.status.rawValue)), ("at", .string(entry.at))])
                    record.append("node", entry.node.map(Value.string))
                    record.append("meeting", entry.meeting.map(Value.int))
                    record.append("text", entry.text.map(Value.string))
                    return record
                }
                return Response(records: [record(signal)] + steps, status: Status([("id", .int(id)), ("steps", .int(steps.count))]))
            })
        }
    }

    static let signals = Command(
        "SIGNALS", usage: "SIGNALS [theme=T] [kind=K] [node=<node>] [tier=T] [state=S] [raised_with=<node>] [limit=N]", summary: "List signals.",
        arity: .exactly(0), options: [OptionSpec("theme", .theme), .choice("kind", SignalKind.self), .node("node"), .choice("tier", Tier.self),
                                      .choice("state", SignalStatus.self), .node("raised_with"), .limit(100_000)]
    ) { request, context in
        let kind = context.options.choice("kind", SignalKind.self)
        let state = context.options.choice("state", SignalStatus.self)
        let raisedWith = try context.node("raised_with")
        let node = try context.node("node")
        let tier = context.options.choice("tier", Tier.self)
        let tierNodes: [String]? = tier.map { tier in
            context.services.graph.read { graph in graph.nodeIDs.map(graph.node(id:)).filter { $0.tier == tier }.map(\.key) }
        }
        let theme = try context.theme()
        let limit = context.options.number("limit") ?? 100
        return .later(context.future {
            context.core.signals.list(theme: theme, kind: kind, node: node, nodes: tierNodes, status: state, raisedWith: raisedWith,
                                      limit: limit, completion: $0)
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
        return .later(context.future { context.core.signals.match(id, limit: limit, completion: $0) }.map { _, answers in
            let records = graph.read { graph in
                answers.map { answer, match -> Record in
                    Record("match", [("id", .int(answer.id)), ("node", .string(answer.node)),
                                     ("name", .string(graph.node(key: answer.node)?.name ?? answer.node)), ("kind", .string(answer.kind.rawValue)),
                                     ("theme", .string(answer.theme)), ("score", .double(match.score)), ("reason", .string(match.reason.text(language))),
                                     ("text", .string(answer.text))])
                }
            }
            return Response(records: records, status: Status([("rows", .int(records.count))]))
        })
    }
}
