import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The co-design workflow: trajectories, stakeholders, milestones, meetings, signals.
/// PostgreSQL holds all of it; every write is audited in its own transaction.
enum WorkflowCommands {
    static var all: [Command] { [trajectory, trajectories, stakeholder, milestone, milestones, due, meeting, meetings, signal, signals, match] }

    // MARK: - Helpers

    /// A workflow write: SQL and audit row in one transaction, run once its answer is given
    /// (`write(...) { tx in ... }.answer { value in Response(...) }`).
    static func write<T: Sendable>(_ context: CommandContext, _ request: Request, audit: [String: String], auditCommand: String? = nil,
                                   _ sql: @escaping @Sendable (Connection) throws -> T) -> PendingWrite<T> {
        PendingWrite(context: context, request: request, audit: audit, auditCommand: auditCommand, sql: sql)
    }

    /// A workflow write waiting for its answer, which is made inside the write's transaction.
    struct PendingWrite<T: Sendable> {
        let context: CommandContext
        let request: Request
        let audit: [String: String]
        let auditCommand: String?
        let sql: @Sendable (Connection) throws -> T

        /// Runs the write; `answer` turns its result into the response.
        func answer(_ answer: @escaping @Sendable (T) throws -> Response) -> EventLoopFuture<Response> {
            context.commit(request, locking: [], audit: audit, announce: [], sql: sql, apply: { _, _ in },
                           auditCommand: auditCommand, answer: answer)
        }
    }

    static func read<T: Sendable>(_ context: CommandContext, _ body: @escaping @Sendable (Connection) throws -> T) -> EventLoopFuture<T> {
        context.services.pool.withConnection(on: context.eventLoop, body)
    }

    static func nodeKey(_ context: CommandContext, _ text: String) throws -> String {
        try context.services.graph.read { try $0.require(text).key }
    }

    static func nodeKeys(_ context: CommandContext, _ texts: [String]) throws -> [String] {
        try context.services.graph.read { graph in try texts.map { try graph.require($0).key } }
    }

    /// The canonical key of a trajectory, or NOTFOUND.
    static func trajectoryKey(_ connection: Connection, _ text: String) throws -> String {
        guard let key = try connection.query("SELECT key FROM trajectories WHERE lower(key) = lower($1)", [text]).all.first?.string(0) else {
            throw ProtocolError(.notFound, "no trajectory \(Quoting.quote(text))")
        }
        return key
    }

    static func id(_ text: String, _ what: String) throws(ProtocolError) -> Int {
        guard let id = Int(text), id > 0 else { throw ProtocolError(.invalid, "\(what) id must be a positive number") }
        return id
    }

    static func date(_ text: String, _ what: String) throws(ProtocolError) -> String {
        guard Validation.isDate(text) else { throw ProtocolError(.invalid, "\(what) must be a date YYYY-MM-DD from 1900 to 9999") }
        return text
    }

    static func optionalDate(_ request: Request, _ name: String) throws(ProtocolError) -> String? {
        guard let text = request.options[name] else { return nil }
        return try date(text, "\(name)=")
    }

