import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `MILESTONE`, `MILESTONES` and `DUE`: a trajectory's planning.
extension WorkflowCommands {
    // MARK: - MILESTONE

    static let milestone = Command(
        "MILESTONE", usage: "MILESTONE ADD|DONE|REOPEN|MOVE|CANCEL|HISTORY ...", summary: "Milestones of a trajectory.",
        permission: .write, options: [.node("owner"), OptionSpec("remind", .reminderOffsets), .text("note"), .text("reason"), OptionSpec("goal", .id("goal"))],
        subcommands: [
            .init("MILESTONE ADD", "MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d] [goal=<id>]",
                  "Add a milestone, perhaps serving one of the trajectory's goals: OK id=N.",
                  arity: .atLeast(4), permission: .write, options: ["owner", "remind", "goal"]),
            .init("MILESTONE DONE", "MILESTONE DONE <id> [note=...]", "Mark a milestone done (ERR CONFLICT if it is not open).",
                  arity: .exactly(2), permission: .write, options: ["note"]),
            .init("MILESTONE REOPEN", "MILESTONE REOPEN <id>", "Reopen a done or cancelled milestone.", arity: .exactly(2), permission: .write,
                  options: []),
            .init("MILESTONE MOVE", "MILESTONE MOVE <id> <YYYY-MM-DD> reason=\"...\"", "Move an open milestone's due date; the history keeps every move.",
                  arity: .exactly(3), permission: .write, options: ["reason"], required: ["reason"]),
            .init("MILESTONE CANCEL", "MILESTONE CANCEL <id> reason=\"...\"", "Cancel an open milestone.", arity: .exactly(2), permission: .write,
                  options: ["reason"], required: ["reason"]),
            .init("MILESTONE HISTORY", "MILESTONE HISTORY <id>", "The milestone and every change of it as history records.",
                  arity: .exactly(2), permission: .read, options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            let due = try date(request.arguments[2], "the due date")
            let title = request.arguments.dropFirst(3).joined(separator: " ")
            let owner = try context.node("owner")
            let given = context.options.text("remind")
            let goal = context.options.number("goal")
            let text = request.arguments[1]
            return context.write(request) { scope, done in
                context.core.milestones.add(trajectory: text, due: due, title: title, owner: owner, remind: given, goal: goal, scope,
                                            answer: { id in Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "HISTORY":
            let id = try id(request.arguments[1], "milestone")
            return .later(context.future { context.core.milestones.history(id, completion: $0) }.map { milestone, changes in
                let history = changes.map { entry -> Record in
                    var record = Record("history", [("milestone", .int(id)), ("at", .string(entry.at)), ("change", .string(entry.change))])
                    record.append("old_due", entry.old.map(Value.string))
                    record.append("new_due", entry.new.map(Value.string))
                    record.append("reason", entry.reason.map(Value.string))
                    return record
                }
                return Response(records: [record(milestone)] + history, status: Status([("changes", .int(history.count))]))
            })
        case let verb:
            // The table checked the argument count of each known sub-verb.
            guard let transition = MilestoneTransition(rawValue: verb.lowercased()) else { throw ProtocolError(.usage, "") }
            let id = try id(request.arguments[1], "milestone")
            var newDue: String?
            let reason = context.options.text("reason"), note = context.options.text("note")
            // The table requires reason= of MOVE and CANCEL; given empty it says nothing either.
            if transition == .move || transition == .cancel, reason?.isEmpty != false { throw ProtocolError(.usage, "") }
            if transition == .move { newDue = try date(request.arguments[2], "the new due date") }
            let frozenDue = newDue
            return context.write(request) { scope, done in
                context.core.milestones.transition(id, to: transition, due: frozenDue, reason: reason, note: note, scope, answer: { milestone in
                    Response(status: Status([("id", .int(id)), ("status", .string(milestone.status.rawValue)), ("due", .string(milestone.due))]))
                }, completion: done)
            }
        }
    }

    static let milestones = Command(
        "MILESTONES", usage: "MILESTONES [trajectory] [status=open|done|overdue|cancelled] [owner=<node>] [limit=N]",
        summary: "List milestones, soonest first.", arity: .between(0, 1), options: [.choice("status", MilestoneFilter.self), .node("owner"), .limit()]
    ) { request, context in
        let filter = context.options.choice("status", MilestoneFilter.self)
        let owner = try context.node("owner")
        let limit = context.options.number("limit") ?? 100
        let text = request.arguments.first
        return .later(context.future { context.core.milestones.list(trajectory: text, filter: filter, owner: owner, limit: limit, completion: $0) }
            .map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }

    static let due = Command(
        "DUE", usage: "DUE [within=14d] [trajectory=T] [owner=<node>] [theme=T] [limit=N]",
        summary: "Open milestones due within the window and every overdue one, soonest first, with days_left.",
        arity: .exactly(0), options: [OptionSpec("within", .days(default: "14d")), .text("trajectory"), .node("owner"), OptionSpec("theme", .theme), .limit()]
    ) { request, context in
        let days = context.options.measure("within")
        let owner = try context.node("owner")
        let theme = try context.theme()
        let limit = context.options.number("limit") ?? 100
        let text = context.options.text("trajectory")
        return .later(context.future {
            context.core.milestones.due(withinDays: days, trajectory: text, owner: owner, theme: theme, limit: limit, completion: $0)
        }.map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }
}
