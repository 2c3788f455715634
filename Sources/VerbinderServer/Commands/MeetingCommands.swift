import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore
import VerbinderText

/// `MEETING` and `MEETINGS`: planning meetings, tri-party or not, and what happened at them.
extension WorkflowCommands {
    // MARK: - MEETING

    static let meeting = Command(
        "MEETING", usage: "MEETING PLAN|NOTE|HELD|CANCEL|FOLLOWUP|<id> ...", summary: "Meetings.",
        arity: .exactly(1), permission: .read,
        options: [OptionSpec("duration", .duration(default: "90m", seconds: 60...86_400, message: "duration= is like 90m or 2h, at most 24h")),
                  .text("title"), .text("place"), .flag("strict"), .text("outcome"), .node("owner")],
        subcommands: [
            .init("MEETING PLAN", "MEETING PLAN <trajectory|-> <YYYY-MM-DDTHH:MM> <participant> <participant>... [duration=90m] [title=...] [place=...] [strict=yes]",
                  "Plan a meeting: its meeting record (axis, tripartite), conflict, missing, invite and agenda records. Times are Europe/Amsterdam unless an offset is given.",
                  arity: .atLeast(5), permission: .write, options: ["duration", "title", "place", "strict"]),
            .init("MEETING NOTE", "MEETING NOTE <id> <text>", "Append a note to a meeting.", arity: .atLeast(3), permission: .write, options: []),
            .init("MEETING HELD", "MEETING HELD <id> [outcome=\"...\"]", "Record that a meeting was held, with its outcome.",
                  arity: .exactly(2), permission: .write, options: ["outcome"]),
            .init("MEETING CANCEL", "MEETING CANCEL <id>", "Cancel a planned meeting.", arity: .exactly(2), permission: .write, options: []),
            .init("MEETING FOLLOWUP", "MEETING FOLLOWUP <id> <YYYY-MM-DD> <title> [owner=<node>]", "A milestone born from a meeting, linked to it: OK id=N.",
                  arity: .atLeast(4), permission: .write, options: ["owner"]),
            .init("MEETING", "MEETING <id>", "One meeting.", arity: .exactly(1), permission: .read, options: []),
        ]
    ) { request, context in
        switch subverb(request) {
        case "PLAN": return try plan(request, context)
        case "NOTE":
            let id = try id(request.arguments[1], "meeting")
            let text = request.arguments.dropFirst(2).joined(separator: " ")
            return context.write(request) { scope, done in
                context.core.meetings.note(id, text: text, scope, answer: { Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "HELD", "CANCEL":
            let id = try id(request.arguments[1], "meeting")
            let held = subverb(request) == "HELD"
            let outcome = context.options.text("outcome")
            return context.write(request) { scope, done in
                context.core.meetings.close(id, held: held, outcome: outcome, scope,
                                            answer: { Response(status: Status([("id", .int(id)), ("status", .string(held ? "held" : "cancelled"))])) },
                                            completion: done)
            }
        case "FOLLOWUP":
            let id = try id(request.arguments[1], "meeting")
            let due = try date(request.arguments[2], "the due date")
            let title = request.arguments.dropFirst(3).joined(separator: " ")
            let owner = try context.node("owner")
            return context.write(request) { scope, done in
                context.core.meetings.followUp(id, due: due, title: title, owner: owner, scope,
                                               answer: { milestone in Response(status: Status([("id", .int(milestone)), ("meeting", .int(id))])) },
                                               completion: done)
            }
        default:
            let id = try id(request.arguments[0], "meeting")
            let meeting = context.future { context.core.meetings.meeting(id, completion: $0) }
            let raised = context.future { context.core.signals.raised(atMeeting: id, completion: $0) }
            // The signals raised at this meeting are on its agenda.
            return .later(meeting.and(raised).map { meeting, signals in
                let agenda = signals.map { signal in
                    Record("agenda", [("item", "signal"), ("id", .int(signal.id)), ("kind", .string(signal.kind.rawValue)),
                                      ("theme", .string(signal.theme)), ("node", .string(signal.node)), ("text", .string(signal.text)),
                                      ("raised_with", .string(signal.raisedWith ?? "")), ("status", .string(signal.status.rawValue))])
                }
                return Response(records: [record(meeting)] + agenda, status: Status([("id", .int(id))]))
            })
        }
    }

    static func plan(_ request: Request, _ context: CommandContext) throws -> Reply {
        guard let time = MeetingTime(request.arguments[2]) else {
            throw ProtocolError(.invalid, "the start is YYYY-MM-DDTHH:MM (Europe/Amsterdam, years 1900 to 9999) or with an offset from -14:00 to +14:00 like +02:00")
        }
        let minutes = context.options.measure("duration") / 60
        guard time.fits(minutes: minutes) else {
            throw ProtocolError(.invalid, "a meeting starts from \(MeetingTime.earliestStart) and ends by \(MeetingTime.latestEnd)")
        }
        let strict = context.options.flag("strict")
        let language = context.session.language
        let showEmail = context.seesPersonalData
        let participants: [Node] = try context.services.graph.read { graph in
            var seen: Set<String> = []
            return try request.arguments.dropFirst(3).map { try graph.require($0) }.filter { seen.insert(Keys.fold($0.key)).inserted }
        }
        guard participants.count >= 2 else { throw ProtocolError(.usage, "a meeting needs at least two different participants") }
        let keys = participants.map(\.key)
        let classification = MeetingClass(nodes: participants)
        let title = context.options.text("title") ?? "", place = context.options.text("place") ?? ""
        let trajectoryText = request.arguments[1] == "-" ? nil : request.arguments[1]
        let graph = context.services.graph

        let conflictRecords: @Sendable ([(meeting: Meeting, node: String)]) -> [Record] = { conflicts in
            conflicts.map { Record("conflict", [("node", .string($0.node)), ("meeting", .int($0.meeting.id)), ("start", .string($0.meeting.start)),
                                                ("end", .string($0.meeting.end)), ("title", .string($0.meeting.title))]) }
        }
        let plan = MeetingService.Plan(trajectory: trajectoryText, time: time, minutes: minutes, title: title, place: place,
                                       participants: keys, classification: classification, strict: strict)
        return context.write(request) { scope, done in
            context.core.meetings.plan(plan, scope, conflictRecords: conflictRecords, answer: { planned in
                var records = [record(planned.meeting)]
                if let warning = skippedTimeWarning(given: request.arguments[2], time: time, start: planned.meeting.start, language: language) {
                    records.append(warning)
                }
                records += conflictRecords(planned.conflicts)
                if let trajectory = planned.trajectory, !classification.tripartite {
                    let context = TrajectoryContext(lead: trajectory.lead, region: trajectory.region, themes: trajectory.themes,
                                                    stakeholders: planned.stakeholders)
                    records += graph.read { graph in missingRecords(context, participants: participants, graph: graph, language: language) }
                }
                records += inviteRecords(participants: participants, contacts: planned.contacts, themes: planned.trajectory?.themes ?? [],
                                         showEmail: showEmail, language: language)
                records += planned.milestones.map { Record("agenda", [("item", "milestone"), ("id", .int($0.id)), ("title", .string($0.title)),
                                                                      ("due", .string($0.due)), ("days_left", .int($0.daysLeft))]) }
                records += planned.signals.map { Record("agenda", [("item", "signal"), ("id", .int($0.id)), ("kind", .string($0.kind.rawValue)),
                                                                   ("theme", .string($0.theme)), ("node", .string($0.node)), ("text", .string($0.text))]) }
                return Response(records: records, status: Status([("id", .int(planned.meeting.id)), ("axis", .string(classification.axis.rawValue)),
                                                                  ("tripartite", .bool(classification.tripartite))]))
            }, completion: done)
        }
    }

    /// One `invite` record per participant: the contact to invite (``Invitation/choose(among:kind:themes:)``),
    /// or `contact=none` with the reason, so the gap shows in the plan.
    static func inviteRecords(participants: [Node], contacts: [Contact], themes: [String], showEmail: Bool, language: Language) -> [Record] {
        let byNode = Dictionary(grouping: contacts, by: \.node)
        return participants.map { participant in
            let own = byNode[participant.key] ?? []
            switch Invitation.choose(among: own.map(\.invitee), kind: participant.kind, themes: themes) {
            case .contact(let id):
                let contact = own.first { $0.id == id }!
                var record = Record("invite", [("node", .string(participant.key)), ("contact", .int(contact.id)), ("name", .string(contact.name)),
                                               ("function", .string(contact.function.rawValue)), ("themes", .string(contact.themes.joined(separator: ",")))])
                if showEmail { record.append("email", .string(contact.email)) }
                return record
            case .none(let reason):
                return Record("invite", [("node", .string(participant.key)), ("contact", "none"), ("reason", .string(reason.text(language)))])
            }
        }
    }

    /// A `warning` record when a wall-clock time does not exist in Europe/Amsterdam (02:30 on
    /// the night the clocks go forward): PostgreSQL moves it on by the gap, and the user is told
    /// rather than finding the meeting an hour later in the calendar.
    static func skippedTimeWarning(given: String, time: MeetingTime, start: String, language: Language) -> Record? {
        guard time.offset == nil, !start.hasPrefix(given) else { return nil }
        let shown = String(start.prefix(16))
        return Record("warning", [("code", "nonexistent_time"), ("given", .string(given)), ("start", .string(start)),
                                  ("reason", .string(Message("\(given) does not exist in Europe/Amsterdam (the clocks go forward); the meeting starts \(shown)").text(language)))])
    }

    /// For each party a tri-party meeting still lacks, the best current candidate
    /// (``Graph/missingParties(for:participants:today:)``), as `missing` records.
    static func missingRecords(_ trajectory: TrajectoryContext, participants: [Node], graph: borrowing Graph, language: Language) -> [Record] {
        let ids = participants.compactMap { graph.id(forKey: $0.key) }
        return graph.missingParties(for: trajectory, participants: ids, today: Today.amsterdam()).map { missing in
            let node = graph.node(id: missing.candidate)
            var record = Record("missing", [("tier", .string(missing.party.tier.rawValue)), ("party", .string(missing.party.rawValue)),
                                            ("candidate", .string(node.key)), ("name", .string(node.name)), ("reason", .string(missing.reason.text(language)))])
            if let path = missing.path { record.append("path", .string(path.nodes.map { graph.node(id: $0).key }.joined(separator: ">"))) }
            return record
        }
    }

    static let meetings = Command(
        "MEETINGS", usage: "MEETINGS [node=<node>] [trajectory=T] [from=YYYY-MM-DD] [to=YYYY-MM-DD] [axis=A] [tripartite=yes] [limit=N]",
        summary: "List meetings by start.", arity: .exactly(0),
        options: [.node("node"), .text("trajectory"), .date("from"), .date("to"), .choice("axis", Axis.self), .flag("tripartite"), .limit()]
    ) { request, context in
        let node = try context.node("node")
        let from = context.options.text("from"), to = context.options.text("to")
        let axis = context.options.choice("axis", Axis.self)
        let tripartite = context.options.flag("tripartite")
        let limit = context.options.number("limit") ?? 100
        let text = context.options.text("trajectory")
        return .later(context.future {
            context.core.meetings.list(node: node, trajectory: text, from: from, to: to, axis: axis, tripartiteOnly: tripartite, limit: limit,
                                       completion: $0)
        }.map { list in Response(records: list.map(record), status: Status([("rows", .int(list.count))])) })
    }
}