    static func enumValue<T: RawRepresentable & CaseIterable>(_ text: String, _ type: T.Type, _ what: String) throws(ProtocolError) -> T where T.RawValue == String {
        guard let value = T(rawValue: text.lowercased()) else {
            throw ProtocolError(.invalid, "\(what) \(Quoting.quote(text)) is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// `remind=14d,3d,0d` normalised (whole days, largest first), or nil when not given.
    static func remindOption(_ request: Request) throws(ProtocolError) -> String? {
        guard let text = request.options["remind"] else { return nil }
        guard let offsets = Durations.offsets(text) else { throw ProtocolError(.invalid, "remind= is a list like 14d,3d,0d") }
        return offsets.map { "\($0)d" }.joined(separator: ",")
    }

    static func subverb(_ request: Request) -> String { request.arguments.first?.uppercased() ?? "" }

    // MARK: - Records

    static func record(_ t: Trajectory) -> Record {
        var record = Record("trajectory", [("key", .string(t.key)), ("name", .string(t.name)), ("kind", .string(t.kind)),
                                           ("lead", .string(t.lead))])
        record.append("region", t.region.map(Value.string))
        if !t.themes.isEmpty { record.append("themes", .list(t.themes)) }
        record.append("goal", t.goal.map(Value.string))
        record.append("status", .string(t.status))
        record.append("start", t.start.map(Value.string))
        record.append("end", t.end.map(Value.string))
        return record
    }

    static func record(_ m: Milestone) -> Record {
        var record = Record("milestone", [("id", .int(m.id)), ("trajectory", .string(m.trajectory)), ("title", .string(m.title)),
                                          ("due", .string(m.due))])
        record.append("owner", m.owner.map(Value.string))
        record.append("status", .string(m.status))
        if m.overdue { record.append("overdue", .bool(true)) }
        record.append("done", m.doneOn.map(Value.string))
        record.append("days_left", .int(m.daysLeft))
        record.append("remind", .string(m.remind))
        record.append("meeting", m.meeting.map(Value.int))
        record.append("note", m.note.map(Value.string))
        return record
    }

    static func record(_ m: Meeting) -> Record {
        var record = Record("meeting", [("id", .int(m.id))])
        record.append("trajectory", m.trajectory.map(Value.string))
        record.append("start", .string(m.start))
        record.append("end", .string(m.end))
        record.append("duration", .int(m.duration))
        record.append("title", .string(m.title))
        if !m.place.isEmpty { record.append("place", .string(m.place)) }
        record.append("status", .string(m.status))
        record.append("axis", .string(m.axis))
        record.append("tripartite", .bool(m.tripartite))
        record.append("participants", .list(m.participants))
        record.append("outcome", m.outcome.map(Value.string))
        if !m.notes.isEmpty { record.append("notes", .string(m.notes)) }
        return record
    }

    static func record(_ s: Signal) -> Record {
        Record("signal", [("id", .int(s.id)), ("node", .string(s.node)), ("kind", .string(s.kind)), ("theme", .string(s.theme)),
                          ("text", .string(s.text)), ("status", .string(s.status)), ("created", .string(s.created))])
    }

    // MARK: - TRAJECTORY

    static let trajectory = Command(
        "TRAJECTORY", usage: "TRAJECTORY ADD|SET|<key> ...", summary: "Trajectories: add, change, show.",
        options: ["kind", "lead", "region", "themes", "goal", "start", "end", "name", "status", "remind"],
        subcommands: [
            ("TRAJECTORY ADD", "TRAJECTORY ADD <key> <name> kind=K lead=<node> [region=<node>] [themes=a,b] [goal=\"...\"] [start=YYYY-MM-DD] [end=YYYY-MM-DD] [remind=14d,3d,0d]",
             "Start a trajectory (kansenagenda, codesign, programme, regiodeal, other); its lead becomes a stakeholder."),
            ("TRAJECTORY SET", "TRAJECTORY SET <key> name=value... (fields: name, kind, lead, region, themes, goal, status, start, end, remind)",
             "Change a trajectory; status is active, paused, done or stopped."),
            ("TRAJECTORY", "TRAJECTORY <key>", "A trajectory with its stakeholders, milestones and meetings."),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            guard request.arguments.count >= 3, let kindText = request.options["kind"], let leadText = request.options["lead"] else {
                throw ProtocolError(.usage, "usage: TRAJECTORY ADD <key> <name> kind=K lead=<node> [region=<node>] [themes=a,b] [goal=\"...\"] [start=] [end=]")
            }
            let key = request.arguments[1]
            guard Keys.isValid(key) else { throw ProtocolError(.invalid, "key must be 1-64 letters, digits, - or _") }
            let kind = try enumValue(kindText, TrajectoryKind.self, "kind")
            let lead = try nodeKey(context, leadText)
            var region: String?
            if let regionText = request.options["region"] {
                let node = try context.services.graph.read { try $0.require(regionText) }
                guard node.kind == .region else { throw ProtocolError(.invalid, "region=\(regionText) is not a region") }
                region = node.key
            }
            let themes = try request.themesOption(context.services.graph.vocabulary) ?? []
            let start = try optionalDate(request, "start"), end = try optionalDate(request, "end")
            if let start, let end, end < start { throw ProtocolError(.invalid, "end= is before start=") }
            if request.options["status"] != nil || request.options["name"] != nil { throw ProtocolError(.usage, "status= and name= go with TRAJECTORY SET") }
            let remind = try remindOption(request)
            let trajectory = Trajectory(key: key, name: request.arguments.dropFirst(2).joined(separator: " "), kind: kind.rawValue,
                                        lead: lead, region: region, themes: themes, goal: request.options["goal"], status: "active",
                                        start: start, end: end)
            return .later(write(context, request, audit: ["trajectory": key, "action": "add"]) { tx in
                if try tx.query("SELECT 1 FROM trajectories WHERE lower(key) = lower($1)", [key]).count > 0 {
                    throw ProtocolError(.conflict, "a trajectory with key \(key) exists")
                }
                try WorkflowStore.insertTrajectory(tx, trajectory)
                if let remind { try tx.query("UPDATE trajectories SET remind = $2 WHERE key = $1", [key, remind]) }
            }.answer { Response(status: Status([("key", .string(key))])) })
        case "SET":
            guard request.arguments.count == 2, !request.options.isEmpty else { throw ProtocolError(.usage, "usage: TRAJECTORY SET <key> name=value...") }
            var fields: [String: String?] = [:]
            if let name = request.options["name"] { guard !name.isEmpty else { throw ProtocolError(.invalid, "name must not be empty") }; fields["name"] = name }
            if let kind = request.options["kind"] { fields["kind"] = try enumValue(kind, TrajectoryKind.self, "kind").rawValue }
            if let status = request.options["status"] { fields["status"] = try enumValue(status, TrajectoryStatus.self, "status").rawValue }
            if let lead = request.options["lead"] { fields["lead"] = try nodeKey(context, lead) }
            if let region = request.options["region"] {
                if region.isEmpty { fields["region"] = .some(nil) } else {
                    let node = try context.services.graph.read { try $0.require(region) }
                    guard node.kind == .region else { throw ProtocolError(.invalid, "region=\(region) is not a region") }
                    fields["region"] = node.key
                }
            }
            if let themes = try request.themesOption(context.services.graph.vocabulary) { fields["themes"] = PostgresArray.literal(themes) }
            if let goal = request.options["goal"] { fields["goal"] = goal }
            if request.options["start"] != nil { fields["start"] = try optionalDate(request, "start") }
            if request.options["end"] != nil { fields["end"] = try optionalDate(request, "end") }
            if let remind = try remindOption(request) { fields["remind"] = remind }
            let text = request.arguments[1]
            let changes = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value ?? "") })
            let frozen = fields
            return .later(write(context, request, audit: changes.merging(["trajectory": text, "action": "set"]) { a, _ in a }) { tx in
                let key = try trajectoryKey(tx, text)
                guard let updated = try WorkflowStore.updateTrajectory(tx, key: key, fields: frozen) else {
                    throw ProtocolError(.notFound, "no trajectory \(key)")
                }
                return updated.key
            }.answer { key in Response(status: Status([("key", .string(key))])) })
        default:
            guard request.arguments.count == 1 else { throw ProtocolError(.usage, "usage: TRAJECTORY ADD|SET|<key> ...") }
            let text = request.arguments[0]
            let graph = context.services.graph
            return .later(read(context) { connection -> Response in
                let key = try trajectoryKey(connection, text)
                guard let trajectory = try WorkflowStore.trajectory(connection, key: key) else { throw ProtocolError(.notFound, "no trajectory \(key)") }
                let stakeholders = try WorkflowStore.stakeholders(connection, trajectory: key)
                let milestones = try WorkflowStore.milestones(connection, trajectory: key, filter: nil, owner: nil, limit: 1000)
                let meetings = try WorkflowStore.meetings(connection, node: nil, trajectory: key, from: nil, to: nil, axis: nil, tripartiteOnly: false, limit: 1000)
                var records = [record(trajectory)]
                records += graph.read { graph in
                    stakeholders.map { entry -> Record in
                        var record = Record("stakeholder", [("trajectory", .string(key)), ("key", .string(entry.node))])
                        if let node = graph.node(key: entry.node) {
                            record.append("name", .string(node.name))
                            record.append("tier", .string(node.tier.rawValue))
                        }
                        record.append("role", .string(entry.role))
                        return record
                    }
                }
                records += milestones.map(record)
                records += meetings.map(record)
                return Response(records: records, status: Status([("stakeholders", .int(stakeholders.count)), ("milestones", .int(milestones.count)),
                                                                  ("meetings", .int(meetings.count))]))
            })
        }
    }

