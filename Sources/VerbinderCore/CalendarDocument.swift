import VerbinderGraph
import VerbinderStore

/// The RFC 5545 calendar of a set of meetings, milestones and dated goals, as `EXPORT ics` and
/// the HTTP calendar feeds both serve it: meetings as VEVENT with their invited contacts as
/// attendees, milestones and dated goals as VTODO, stable UIDs.
public enum CalendarDocument {
    /// A calendar written out: its bytes (every line ended), and what it holds.
    public struct Written: Sendable {
        public var bytes: [UInt8]
        public var lines: Int
        public var events: Int
        /// Milestones and dated goals.
        public var todos: Int
        /// The newest change among what it holds (seconds since 1970), nil when it is empty.
        public var newestStamp: Int?
    }

    /// One half of a calendar's body written out: the meetings (with the time zone they need)
    /// or the to-dos, to be put together by ``assemble(meetings:dueItems:lineEnd:)``. The two
    /// halves are read and written apart, each on a database thread of its own.
    public struct Part: Sendable {
        public var bytes: [UInt8]
        public var lines: Int
        /// How many components (VEVENT or VTODO) it holds.
        public var count: Int
        /// The newest change among them (seconds since 1970), nil when there are none.
        public var newestStamp: Int?
    }

    /// Writes the calendar. `showEmail`: whether the reader may see contacts' addresses;
    /// without it a participant is its organisation, never a person.
    public static func write(_ content: ReportStore.Calendar, graph: LiveGraph, showEmail: Bool, lineEnd: ICalendar.LineEnd) -> Written {
        assemble(meetings: writeMeetings(content.events, contacts: content.contacts, graph: graph, showEmail: showEmail, lineEnd: lineEnd),
                 dueItems: writeDueItems(todos: content.todos, goals: content.goals, lineEnd: lineEnd), lineEnd: lineEnd)
    }

    /// The calendar of two halves: its header, the meetings, the to-dos, its end.
    public static func assemble(meetings: Part, dueItems: Part, lineEnd: ICalendar.LineEnd) -> Written {
        var calendar = ICalendar(lineEnd: lineEnd, capacity: 256 + meetings.bytes.count + dueItems.bytes.count)
        calendar.add("X-WR-CALNAME", "Verbinder")
        calendar.append(folded: meetings.bytes, lines: meetings.lines)
        calendar.append(folded: dueItems.bytes, lines: dueItems.lines)
        calendar.finish()
        let newest = [meetings.newestStamp, dueItems.newestStamp].compactMap { $0 }.max()
        return Written(bytes: calendar.bytes, lines: calendar.lineCount, events: meetings.count, todos: dueItems.count, newestStamp: newest)
    }

