import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `GOAL` and `GOALS`: the goals of a trajectory and whether they are met.
extension WorkflowCommands {
    // MARK: - GOAL

    static let goal = Command(
        "GOAL", usage: "GOAL ADD|PROGRESS|MET|DROP|<id> ...", summary: "Goals of a trajectory: add, report progress, met, drop, show.",
        arity: .atLeast(1), permission: .read,
        options: [.text("indicator"), .text("target"), .date("by"), .text("note"), .text("reason")],
        subcommands: [
            .init("GOAL ADD", "GOAL ADD <trajectory> <text> [indicator=...] [target=...] [by=YYYY-MM-DD]",
                  "Add a goal to a trajectory, perhaps with what is measured, the value aimed at and the date: OK id=N.",
                  arity: .atLeast(3), permission: .write, options: ["indicator", "target", "by"]),
            .init("GOAL PROGRESS", "GOAL PROGRESS <id> <value|text> [note=...]",
                  "Report progress on an open goal: a figure or words, dated and kept as history.",
                  arity: .atLeast(3), permission: .write, options: ["note"]),
            .init("GOAL MET", "GOAL MET <id>", "Mark an open goal met, today.", arity: .exactly(2), permission: .write, options: []),
            .init("GOAL DROP", "GOAL DROP <id> reason=...", "Drop an open goal, saying why.",
                  arity: .exactly(2), permission: .write, options: ["reason"], required: ["reason"]),
            .init("GOAL", "GOAL <id>", "One goal and its history: a goal record, then progress records.",
                  arity: .exactly(1), permission: .read, options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            let text = request.arguments[1]
            let goal = request.arguments.dropFirst(2).joined(separator: " ")
            guard !goal.allSatisfy(\.isWhitespace) else { throw ProtocolError(.invalid, "a goal needs a text") }
            let indicator = context.options.text("indicator"), target = context.options.text("target"), by = context.options.text("by")
            return context.write(request) { scope, done in
                context.core.goals.add(trajectory: text, goal: goal, indicator: indicator, target: target, by: by, scope,
                                       answer: { id in Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "PROGRESS", "MET", "DROP":
            let id = try id(request.arguments[1], "goal")
            let step = GoalStep(rawValue: subverb(request).lowercased())!
            var value: String?, note: String?
            switch step {
            case .progress:
                let given = request.arguments.dropFirst(2).joined(separator: " ")
                guard !given.allSatisfy(\.isWhitespace) else { throw ProtocolError(.invalid, "progress needs a value or text") }
                value = given
                note = context.options.text("note")
            case .met: break
            case .drop:
                // The table requires reason=; given empty it says nothing either.
                guard let reason = context.options.text("reason"), !reason.isEmpty else { throw ProtocolError(.usage, "") }
                note = reason
            }
            return context.write(request) { scope, done in
                context.core.goals.step(id, step, value: value, note: note, scope,
                                        answer: { state in Response(status: Status([("id", .int(id)), ("state", .string(state.rawValue))])) },
                                        completion: done)
            }
        default:
            // `GOAL <id>` takes nothing else: an unknown sub-verb or an option is a usage error.
            guard request.arguments.count == 1, context.options.isEmpty else { throw ProtocolError(.usage, "") }
            let id = try id(request.arguments[0], "goal")
            return .later(context.future { context.core.goals.goal(id, completion: $0) }.map { goal, progress in
                let reports = progress.map { entry -> Record in
                    var record = Record("progress", [("goal", .int(id)), ("at", .string(entry.at)), ("value", .string(entry.value))])
                    record.append("note", entry.note.map(Value.string))
                    return record
                }
                return Response(records: [record(goal)] + reports, status: Status([("id", .int(id)), ("progress", .int(reports.count))]))
            })
        }
    }

    static let goals = Command(
        "GOALS", usage: "GOALS [trajectory=T] [state=open|met|dropped] [limit=N]", summary: "List goals by id.",
        arity: .exactly(0), options: [.text("trajectory"), .choice("state", GoalState.self), .limit(100_000)]
    ) { request, context in
        let state = context.options.choice("state", GoalState.self)
        let limit = context.options.number("limit") ?? 100
        let text = context.options.text("trajectory")
        return .later(context.future { context.core.goals.list(trajectory: text, state: state, limit: limit, completion: $0) }
            .map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }

    static func record(_ g: Goal) -> Record {
        var record = Record("goal", [("id", .int(g.id)), ("trajectory", .string(g.trajectory)), ("text", .string(g.text))])
        record.append("indicator", g.indicator.map(Value.string))
        record.append("target", g.target.map(Value.string))
        record.append("by", g.by.map(Value.string))
        record.append("state", .string(g.state.rawValue))
        if g.pastDate { record.append("overdue", .bool(true)) }
        record.append("met", g.met.map(Value.string))
        record.append("dropped", g.dropped.map(Value.string))
        record.append("reason", g.reason.map(Value.string))
        record.append("latest", g.latest.map(Value.string))
        record.append("created", .string(g.created))
        return record
    }
}