    static let trajectories = Command(
        "TRAJECTORIES", usage: "TRAJECTORIES [kind=K] [status=S] [node=<node>] [theme=T] [limit=N]",
        summary: "List trajectories.", options: ["kind", "status", "node", "theme", "limit"]
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let kind = try request.enumOption("kind", TrajectoryKind.self)?.rawValue
        let status = try request.enumOption("status", TrajectoryStatus.self)?.rawValue
        let node = try request.options["node"].map { try nodeKey(context, $0) }
        let theme = try request.themeOption(context.services.graph.vocabulary)
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        return .later(read(context) { connection in
            let list = try WorkflowStore.trajectories(connection, kind: kind, status: status, node: node, theme: theme, limit: limit)
            return Response(records: list.map(record), status: Status([("rows", .int(list.count))]))
        })
    }

    // MARK: - STAKEHOLDER

    static let stakeholder = Command(
        "STAKEHOLDER", usage: "STAKEHOLDER ADD|REMOVE <trajectory> <node> [role=R]", summary: "Stakeholders of a trajectory.",
        options: ["role"],
        subcommands: [
            ("STAKEHOLDER ADD", "STAKEHOLDER ADD <trajectory> <node> [role=lead|partner|advisor|funder|observer]", "Add a stakeholder (default role partner)."),
            ("STAKEHOLDER REMOVE", "STAKEHOLDER REMOVE <trajectory> <node>", "Remove a stakeholder (not the lead)."),
        ]
    ) { request, context in
        let verb = subverb(request)
        guard ["ADD", "REMOVE"].contains(verb), request.arguments.count == 3 else {
            throw ProtocolError(.usage, "usage: STAKEHOLDER ADD|REMOVE <trajectory> <node> [role=R]")
        }
        let node = try nodeKey(context, request.arguments[2])
        let text = request.arguments[1]
        if verb == "ADD" {
            let role = try enumValue(request.options["role"] ?? "partner", StakeholderRole.self, "role").rawValue
            return .later(write(context, request, audit: ["trajectory": text, "node": node, "role": role, "action": "stakeholder add"]) { tx in
                let key = try trajectoryKey(tx, text)
                if try tx.query("SELECT 1 FROM stakeholders WHERE trajectory = $1 AND node_key = $2", [key, node]).count > 0 {
                    throw ProtocolError(.conflict, "\(node) is already a stakeholder of \(key)")
                }
                try WorkflowStore.addStakeholder(tx, trajectory: key, node: node, role: role)
            }.answer { Response(status: Status([("role", .string(role))])) })
        }
        if request.options["role"] != nil { throw ProtocolError(.usage, "role= goes with STAKEHOLDER ADD") }
        return .later(write(context, request, audit: ["trajectory": text, "node": node, "action": "stakeholder remove"]) { tx in
            let key = try trajectoryKey(tx, text)
            if try tx.query("SELECT 1 FROM trajectories WHERE key = $1 AND lead_key = $2", [key, node]).count > 0 {
                throw ProtocolError(.conflict, "\(node) leads \(key); set another lead first")
            }
            guard try WorkflowStore.removeStakeholder(tx, trajectory: key, node: node) else {
                throw ProtocolError(.notFound, "\(node) is no stakeholder of \(key)")
            }
        }.answer { Response() })
    }

