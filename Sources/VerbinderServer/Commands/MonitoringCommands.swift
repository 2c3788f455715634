import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Keeping watch: REPORT's figures, the agenda and staleness gaps, and the iCalendar export.
enum MonitoringCommands {
    static var all: [Command] { [report] }

    static let report = Command(
        "REPORT", usage: "REPORT [from=YYYY-MM-DD] [to=YYYY-MM-DD]",
        summary: "Monitoring figures as metric records: meetings per axis and tri-party share per month, milestones on time and late, kansenagenda coverage, municipalities without a vertical meeting, signals, and goals (met on time and late, past their date, by state).",
        arity: .exactly(0), options: [.date("from"), .date("to")]
    ) { request, context in
        let from = context.options.text("from"), to = context.options.text("to")
        let today = Today.amsterdam()
        let unaffiliated = context.services.graph.read { graph in Set(graph.unaffiliatedMunicipalities(today: today).map { graph.node(id: $0).key }) }
        return .later(context.future { context.core.monitoring.report(from: from, to: to, unaffiliated: unaffiliated, today: today, completion: $0) }
            .map { metrics, start, end in
            let records = metrics.map { metric -> Record in
                var record = Record("metric", [("name", .string(metric.name))])
                for (name, value) in metric.dimensions { record.append(name, .string(value)) }
                record.append("value", metric.isCount ? .int(Int(metric.value)) : .double(metric.value))
                return record
            }
            return Response(records: records, status: Status([("metrics", .int(records.count)), ("from", .string(start)), ("to", .string(end))]))
        })
    }

    /// `GAPS agenda [by=corop|province|functional]` and `GAPS stale [days=N]`, answered from PostgreSQL.
    static func gaps(_ which: String, _ request: Request, _ context: CommandContext) throws -> Reply {
        let limit = context.options.number("limit") ?? 100_000
        if which == "agenda" {
            let unit = context.options.choice("by", CoverageUnit.self) ?? .corop
            return .later(context.future { context.core.monitoring.agendaGaps(by: unit, today: Today.amsterdam(), completion: $0) }.map { gaps in
                let records = gaps.units.prefix(limit).map { entry -> Record in
                    var record = Record("coverage", [("by", .string(unit.rawValue)), ("unit", .string(entry.unit?.key ?? "-"))])
                    record.append("name", entry.unit.map { .string($0.name) })
                    record.append("members", .int(entry.members))
                    record.append("covered", .int(entry.members - entry.uncovered.count))
                    record.append("uncovered", .list(entry.uncovered))
                    return record
                }
                return Response(records: records, status: Status([("count", .int(gaps.units.count)), ("municipalities", .int(gaps.municipalities)),
                                                                  ("covered", .int(gaps.covered)),
                                                                  ("uncovered", .int(gaps.municipalities - gaps.covered))]))
            })
        }
        let days = context.options.number("days") ?? 180
        return .later(context.future { context.core.monitoring.stale(days: days, completion: $0) }.map { stale in
            var records: [Record] = stale.trajectories.map { key, last in
                var record = Record("stale", [("trajectory", .string(key))])
                record.append("last_meeting", last.map(Value.string))
                return record
            }
            records += stale.stakeholders.map { trajectory, node, last in
                var record = Record("stale", [("trajectory", .string(trajectory)), ("key", .string(node))])
                record.append("last_meeting", last.map(Value.string))
                return record
            }
            let count = records.count
            return Response(records: Array(records.prefix(limit)), status: Status([("count", .int(count)), ("trajectories", .int(stale.trajectories.count)),
                                                              ("stakeholders", .int(stale.stakeholders.count))]))
        })
    }

