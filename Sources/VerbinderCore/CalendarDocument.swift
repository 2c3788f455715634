import VerbinderGraph
import VerbinderStore

/// The RFC 5545 calendar of a set of meetings, milestones and dated goals, as `EXPORT ics` and
/// the HTTP calendar feeds both serve it: meetings as VEVENT with their invited contacts as
/// attendees, milestones and dated goals as VTODO, stable UIDs.
public enum CalendarDocument {
    /// The calendar's lines, without line ends. `showEmail`: whether the reader may see contacts'
    /// addresses; without it a participant is its organisation, never a person.
    public static func lines(_ content: ReportStore.Calendar, graph: LiveGraph, showEmail: Bool) -> [String] {
        var calendar = ICalendar()
        calendar.add("X-WR-CALNAME", "Verbinder")
        // Meetings are written on the Amsterdam wall clock, as people planned them; the time
        // zone goes once before them when any is. (An event before 1996 stays in UTC.)
        let wallTimes = content.events.map { event -> (start: String, end: String)? in
            guard let start = AmsterdamTime.wallTime(fromUTC: event.start), let end = AmsterdamTime.wallTime(fromUTC: event.end) else { return nil }
            return (start, end)
        }
        if wallTimes.contains(where: { $0 != nil }) { ICalendar.amsterdamTimeZone.forEach { calendar.raw($0) } }
        // A participant's ATTENDEE line depends only on the participant and the meeting's
        // themes: a node's calendar over years repeats a few hundred such pairs thousands of
        // times, so each is chosen once.
        var attendees: [String: [String]] = [:]
        graph.read { graph in
            for (event, wallTime) in zip(content.events, wallTimes) {
                calendar.raw("BEGIN:VEVENT")
                calendar.add("UID", "meeting-\(event.id)@verbinder.vng.nl", escape: false)
                calendar.add("DTSTAMP", event.stamp, escape: false)
                if let wallTime {
                    calendar.addTime("DTSTART", amsterdam: wallTime.start)
                    calendar.addTime("DTEND", amsterdam: wallTime.end)
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
                    let key = participant + "\u{1}" + event.themes.joined(separator: "\u{1}")
                    if let folded = attendees[key] {
                        calendar.raw(contentsOf: folded)
                        continue
                    }
                    let line = attendee(participant: participant, node: graph.node(key: participant), contacts: content.contacts,
                                        themes: event.themes, showEmail: showEmail)
                    let folded = ICalendar.fold(line.name + ":" + line.value)
                    attendees[key] = folded
                    calendar.raw(contentsOf: folded)
                }
                calendar.raw("END:VEVENT")
            }
        }
        for todo in content.todos {
            addTodo(&calendar, uid: "milestone-\(todo.id)", stamp: todo.stamp, due: todo.due, summary: todo.title,
                    description: "Traject: \(todo.trajectory)", category: nil,
                    status: todo.status == .done ? "COMPLETED" : todo.status == .cancelled ? "CANCELLED" : "NEEDS-ACTION")
        }
        for goal in content.goals {
            var description = ["Traject: \(goal.trajectory)"]
            if let indicator = goal.indicator { description.append("Indicator: \(indicator)") }
            if let target = goal.target { description.append("Streefwaarde: \(target)") }
            addTodo(&calendar, uid: "goal-\(goal.id)", stamp: goal.stamp, due: goal.by, summary: "Doel: \(goal.text)",
                    description: description.joined(separator: "\n"), category: "Doel",
                    status: goal.state == .met ? "COMPLETED" : goal.state == .dropped ? "CANCELLED" : "NEEDS-ACTION")
        }
        return calendar.finish()
    }

    /// A VTODO: a milestone or a goal, due on a day.
    private static func addTodo(_ calendar: inout ICalendar, uid: String, stamp: String, due: String, summary: String,
                                description: String, category: String?, status: String) {
        calendar.raw("BEGIN:VTODO")
        calendar.add("UID", "\(uid)@verbinder.vng.nl", escape: false)
        calendar.add("DTSTAMP", stamp, escape: false)
        calendar.add("DUE;VALUE=DATE", due, escape: false)
        calendar.add("SUMMARY", summary)
        calendar.add("DESCRIPTION", description)
        if let category { calendar.add("CATEGORIES", category) }
        calendar.add("STATUS", status, escape: false)
        calendar.raw("END:VTODO")
    }

    /// The newest change among what the calendar holds (`YYYYMMDDTHHMMSSZ`), nil when it is empty.
    public static func newestStamp(_ content: ReportStore.Calendar) -> String? {
        (content.events.map(\.stamp) + content.todos.map(\.stamp) + content.goals.map(\.stamp)).max()
    }

    /// The ATTENDEE line (name with parameters, value) of a participant: the contact to invite
    /// there (``Invitation/choose(among:kind:themes:)``) with their address, their name and the
    /// organisation's in CN; the organisation itself when there is no one to invite, or when
    /// the reader may not see addresses.
    static func attendee(participant: String, node: Node?, contacts: ContactDirectory.Snapshot, themes: [String],
                         showEmail: Bool) -> (name: String, value: String) {
        let organisation = node?.name ?? participant
        if showEmail, let node, let contact = contacts.invite(participant, kind: node.kind, themes: themes) {
            let name = "\(contact.name) (\(organisation))".replacingQuotes()
            return ("ATTENDEE;CN=\"\(name)\";ROLE=REQ-PARTICIPANT;CUTYPE=INDIVIDUAL;X-VERBINDER-NODE=\(participant)", "mailto:\(contact.email)")
        }
        return ("ATTENDEE;CN=\"\(organisation.replacingQuotes())\";ROLE=REQ-PARTICIPANT", "urn:verbinder:node:\(participant)")
    }
}

extension String {
    /// DQUOTE cannot appear in an iCalendar parameter value.
    func replacingQuotes() -> String {
        utf8.contains(UInt8(ascii: "\"")) ? String(map { $0 == "\"" ? "'" : $0 }) : self
    }
}