    // MARK: - MILESTONE

    static let milestone = Command(
        "MILESTONE", usage: "MILESTONE ADD|DONE|REOPEN|MOVE|CANCEL|HISTORY ...", summary: "Milestones of a trajectory.",
        options: ["owner", "remind", "note", "reason"],
        subcommands: [
            ("MILESTONE ADD", "MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d]", "Add a milestone: OK id=N."),
            ("MILESTONE DONE", "MILESTONE DONE <id> [note=...]", "Mark a milestone done (ERR CONFLICT if it is not open)."),
            ("MILESTONE REOPEN", "MILESTONE REOPEN <id>", "Reopen a done or cancelled milestone."),
            ("MILESTONE MOVE", "MILESTONE MOVE <id> <YYYY-MM-DD> reason=\"...\"", "Move an open milestone's due date; the history keeps every move."),
            ("MILESTONE CANCEL", "MILESTONE CANCEL <id> reason=\"...\"", "Cancel an open milestone."),
            ("MILESTONE HISTORY", "MILESTONE HISTORY <id>", "The milestone and every change of it as history records."),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            guard request.arguments.count >= 4 else { throw ProtocolError(.usage, "usage: MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d]") }
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
            guard request.arguments.count == 2 else { throw ProtocolError(.usage, "usage: MILESTONE HISTORY <id>") }
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
            guard let transition = MilestoneTransition(rawValue: verb.lowercased()), request.arguments.count >= 2 else {
                throw ProtocolError(.usage, "usage: MILESTONE ADD|DONE|REOPEN|MOVE|CANCEL|HISTORY ...")
            }
            let id = try id(request.arguments[1], "milestone")
            var newDue: String?
            switch transition {
            case .move:
                guard request.arguments.count == 3, let reason = request.options["reason"], !reason.isEmpty else {
                    throw ProtocolError(.usage, "usage: MILESTONE MOVE <id> <YYYY-MM-DD> reason=\"...\"")
                }
                newDue = try date(request.arguments[2], "the new due date")
            case .cancel:
                guard request.arguments.count == 2, let reason = request.options["reason"], !reason.isEmpty else {
                    throw ProtocolError(.usage, "usage: MILESTONE CANCEL <id> reason=\"...\"")
                }
            default:
                guard request.arguments.count == 2 else { throw ProtocolError(.usage, "usage: MILESTONE \(verb) <id>") }
            }
            let reason = request.options["reason"], note = request.options["note"]
            let frozenDue = newDue
            return .later(write(context, request, audit: ["milestone": String(id), "action": "milestone \(transition.rawValue)"]) { tx in
                guard let milestone = try WorkflowStore.milestoneForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no milestone \(id)") }
                guard let status = MilestoneStatus(rawValue: milestone.status), transition.isAllowed(from: status) else {
                    let action = ["done": "mark it done", "reopen": "reopen it", "move": "move it", "cancel": "cancel it"][transition.rawValue]!
                    throw ProtocolError(.conflict, "milestone \(id) is \(milestone.status): cannot \(action)")
                }
                try WorkflowStore.transition(tx, id: id, to: transition, due: frozenDue, reason: reason, note: note)
                try ReminderStore.plan(tx, milestone: id)
                return try WorkflowStore.milestone(tx, id: id)!
            }.answer { milestone in Response(status: Status([("id", .int(id)), ("status", .string(milestone.status)), ("due", .string(milestone.due))])) })
        }
    }