    /// `EXPORT ics [trajectory=] [node=]`: meetings as VEVENT with their invited contacts as
    /// attendees, milestones and dated goals as VTODO, stable UIDs.
    static func ics(_ request: Request, _ context: CommandContext) throws -> Reply {
        let node = try context.node("node")
        let text = context.options.text("trajectory")
        let graph = context.services.graph
        let showEmail = context.seesPersonalData
        return .later(context.future { context.core.monitoring.calendar(trajectory: text, node: node, completion: $0) }.map { content in
            var calendar = ICalendar()
            calendar.add("X-WR-CALNAME", "Verbinder")
            // Meetings are written on the Amsterdam wall clock, as people planned them; the time
            // zone goes once before them when any is. (An event before 1996 stays in UTC.)
            let local = { (event: ReportStore.CalendarEvent) in
                AmsterdamTime.wallTime(fromUTC: event.start) != nil && AmsterdamTime.wallTime(fromUTC: event.end) != nil
            }
            if content.events.contains(where: local) { ICalendar.amsterdamTimeZone.forEach { calendar.raw($0) } }
            let contacts = Dictionary(grouping: content.contacts, by: \.node)
            graph.read { graph in
                for event in content.events {
                    calendar.raw("BEGIN:VEVENT")
                    calendar.add("UID", "meeting-\(event.id)@verbinder.vng.nl", escape: false)
                    calendar.add("DTSTAMP", event.stamp, escape: false)
                    if local(event) {
                        calendar.addTime("DTSTART", utc: event.start)
                        calendar.addTime("DTEND", utc: event.end)
                    } else {
                        calendar.add("DTSTART", event.start, escape: false)
                        calendar.add("DTEND", event.end, escape: false)
                    }
                    calendar.add("SUMMARY", event.title.isEmpty ? "Overleg" : event.title)
                    if !event.place.isEmpty { calendar.add("LOCATION", event.place) }
                    // What a held meeting came to belongs with it in the calendar: the outcome, then the notes.
                    var description = event.trajectory.map { ["Traject: \($0)"] } ?? []
                    if let outcome = event.outcome, !outcome.isEmpty { description.append("Uitkomst: \(outcome)") }
                    if !event.notes.isEmpty { description.append("Notities: \(event.notes)") }
                    if !description.isEmpty { calendar.add("DESCRIPTION", description.joined(separator: "\n")) }
                    calendar.add("STATUS", event.status == .cancelled ? "CANCELLED" : "CONFIRMED", escape: false)
                    for participant in event.participants {
                        attendee(&calendar, participant: participant, node: graph.node(key: participant), contacts: contacts[participant] ?? [],
                                 themes: event.themes, showEmail: showEmail)
                    }
                    calendar.raw("END:VEVENT")
                }
            }
            for todo in content.todos {
                calendar.raw("BEGIN:VTODO")
                calendar.add("UID", "milestone-\(todo.id)@verbinder.vng.nl", escape: false)
                calendar.add("DTSTAMP", todo.stamp, escape: false)
                calendar.add("DUE;VALUE=DATE", todo.due, escape: false)
                calendar.add("SUMMARY", todo.title)
                calendar.add("DESCRIPTION", "Traject: \(todo.trajectory)")
                calendar.add("STATUS", todo.status == .done ? "COMPLETED" : todo.status == .cancelled ? "CANCELLED" : "NEEDS-ACTION", escape: false)
                calendar.raw("END:VTODO")
            }
            for goal in content.goals {
                calendar.raw("BEGIN:VTODO")
                calendar.add("UID", "goal-\(goal.id)@verbinder.vng.nl", escape: false)
                calendar.add("DTSTAMP", goal.stamp, escape: false)
                calendar.add("DUE;VALUE=DATE", goal.by, escape: false)
                calendar.add("SUMMARY", "Doel: \(goal.text)")
                var description = ["Traject: \(goal.trajectory)"]
                if let indicator = goal.indicator { description.append("Indicator: \(indicator)") }
                if let target = goal.target { description.append("Streefwaarde: \(target)") }
                calendar.add("DESCRIPTION", description.joined(separator: "\n"))
                calendar.add("CATEGORIES", "Doel")
                calendar.add("STATUS", goal.state == .met ? "COMPLETED" : goal.state == .dropped ? "CANCELLED" : "NEEDS-ACTION", escape: false)
                calendar.raw("END:VTODO")
            }
            let lines = calendar.finish()
            return Response(records: lines.map(Record.raw), status: Status([("lines", .int(lines.count)), ("events", .int(content.events.count)),
                                                                             ("todos", .int(content.todos.count + content.goals.count))]))
        })
    }

    /// The ATTENDEE line of a participant: the contact to invite there
    /// (``Invitation/choose(among:kind:themes:)``) with their address, their name and the
    /// organisation's in CN; the organisation itself when there is no one to invite, or when
    /// this connection may not see addresses.
    static func attendee(_ calendar: inout ICalendar, participant: String, node: Node?, contacts: [Contact], themes: [String], showEmail: Bool) {
        let organisation = node?.name ?? participant
        if showEmail, let node, case .contact(let id) = Invitation.choose(among: contacts.map(\.invitee), kind: node.kind, themes: themes),
           let contact = contacts.first(where: { $0.id == id }) {
            let name = "\(contact.name) (\(organisation))".replacingQuotes()
            calendar.add("ATTENDEE;CN=\"\(name)\";ROLE=REQ-PARTICIPANT;CUTYPE=INDIVIDUAL;X-VERBINDER-NODE=\(participant)",
                         "mailto:\(contact.email)", escape: false)
        } else {
            calendar.add("ATTENDEE;CN=\"\(organisation.replacingQuotes())\";ROLE=REQ-PARTICIPANT", "urn:verbinder:node:\(participant)", escape: false)
        }
    }
}

extension String {
    /// DQUOTE cannot appear in an iCalendar parameter value.
    func replacingQuotes() -> String { String(map { $0 == "\"" ? "'" : $0 }) }
}
