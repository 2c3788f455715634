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
        options: ["kind", "lead", "region", "themes", "goal", "start", "end", "name", "status", "remind"],
        subcommands: [
            .init("TRAJECTORY ADD", "TRAJECTORY ADD <key> <name> kind=K lead=<node> [region=<node>] [themes=a,b] [goal=\"...\"] [start=YYYY-MM-DD] [end=YYYY-MM-DD] [remind=14d,3d,0d]",
                  "Start a trajectory (kansenagenda, codesign, programme, regiodeal, other); its lead becomes a stakeholder.",
                  arity: .atLeast(3), permission: .write, options: ["kind", "lead", "region", "themes", "goal", "start", "end", "remind"]),
            .init("TRAJECTORY SET", "TRAJECTORY SET <key> name=value... (fields: name, kind, lead, region, themes, goal, status, start, end, remind)",
                  "Change a trajectory; status is active, paused, done or stopped.", arity: .exactly(2), permission: .write,
                  options: ["name", "kind", "lead", "region", "themes", "goal", "status", "start", "end", "remind"]),
            .init("TRAJECTORY", "TRAJECTORY <key>", "A trajectory with its stakeholders, milestones and meetings.", arity: .exactly(1), permission: .read,
                  options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "ADD":
            guard let kindText = request.options["kind"], let leadText = request.options["lead"] else { throw ProtocolError(.usage, "") }
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
            let remind = try remindOption(request)
            let trajectory = Trajectory(key: key, name: request.arguments.dropFirst(2).joined(separator: " "), kind: kind,
                                        lead: lead, region: region, themes: themes, goal: request.options["goal"], status: .active,
                                        start: start, end: end)
            return context.write(request) { scope, done in
                context.core.trajectories.add(trajectory, remind: remind, scope, answer: { Response(status: Status([("key", .string(key))])) }, completion: done)
            }
        case "SET":
            guard !request.options.isEmpty else { throw ProtocolError(.usage, "") }
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
            let themes = try request.themesOption(context.services.graph.vocabulary)
            if let goal = request.options["goal"] { fields["goal"] = goal }
            if request.options["start"] != nil { fields["start"] = try optionalDate(request, "start") }
            if request.options["end"] != nil { fields["end"] = try optionalDate(request, "end") }
            if let remind = try remindOption(request) { fields["remind"] = remind }
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
                records += detail.milestones.map(record)
                records += detail.meetings.map(record)
                return Response(records: records, status: Status([("stakeholders", .int(detail.stakeholders.count)),
                                                                  ("milestones", .int(detail.milestones.count)),
                                                                  ("meetings", .int(detail.meetings.count))]))
            })
        }
    }

    static let trajectories = Command(
        "TRAJECTORIES", usage: "TRAJECTORIES [kind=K] [status=S] [node=<node>] [theme=T] [limit=N]",
        summary: "List trajectories.", arity: .exactly(0), options: ["kind", "status", "node", "theme", "limit"]
    ) { request, context in
        let kind = try request.enumOption("kind", TrajectoryKind.self)
        let status = try request.enumOption("status", TrajectoryStatus.self)
        let node = try request.options["node"].map { try nodeKey(context, $0) }
        let theme = try request.themeOption(context.services.graph.vocabulary)
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        return .later(context.future { context.core.trajectories.list(kind: kind, status: status, node: node, theme: theme, limit: limit, completion: $0) }
            .map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }

    // MARK: - STAKEHOLDER

    static let stakeholder = Command(
        "STAKEHOLDER", usage: "STAKEHOLDER ADD|REMOVE <trajectory> <node> [role=R]", summary: "Stakeholders of a trajectory.",
        permission: .write, options: ["role"],
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
            let role = try enumValue(request.options["role"] ?? "partner", StakeholderRole.self, "role")
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