    static let milestones = Command(
        "MILESTONES", usage: "MILESTONES [trajectory] [status=open|done|overdue|cancelled] [owner=<node>] [limit=N]",
        summary: "List milestones, soonest first.", options: ["status", "owner", "limit"]
    ) { request, context in
        guard request.arguments.count <= 1 else { throw ProtocolError(.usage, "") }
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
        options: ["within", "trajectory", "owner", "theme", "limit"]
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
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

    // MARK: - MEETING

    static let meeting = Command(
        "MEETING", usage: "MEETING PLAN|NOTE|HELD|CANCEL|FOLLOWUP|<id> ...", summary: "Meetings.",
        options: ["duration", "title", "place", "strict", "outcome", "owner"],
        subcommands: [
            ("MEETING PLAN", "MEETING PLAN <trajectory|-> <YYYY-MM-DDTHH:MM> <participant> <participant>... [duration=90m] [title=...] [place=...] [strict=yes]",
             "Plan a meeting: its meeting record (axis, tripartite), conflict, missing and agenda records. Times are Europe/Amsterdam unless an offset is given."),
            ("MEETING NOTE", "MEETING NOTE <id> <text>", "Append a note to a meeting."),
            ("MEETING HELD", "MEETING HELD <id> [outcome=\"...\"]", "Record that a meeting was held, with its outcome."),
            ("MEETING CANCEL", "MEETING CANCEL <id>", "Cancel a planned meeting."),
            ("MEETING FOLLOWUP", "MEETING FOLLOWUP <id> <YYYY-MM-DD> <title> [owner=<node>]", "A milestone born from a meeting, linked to it: OK id=N."),
            ("MEETING", "MEETING <id>", "One meeting."),
        ]
    ) { request, context in
        switch subverb(request) {
        case "PLAN": return try plan(request, context)
        case "NOTE":
            guard request.arguments.count >= 3 else { throw ProtocolError(.usage, "usage: MEETING NOTE <id> <text>") }
            let id = try id(request.arguments[1], "meeting")
            let text = request.arguments.dropFirst(2).joined(separator: " ")
            return .later(write(context, request, audit: ["meeting": String(id), "action": "meeting note"]) { tx in
                guard try WorkflowStore.meetingForUpdate(tx, id: id) != nil else { throw ProtocolError(.notFound, "no meeting \(id)") }
                try WorkflowStore.updateMeeting(tx, id: id, status: nil, appendNote: text, outcome: nil)
            }.answer { Response(status: Status([("id", .int(id))])) })
        case "HELD", "CANCEL":
            guard request.arguments.count == 2 else { throw ProtocolError(.usage, "usage: MEETING \(subverb(request)) <id>") }
            let id = try id(request.arguments[1], "meeting")
            let held = subverb(request) == "HELD"
            let outcome = request.options["outcome"]
            return .later(write(context, request, audit: ["meeting": String(id), "action": held ? "meeting held" : "meeting cancel"]) { tx in
                guard let meeting = try WorkflowStore.meetingForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
                guard meeting.status == "planned" || (held && meeting.status == "held" && outcome != nil) else {
                    throw ProtocolError(.conflict, "meeting \(id) is \(meeting.status)")
                }
                try WorkflowStore.updateMeeting(tx, id: id, status: held ? "held" : "cancelled", appendNote: nil, outcome: outcome)
            }.answer { Response(status: Status([("id", .int(id)), ("status", .string(held ? "held" : "cancelled"))])) })
        case "FOLLOWUP":
            guard request.arguments.count >= 4 else { throw ProtocolError(.usage, "usage: MEETING FOLLOWUP <id> <YYYY-MM-DD> <title> [owner=<node>]") }
            let id = try id(request.arguments[1], "meeting")
            let due = try date(request.arguments[2], "the due date")
            let title = request.arguments.dropFirst(3).joined(separator: " ")
            let owner = try request.options["owner"].map { try nodeKey(context, $0) }
            return .later(write(context, request, audit: ["meeting": String(id), "action": "meeting followup"]) { tx in
                guard let meeting = try WorkflowStore.meeting(tx, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
                guard let trajectory = meeting.trajectory else { throw ProtocolError(.conflict, "meeting \(id) belongs to no trajectory") }
                let milestone = try WorkflowStore.insertMilestone(tx, trajectory: trajectory, due: due, title: title, owner: owner,
                                                                  remind: try WorkflowStore.trajectoryRemind(tx, key: trajectory), meeting: id)
                try ReminderStore.plan(tx, milestone: milestone)
                return milestone
            }.answer { milestone in Response(status: Status([("id", .int(milestone)), ("meeting", .int(id))])) })
        default:
            guard request.arguments.count == 1 else { throw ProtocolError(.usage, "usage: MEETING PLAN|NOTE|HELD|CANCEL|FOLLOWUP|<id> ...") }
            let id = try id(request.arguments[0], "meeting")
            return .later(read(context) { connection in
                guard let meeting = try WorkflowStore.meeting(connection, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
                return Response(records: [record(meeting)], status: Status([("id", .int(id))]))
            })
        }
    }

    static func plan(_ request: Request, _ context: CommandContext) throws -> Reply {
        guard request.arguments.count >= 5 else {
            throw ProtocolError(.usage, "usage: MEETING PLAN <trajectory|-> <YYYY-MM-DDTHH:MM> <participant> <participant>... [duration=90m] [title=...] [place=...] [strict=yes]")
        }
        guard let time = MeetingTime(request.arguments[2]) else {
            throw ProtocolError(.invalid, "the start is YYYY-MM-DDTHH:MM (Europe/Amsterdam, years 1900 to 9999) or with an offset from -14:00 to +14:00 like +02:00")
        }
        guard let minutes = Durations.minutes(request.options["duration"] ?? "90m"), (1...1440).contains(minutes) else {
            throw ProtocolError(.invalid, "duration= is like 90m or 2h, at most 24h")
        }
        guard time.fits(minutes: minutes) else {
            throw ProtocolError(.invalid, "a meeting starts from \(MeetingTime.earliestStart) and ends by \(MeetingTime.latestEnd)")
        }
        let strict = ["yes", "true", "1"].contains((request.options["strict"] ?? "no").lowercased())
        let participants: [Node] = try context.services.graph.read { graph in
            var seen: Set<String> = []
            return try request.arguments.dropFirst(3).map { try graph.require($0) }.filter { seen.insert(Keys.fold($0.key)).inserted }
        }
        guard participants.count >= 2 else { throw ProtocolError(.usage, "a meeting needs at least two different participants") }
        let keys = participants.map(\.key)
        let classification = MeetingClass(nodes: participants)
        let title = request.options["title"] ?? "", place = request.options["place"] ?? ""
        let trajectoryText = request.arguments[1] == "-" ? nil : request.arguments[1]
        let graph = context.services.graph

        struct Planned: Sendable {
            var meeting: Meeting
            var conflicts: [(meeting: Meeting, node: String)]
            var trajectory: Trajectory?
            var stakeholders: [String]
            var milestones: [Milestone]
            var signals: [Signal]
        }
        let conflictRecords: @Sendable ([(meeting: Meeting, node: String)]) -> [Record] = { conflicts in
            conflicts.map { Record("conflict", [("node", .string($0.node)), ("meeting", .int($0.meeting.id)), ("start", .string($0.meeting.start)),
                                                ("end", .string($0.meeting.end)), ("title", .string($0.meeting.title))]) }
        }
        return .later(write(context, request, audit: ["action": "meeting plan", "participants": keys.joined(separator: ",")]) { tx -> Planned in
            let trajectory = try trajectoryText.map { text -> Trajectory in
                let key = try trajectoryKey(tx, text)
                return try WorkflowStore.trajectory(tx, key: key)!
            }
            let conflicts = try WorkflowStore.conflicts(tx, participants: keys, local: time.local, offset: time.offset, minutes: minutes)
            if strict, !conflicts.isEmpty {
                throw ProtocolError(.conflict, "\(Set(conflicts.map(\.node)).count) participant(s) already have an overlapping meeting; nothing written",
                                    records: conflictRecords(conflicts))
            }
            let id = try WorkflowStore.insertMeeting(tx, trajectory: trajectory?.key, local: time.local, offset: time.offset, minutes: minutes,
                                                     title: title, place: place, axis: classification.axis,
                                                     tripartite: classification.tripartite, participants: keys)
            var milestones: [Milestone] = []
            var signals: [Signal] = []
            var stakeholders: [String] = []
            if let trajectory {
                stakeholders = try WorkflowStore.stakeholders(tx, trajectory: trajectory.key).map(\.node)
                let next = try WorkflowStore.nextMeetingDate(tx, trajectory: trajectory.key, after: id)
                milestones = try WorkflowStore.milestones(tx, trajectory: trajectory.key, filter: .open, owner: nil, limit: 1000)
                    .filter { next == nil || $0.due < next! }
                if !trajectory.themes.isEmpty { signals = try WorkflowStore.openSignals(tx, themes: trajectory.themes) }
            }
            return Planned(meeting: try WorkflowStore.meeting(tx, id: id)!, conflicts: conflicts, trajectory: trajectory,
                           stakeholders: stakeholders, milestones: milestones, signals: signals)
        }.answer { planned in
            var records = [record(planned.meeting)] + conflictRecords(planned.conflicts)
            if let trajectory = planned.trajectory, !classification.tripartite {
                let context = TrajectoryContext(lead: trajectory.lead, region: trajectory.region, themes: trajectory.themes,
                                                stakeholders: planned.stakeholders)
                records += graph.read { graph in missingRecords(context, participants: participants, graph: graph) }
            }
            records += planned.milestones.map { Record("agenda", [("item", "milestone"), ("id", .int($0.id)), ("title", .string($0.title)),
                                                                  ("due", .string($0.due)), ("days_left", .int($0.daysLeft))]) }
            records += planned.signals.map { Record("agenda", [("item", "signal"), ("id", .int($0.id)), ("kind", .string($0.kind)),
                                                               ("theme", .string($0.theme)), ("node", .string($0.node)), ("text", .string($0.text))]) }
            return Response(records: records, status: Status([("id", .int(planned.meeting.id)), ("axis", .string(classification.axis.rawValue)),
                                                              ("tripartite", .bool(classification.tripartite))]))
        })
    }

    /// For each party a tri-party meeting still lacks, the best current candidate
    /// (``Graph/missingParties(for:participants:today:)``), as `missing` records.
    static func missingRecords(_ trajectory: TrajectoryContext, participants: [Node], graph: borrowing Graph) -> [Record] {
        let ids = participants.compactMap { graph.id(forKey: $0.key) }
        return graph.missingParties(for: trajectory, participants: ids, today: Today.amsterdam()).map { missing in
            let node = graph.node(id: missing.candidate)
            var record = Record("missing", [("tier", .string(missing.party.tier.rawValue)), ("party", .string(missing.party.rawValue)),
                                            ("candidate", .string(node.key)), ("name", .string(node.name)), ("reason", .string(missing.reason))])
            if let path = missing.path { record.append("path", .string(path.nodes.map { graph.node(id: $0).key }.joined(separator: ">"))) }
            return record
        }
    }

    static let meetings = Command(
        "MEETINGS", usage: "MEETINGS [node=<node>] [trajectory=T] [from=YYYY-MM-DD] [to=YYYY-MM-DD] [axis=A] [tripartite=yes] [limit=N]",
        summary: "List meetings by start.", options: ["node", "trajectory", "from", "to", "axis", "tripartite", "limit"]
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let node = try request.options["node"].map { try nodeKey(context, $0) }
        let from = try optionalDate(request, "from"), to = try optionalDate(request, "to")
        let axis = try request.enumOption("axis", Axis.self)?.rawValue
        let tripartite = ["yes", "true", "1"].contains((request.options["tripartite"] ?? "no").lowercased())
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        let text = request.options["trajectory"]
        return .later(read(context) { connection in
            let key = try text.map { try trajectoryKey(connection, $0) }
            let list = try WorkflowStore.meetings(connection, node: node, trajectory: key, from: from, to: to, axis: axis, tripartiteOnly: tripartite, limit: limit)
            return Response(records: list.map(record), status: Status([("rows", .int(list.count))]))
        })
    }

    // MARK: - Signals

    static let signal = Command(
        "SIGNAL", usage: "SIGNAL ADD <node> <kind> <theme> <text>", summary: "Signals.",
        subcommands: [("SIGNAL ADD", "SIGNAL ADD <node> problem|solution|example|need <theme> <text>",
                       "Bring in a problem analysis, solution, practice example or support need: OK id=N.")]
    ) { request, context in
        guard subverb(request) == "ADD", request.arguments.count >= 5 else { throw ProtocolError(.usage, "usage: SIGNAL ADD <node> <kind> <theme> <text>") }
        let node = try nodeKey(context, request.arguments[1])
        let kind = try enumValue(request.arguments[2], SignalKind.self, "kind").rawValue
        let theme = try context.services.graph.vocabulary.require(request.arguments[3])
        let text = request.arguments.dropFirst(4).joined(separator: " ")
        return .later(write(context, request, audit: ["node": node, "kind": kind, "theme": theme, "action": "signal add"]) { tx in
            try WorkflowStore.insertSignal(tx, node: node, kind: kind, theme: theme, text: text)
        }.answer { id in Response(status: Status([("id", .int(id))])) })
    }

    static let signals = Command(
        "SIGNALS", usage: "SIGNALS [theme=T] [kind=K] [node=<node>] [tier=T] [limit=N]", summary: "List signals.",
        options: ["theme", "kind", "node", "tier", "limit"]
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let kind = try request.enumOption("kind", SignalKind.self)?.rawValue
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
        options: ["limit"]
    ) { request, context in
        guard request.arguments.count == 1 else { throw ProtocolError(.usage, "") }
        let id = try id(request.arguments[0], "signal")
        let limit = try request.intOption("limit", default: 20, range: 1...1000)
        let graph = context.services.graph
        return .later(read(context) { connection -> (Signal, [Signal]) in
            guard let signal = try WorkflowStore.signal(connection, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            guard signal.kind == "problem" || signal.kind == "need" else {
                throw ProtocolError(.invalid, "signal \(id) is a \(signal.kind); MATCH takes a problem or a need")
            }
            let answers = try WorkflowStore.signals(connection, theme: signal.theme, kind: nil, node: nil, nodes: nil, openOnly: false, limit: 10_000)
                .filter { ($0.kind == "solution" || $0.kind == "example") && Keys.fold($0.node) != Keys.fold(signal.node) }
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
                                     ("name", .string(graph.node(key: answer.node)?.name ?? answer.node)), ("kind", .string(answer.kind)),
                                     ("theme", .string(answer.theme)), ("score", .double(score)), ("reason", .string(reason)),
                                     ("text", .string(answer.text))])
                }
                return Response(records: Array(records), status: Status([("rows", .int(records.count))]))
            }
        })
    }
}
