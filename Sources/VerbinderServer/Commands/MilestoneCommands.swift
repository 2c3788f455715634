import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `MILESTONE`, `MILESTONES` and `DUE`: a trajectory's planning.
extension WorkflowCommands {
    // MARK: - MILESTONE

    static let milestone = Command(
        "MILESTONE", usage: "MILESTONE ADD|DONE|REOPEN|MOVE|CANCEL|HISTORY ...", summary: "Milestones of a trajectory.",
        permission: .write, options: ["owner", "remind", "note", "reason"],
        subcommands: [
            .init("MILESTONE ADD", "MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d]", "Add a milestone: OK id=N.",
                  arity: .atLeast(4), permission: .write, options: ["owner", "remind"]),
            .init("MILESTONE DONE", "MILESTONE DONE <id> [note=...]", "Mark a milestone done (ERR CONFLICT if it is not open).",
                  arity: .exactly(2), permission: .write, options: ["note"]),
            .init("MILESTONE REOPEN", "MILESTONE REOPEN <id>", "Reopen a done or cancelled milestone.", arity: .exactly(2), permission: .write,
                  options: []),
            .init("MILESTONE MOVE", "MILESTONE MOVE <id> <YYYY-MM-DD> reason=\"...\"", "Move an open milestone's due date; the history keeps every move.",
                  arity: .exactly(3), permission: .write, options: ["reason"]),
            .init("MILESTONE CANCEL", "MILESTONE CANCEL <id> reason=\"...\"", "Cancel an open milestone.", arity: .exactly(2), permission: .write,
                  options: ["reason"]),
            .init("MILESTONE HISTORY", "MILESTONE HISTORY <id>", "The milestone and every change of it as history records.",
                  arity: .exactly(2), permission: .read, options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            let due = try date(request.arguments[2], "the due date")
            let title = request.arguments.dropFirst(3).joined(separator: " ")
            let owner = try request.options["owner"].map { try nodeKey(context, $0) }
            let given = try remindOption(request)
            let text = request.arguments[1]
            return .later(write(context, request, audit: ["trajectory": text, "due": due, "action": "milestone add"]) { tx in
                let key = try trajectoryKey(tx, text)
                let remind = try given ?? WorkflowStore.trajectoryRemind(tx, key: key)
                let id = try WorkflowStore.insertMilestone(tx, trajectory: key, due: due, title: title, owner: owner, remind: remind)
                try ReminderStore.plan(tx, milestone: id)
                return id
            }.answer { id in Response(status: Status([("id", .int(id))])) })
        case "HISTORY":
            let id = try id(request.arguments[1], "milestone")
            return .later(read(context) { connection in
                guard let milestone = try WorkflowStore.milestone(connection, id: id) else { throw ProtocolError(.notFound, "no milestone \(id)") }
                let history = try WorkflowStore.history(connection, milestone: id).map { entry -> Record in
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
            if transition == .move || transition == .cancel {
                guard let reason = request.options["reason"], !reason.isEmpty else { throw ProtocolError(.usage, "") }
            }
            if transition == .move { newDue = try date(request.arguments[2], "the new due date") }
            let reason = request.options["reason"], note = request.options["note"]
            let frozenDue = newDue
            return .later(write(context, request, audit: ["milestone": String(id), "action": "milestone \(transition.rawValue)"]) { tx in
                guard let milestone = try WorkflowStore.milestoneForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no milestone \(id)") }
                guard transition.isAllowed(from: milestone.status) else {
                    let action = ["done": "mark it done", "reopen": "reopen it", "move": "move it", "cancel": "cancel it"][transition.rawValue]!
                    throw ProtocolError(.conflict, "milestone \(id) is \(milestone.status.rawValue): cannot \(action)")
                }
                try WorkflowStore.transition(tx, id: id, to: transition, due: frozenDue, reason: reason, note: note)
                try ReminderStore.plan(tx, milestone: id)
                return try WorkflowStore.milestone(tx, id: id)!
            }.answer { milestone in Response(status: Status([("id", .int(id)), ("status", .string(milestone.status.rawValue)), ("due", .string(milestone.due))])) })
        }
    }

    static let milestones = Command(
        "MILESTONES", usage: "MILESTONES [trajectory] [status=open|done|overdue|cancelled] [owner=<node>] [limit=N]",
        summary: "List milestones, soonest first.", arity: .between(0, 1), options: ["status", "owner", "limit"]
    ) { request, context in
        let filter = try request.enumOption("status", MilestoneFilter.self)
        let owner = try request.options["owner"].map { try nodeKey(context, $0) }
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        let text = request.arguments.first
        return .later(read(context) { connection in
            let key = try text.map { try trajectoryKey(connection, $0) }
            let list = try WorkflowStore.milestones(connection, trajectory: key, filter: filter, owner: owner, limit: limit)
            return Response(records: list.map(record), status: Status([("rows", .int(list.count))]))
        })
    }

    static let due = Command(
        "DUE", usage: "DUE [within=14d] [trajectory=T] [owner=<node>] [theme=T] [limit=N]",
        summary: "Open milestones due within the window and every overdue one, soonest first, with days_left.",
        arity: .exactly(0), options: ["within", "trajectory", "owner", "theme", "limit"]
    ) { request, context in
        guard let days = Durations.days(request.options["within"] ?? "14d") else { throw ProtocolError(.invalid, "within= is a number of days like 14d or 2w") }
        let owner = try request.options["owner"].map { try nodeKey(context, $0) }
        let theme = try request.themeOption(context.services.graph.vocabulary)
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        let text = request.options["trajectory"]
        return .later(read(context) { connection in
            let key = try text.map { try trajectoryKey(connection, $0) }
            let list = try WorkflowStore.due(connection, withinDays: days, trajectory: key, owner: owner, theme: theme, limit: limit)
            return Response(records: list.map(record), status: Status([("rows", .int(list.count))]))
        })
    }
}