    /// The meetings as VEVENT, after the Europe/Amsterdam time zone when any needs it.
    public static func writeMeetings(_ events: [ReportStore.CalendarEvent], contacts: ContactDirectory.Snapshot, graph: LiveGraph,
                                     showEmail: Bool, lineEnd: ICalendar.LineEnd) -> Part {
        // About 40 bytes a line, some 30 lines a meeting.
        var calendar = ICalendar(lineEnd: lineEnd, capacity: 1024 + events.count * 1300, header: false)
        // Meetings are written on the Amsterdam wall clock, as people planned them; the time
        // zone goes once before them when any is. (An event before 1996 stays in UTC.)
        if events.contains(where: { AmsterdamTime.wallSeconds(utcSeconds: $0.start) != nil && AmsterdamTime.wallSeconds(utcSeconds: $0.end) != nil }) {
            ICalendar.amsterdamTimeZone.forEach { calendar.raw($0) }
        }
        // A participant's ATTENDEE line depends only on the participant and whom it invites,
        // and whom it invites only on the meeting's themes: a node's calendar over years names a
        // few hundred participants thousands of times. Each participant is looked up once, its
        // choice made once for each list of themes, and each line folded once.
        var themeSlots: [[String]: Int] = [:]
        var participantSlots: [String: Int] = [:]
        var participants: [Attendee] = []
        // By participant slot and theme slot: the position of the contact invited, -1 for none.
        var choices: [Int: Int] = [:]
        var description: [UInt8] = []
        graph.read { graph in
            for event in events {
                calendar.raw("BEGIN:VEVENT")
                calendar.addUID("meeting", event.id)
                calendar.add("DTSTAMP", utcSeconds: event.stamp)
                if AmsterdamTime.wallSeconds(utcSeconds: event.start) != nil, AmsterdamTime.wallSeconds(utcSeconds: event.end) != nil {
                    calendar.add("DTSTART", amsterdamAt: event.start)
                    calendar.add("DTEND", amsterdamAt: event.end)
                } else {
                    calendar.add("DTSTART", utcSeconds: event.start)
                    calendar.add("DTEND", utcSeconds: event.end)
                }
                calendar.add("SUMMARY", event.title.isEmpty ? "Overleg" : event.title)
                if !event.place.isEmpty { calendar.add("LOCATION", event.place) }
                // What a held meeting came to belongs with it in the calendar: the outcome, then the notes.
                description.removeAll(keepingCapacity: true)
                func part(_ label: String, _ text: String) {
                    if !description.isEmpty { description.append(UInt8(ascii: "\n")) }
                    description.append(contentsOf: label.utf8)
                    description.append(contentsOf: text.utf8)
                }
                if let trajectory = event.trajectory { part("Traject: ", trajectory) }
                if let outcome = event.outcome, !outcome.isEmpty { part("Uitkomst: ", outcome) }
                if !event.notes.isEmpty { part("Notities: ", event.notes) }
                if !description.isEmpty { calendar.add("DESCRIPTION", String(decoding: description, as: UTF8.self)) }
                calendar.add("STATUS", event.status == .cancelled ? "CANCELLED" : "CONFIRMED", escape: false)
                let themeSlot: Int
                if let kept = themeSlots[event.themes] {
                    themeSlot = kept
                } else {
                    themeSlot = themeSlots.count
                    themeSlots[event.themes] = themeSlot
                }
                for participant in event.participants {
                    let slot: Int
                    if let kept = participantSlots[participant] {
                        slot = kept
                    } else {
                        slot = participants.count
                        participantSlots[participant] = slot
                        let id = graph.id(forKey: participant)
                        participants.append(Attendee(kind: id.map { graph.kind(ofNode: $0) }, organisation: id.map { graph.name(ofNode: $0) } ?? participant,
                                                     invitees: showEmail && id != nil ? contacts.invitees(of: participant) : nil))
                    }
                    let attendee = participants[slot]
                    var position = -1
                    if let kind = attendee.kind, let invitees = attendee.invitees {
                        let key = slot << 32 | themeSlot
                        if let kept = choices[key] {
                            position = kept
                        } else {
                            position = invitees.position(kind: kind, themes: event.themes) ?? -1
                            choices[key] = position
                        }
                    }
                    if let folded = attendee.lines[position] {
                        calendar.append(folded: folded.bytes, lines: folded.lines)
                    } else {
                        let line = position >= 0
                            ? Self.attendee(participant: participant, organisation: attendee.organisation,
                                            contactName: attendee.invitees!.contacts[position].name,
                                            email: attendee.invitees!.contacts[position].email)
                            : Self.attendee(participant: participant, organisation: attendee.organisation)
                        attendee.lines[position] = calendar.addRemembering(line)
                    }
                }
                calendar.raw("END:VEVENT")
            }
        }
        return Part(bytes: calendar.bytes, lines: calendar.lineCount, count: events.count, newestStamp: events.lazy.map(\.stamp).max())
    }

