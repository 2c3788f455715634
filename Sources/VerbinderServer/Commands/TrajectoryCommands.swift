import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `TRAJECTORY`, `TRAJECTORIES` and `STAKEHOLDER`: the co-design trajectories and who takes part.
extension WorkflowCommands {
    // MARK: - TRAJECTORY

    static let trajectory = Command(
        "TRAJECTORY", usage: "TRAJECTORY ADD|SET|<key> ...", summary: "Trajectories: add, change, show.",
        arity: .exactly(1), permission: .read,
        options: [.choice("kind", TrajectoryKind.self, .quoted), .node("lead"), .node("region"), OptionSpec("themes", .themes), .text("goal"),
                  .date("start"), .date("end"), .text("name"), .choice("status", TrajectoryStatus.self, .quoted), OptionSpec("remind", .reminderOffsets)],
        subcommands: [
            .init("TRAJECTORY ADD", "TRAJECTORY ADD <key> <name> kind=K lead=<node> [region=<node>] [themes=a,b] [goal=\"...\"] [start=YYYY-MM-DD] [end=YYYY-MM-DD] [remind=14d,3d,0d]",
                  "Start a trajectory (kansenagenda, codesign, programme, regiodeal, other); its lead becomes a stakeholder.",
                  arity: .atLeast(3), permission: .write, options: ["kind", "lead", "region", "themes", "goal", "start", "end", "remind"],
                  required: ["kind", "lead"]),
            .init("TRAJECTORY SET", "TRAJECTORY SET <key> name=value... (fields: name, kind, lead, region, themes, goal, status, start, end, remind)",
                  "Change a trajectory; status is active, paused, done or stopped.", arity: .exactly(2), permission: .write,
                  options: ["name", "kind", "lead", "region", "themes", "goal", "status", "start", "end", "remind"]),
            .init("TRAJECTORY", "TRAJECTORY <key>", "A trajectory with its stakeholders, goals, milestones and meetings.", arity: .exactly(1), permission: .read,
                  options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            let key = request.arguments[1]
            guard Keys.isValid(key) else { throw ProtocolError(.invalid, "key must be 1-64 letters, digits, - or _") }
            // The table requires kind= and lead=.
            guard let kind = context.options.choice("kind", TrajectoryKind.self), let lead = try context.node("lead") else { throw ProtocolError(.usage, "") }
            let region = try regionOption(context, clearable: false)
            let themes = try context.themes() ?? []
            let start = context.options.text("start"), end = context.options.text("end")
            if let start, let end, end < start { throw ProtocolError(.invalid, "end= is before start=") }
            let remind = context.options.text("remind")
            let trajectory = Trajectory(key: key, name: request.arguments.dropFirst(2).joined(separator: " "), kind: kind,
                                        lead: lead, region: region ?? nil, themes: themes, goal: context.options.text("goal"), status: .active,
                                        start: start, end: end)
            return context.write(request) { scope, done in
                context.core.trajectories.add(trajectory, remind: remind, scope, answer: { Response(status: Status([("key", .string(key))])) }, completion: done)
            }
        case "SET":
            let options = context.options
            guard !options.isEmpty else { throw ProtocolError(.usage, "") }
            var fields: [String: String?] = [:]
            if let name = options.text("name") { guard !name.isEmpty else { throw ProtocolError(.invalid, "name must not be empty") }; fields["name"] = name }
            if let kind = options.choice("kind", TrajectoryKind.self) { fields["kind"] = kind.rawValue }
            if let status = options.choice("status", TrajectoryStatus.self) { fields["status"] = status.rawValue }
            if let lead = try context.node("lead") { fields["lead"] = lead }
            if let region = try regionOption(context, clearable: true) { fields["region"] = region }
            let themes = try context.themes()
            for name in ["goal", "start", "end", "remind"] { if let value = options.text(name) { fields[name] = value } }
            // goal= names the first goal now (GOAL ADD adds more): a goal is ended with GOAL DROP, not blanked.
            if options.text("goal")?.isEmpty == true { throw ProtocolError(.invalid, "goal= must not be empty (GOAL DROP <id> reason=... ends a goal)") }
            let text = request.arguments[1]
            let frozen = fields
            return context.write(request) { scope, done in
                context.core.trajectories.set(text, fields: frozen, themes: themes, scope, answer: { key in Response(status: Status([("key", .string(key))])) },
                                              completion: done)
            }
        default:
            let text = request.arguments[0]
            let graph = context.services.graph
            return .later(context.future { context.core.trajectories.detail(text, completion: $0) }.map { detail in
                let key = detail.trajectory.key
                var records = [record(detail.trajectory)]
                records += graph.read { graph in
                    detail.stakeholders.map { entry -> Record in
                        var record = Record("stakeholder", [("trajectory", .string(key)), ("key", .string(entry.node))])
                        if let node = graph.node(key: entry.node) {
                            record.append("name", .string(node.name))
                            record.append("tier", .string(node.tier.rawValue))
                        }
                        record.append("role", .string(entry.role.rawValue))
                        return record
                    }
                }
                // The advice's order of a co-design offer: stakeholders, goals, milestones.
                records += detail.goals.map(record)
                records += detail.milestones.map(record)
                records += detail.meetings.map(record)
                return Response(records: records, status: Status([("stakeholders", .int(detail.stakeholders.count)),
                                                                  ("milestones", .int(detail.milestones.count)),
                                                                  ("meetings", .int(detail.meetings.count)),
                                                                  ("goals", .int(detail.goals.count))]))
            })
        }
    }

    static let trajectories = Command(
        "TRAJECTORIES", usage: "TRAJECTORIES [kind=K] [status=S] [node=<node>] [theme=T] [limit=N]",
        summary: "List trajectories.", arity: .exactly(0), options: [.choice("kind", TrajectoryKind.self), .choice("status", TrajectoryStatus.self), .node("node"), OptionSpec("theme", .theme), .limit()]
    ) { request, context in
        let kind = context.options.choice("kind", TrajectoryKind.self)
        let status = context.options.choice("status", TrajectoryStatus.self)
        let node = try context.node("node")
        let theme = try context.theme()
        let limit = context.options.number("limit") ?? 100
        return .later(context.future { context.core.trajectories.list(kind: kind, status: status, node: node, theme: theme, limit: limit, completion: $0) }
            .map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }

    /// `region=`: a region's key; nil when absent; `.some(nil)` when given empty where that
    /// clears it (`TRAJECTORY SET`).
    static func regionOption(_ context: CommandContext, clearable: Bool) throws -> String?? {
        guard let text = context.options.text("region") else { return nil }
        if text.isEmpty, clearable { return .some(nil) }
        let node = try context.services.graph.read { try $0.require(text) }
        guard node.kind == .region else { throw ProtocolError(.invalid, "region=\(text) is not a region") }
        return .some(node.key)
    }

    // MARK: - STAKEHOLDER

    static let stakeholder = Command(
        "STAKEHOLDER", usage: "STAKEHOLDER ADD|REMOVE <trajectory> <node> [role=R]", summary: "Stakeholders of a trajectory.",
        permission: .write, options: [.choice("role", StakeholderRole.self, .quoted)],
        subcommands: [
            .init("STAKEHOLDER ADD", "STAKEHOLDER ADD <trajectory> <node> [role=lead|partner|advisor|funder|observer]", "Add a stakeholder (default role partner).",
                  arity: .exactly(3), permission: .write, options: ["role"]),
            .init("STAKEHOLDER REMOVE", "STAKEHOLDER REMOVE <trajectory> <node>", "Remove a stakeholder (not the lead).",
                  arity: .exactly(3), permission: .write, options: []),
        ]
    ) { request, context in
        let verb = subverb(request)
        guard ["ADD", "REMOVE"].contains(verb) else { throw ProtocolError(.usage, "") }
        let node = try nodeKey(context, request.arguments[2])
        let text = request.arguments[1]
        if verb == "ADD" {
            let role = context.options.choice("role", StakeholderRole.self) ?? .partner
            return context.write(request) { scope, done in
                context.core.trajectories.addStakeholder(text, node: node, role: role, scope,
                                                         answer: { Response(status: Status([("role", .string(role.rawValue))])) }, completion: done)
            }
        }
        return context.write(request) { scope, done in
            context.core.trajectories.removeStakeholder(text, node: node, scope, answer: { Response() }, completion: done)
        }
    }
}
