import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The co-design workflow: trajectories, stakeholders, goals, milestones, meetings, signals.
/// The use cases (``TrajectoryService``, ``MilestoneService``, ...) hold and write them; these turn
/// requests into their calls and their results into records.
enum WorkflowCommands {
    static var all: [Command] { [trajectory, trajectories, stakeholder, goal, goals, milestone, milestones, due, meeting, meetings, signal, signals, match] }

    // MARK: - Helpers

    static func nodeKey(_ context: CommandContext, _ text: String) throws -> String {
        try context.services.graph.read { try $0.require(text).key }
    }

    static func nodeKeys(_ context: CommandContext, _ texts: [String]) throws -> [String] {
        try context.services.graph.read { graph in try texts.map { try graph.require($0).key } }
    }

    static func id(_ text: String, _ what: String) throws(ProtocolError) -> Int {
        guard let id = Int(text), id > 0 else { throw ProtocolError(.invalid, "\(what) id must be a positive number") }
        return id
    }

    static func date(_ text: String, _ what: String) throws(ProtocolError) -> String {
        guard Validation.isDate(text) else { throw ProtocolError(.invalid, "\(what) must be a date YYYY-MM-DD from 1900 to 9999") }
        return text
    }

    static func enumValue<T: RawRepresentable & CaseIterable>(_ text: String, _ type: T.Type, _ what: String) throws(ProtocolError) -> T where T.RawValue == String {
        try closedValue(text, T.self, label: "\(what) \(Quoting.quote(text))")
    }

    static func subverb(_ request: Request) -> String { request.arguments.first?.uppercased() ?? "" }

    // MARK: - Records

    static func record(_ t: Trajectory) -> Record {
        var record = Record("trajectory", [("key", .string(t.key)), ("name", .string(t.name)), ("kind", .string(t.kind.rawValue)),
                                           ("lead", .string(t.lead))])
        record.append("region", t.region.map(Value.string))
        if !t.themes.isEmpty { record.append("themes", .list(t.themes)) }
        record.append("goal", t.goal.map(Value.string))
        record.append("status", .string(t.status.rawValue))
        record.append("start", t.start.map(Value.string))
        record.append("end", t.end.map(Value.string))
        return record
    }

    static func record(_ m: Milestone) -> Record {
        var record = Record("milestone", [("id", .int(m.id)), ("trajectory", .string(m.trajectory)), ("title", .string(m.title)),
                                          ("due", .string(m.due))])
        record.append("owner", m.owner.map(Value.string))
        record.append("status", .string(m.status.rawValue))
        if m.overdue { record.append("overdue", .bool(true)) }
        record.append("done", m.doneOn.map(Value.string))
        record.append("days_left", .int(m.daysLeft))
        record.append("remind", .string(m.remind))
        record.append("meeting", m.meeting.map(Value.int))
        record.append("note", m.note.map(Value.string))
        record.append("goal", m.goal.map(Value.int))
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
        record.append("status", .string(m.status.rawValue))
        record.append("axis", .string(m.axis.rawValue))
        record.append("tripartite", .bool(m.tripartite))
        record.append("participants", .list(m.participants))
        record.append("outcome", m.outcome.map(Value.string))
        if !m.notes.isEmpty { record.append("notes", .string(m.notes)) }
        return record
    }

    static func record(_ s: Signal) -> Record {
        var record = Record("signal", [("id", .int(s.id)), ("node", .string(s.node)), ("kind", .string(s.kind.rawValue)), ("theme", .string(s.theme)),
                                       ("text", .string(s.text)), ("status", .string(s.status.rawValue)), ("created", .string(s.created))])
        record.append("raised_with", s.raisedWith.map(Value.string))
        record.append("raised", s.raised.map(Value.string))
        record.append("meeting", s.meeting.map(Value.int))
        record.append("answered", s.answered.map(Value.string))
        return record
    }
}