    /// The milestones, then the dated goals, as VTODO.
    public static func writeDueItems(todos: [ReportStore.CalendarTodo], goals: [ReportStore.CalendarGoal], lineEnd: ICalendar.LineEnd) -> Part {
        // Some 8 lines of 40 bytes a to-do.
        var calendar = ICalendar(lineEnd: lineEnd, capacity: 256 + (todos.count + goals.count) * 320, header: false)
        for todo in todos {
            addTodo(&calendar, uid: "milestone", id: todo.id, stamp: todo.stamp, due: todo.due, summary: todo.title,
                    description: ("Traject: ", todo.trajectory), category: nil,
                    status: todo.status == .done ? "COMPLETED" : todo.status == .cancelled ? "CANCELLED" : "NEEDS-ACTION")
        }
        for goal in goals {
            var description = "Traject: \(goal.trajectory)"
            if let indicator = goal.indicator { description += "\nIndicator: \(indicator)" }
            if let target = goal.target { description += "\nStreefwaarde: \(target)" }
            addTodo(&calendar, uid: "goal", id: goal.id, stamp: goal.stamp, due: goal.by, summary: "Doel: \(goal.text)",
                    description: ("", description), category: "Doel",
                    status: goal.state == .met ? "COMPLETED" : goal.state == .dropped ? "CANCELLED" : "NEEDS-ACTION")
        }
        let newest = [todos.lazy.map(\.stamp).max(), goals.lazy.map(\.stamp).max()].compactMap { $0 }.max()
        return Part(bytes: calendar.bytes, lines: calendar.lineCount, count: todos.count + goals.count, newestStamp: newest)
    }

    /// A VTODO: a milestone or a goal, due on a day.
    /// `description` is written as its label followed by its text.
    private static func addTodo(_ calendar: inout ICalendar, uid: String, id: Int, stamp: Int, due: Int, summary: String,
                                description: (label: String, text: String), category: String?, status: String) {
        calendar.raw("BEGIN:VTODO")
        calendar.addUID(uid, id)
        calendar.add("DTSTAMP", utcSeconds: stamp)
        calendar.add("DUE", days: due)
        calendar.add("SUMMARY", summary)
        calendar.add("DESCRIPTION", label: description.label, description.text)
        if let category { calendar.add("CATEGORIES", category) }
        calendar.add("STATUS", status, escape: false)
        calendar.raw("END:VTODO")
    }

    /// A participant of the calendar's meetings: its kind (nil when the graph does not know
    /// it), the organisation's name, its contacts when addresses may be shown, and its ATTENDEE
    /// lines as written, by the position of the contact invited (-1 for none). A class: the
    /// calendar reaches it for every line it writes, without copying what it holds.
    private final class Attendee {
        let kind: NodeKind?
        let organisation: String
        let invitees: ContactDirectory.Invitees?
        var lines: [Int: (bytes: [UInt8], lines: Int)] = [:]

        init(kind: NodeKind?, organisation: String, invitees: ContactDirectory.Invitees?) {
            self.kind = kind
            self.organisation = organisation
            self.invitees = invitees
        }
    }

    /// The ATTENDEE line of a participant with the contact invited there
    /// (``Invitation/choose(among:kind:themes:)``): their address, their name and the
    /// organisation's in CN.
    static func attendee(participant: String, organisation: String, contactName: String, email: String) -> String {
        let name = "\(contactName) (\(organisation))".replacingQuotes()
        return "ATTENDEE;CN=\"\(name)\";ROLE=REQ-PARTICIPANT;CUTYPE=INDIVIDUAL;X-VERBINDER-NODE=\(participant):mailto:\(email)"
    }

    /// The ATTENDEE line of a participant without a contact (nobody fits, or the reader may not
    /// see addresses): the organisation itself.
    static func attendee(participant: String, organisation: String) -> String {
        "ATTENDEE;CN=\"\(organisation.replacingQuotes())\";ROLE=REQ-PARTICIPANT:urn:verbinder:node:\(participant)"
    }
}

extension String {
    /// DQUOTE cannot appear in an iCalendar parameter value.
    func replacingQuotes() -> String {
        utf8.contains(UInt8(ascii: "\"")) ? String(map { $0 == "\"" ? "'" : $0 }) : self
    }
}
