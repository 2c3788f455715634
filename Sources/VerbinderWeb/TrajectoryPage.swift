/// What `/trajectory/<key>` shows: the trajectory, its stakeholders, goals, milestones and
/// meetings, and where to subscribe to its calendar.
public struct TrajectoryView: Sendable, Equatable {
    /// A node taking part, with its role (`lead`, `partner`, `advisor`, `funder`, `observer`).
    public struct Stakeholder: Sendable, Equatable {
        public var node: NodeRef
        public var role: String

        public init(node: NodeRef, role: String) {
            self.node = node
            self.role = role
        }
    }

    /// A goal; `overdue` when it is open and its `by` date has passed.
    public struct GoalRow: Sendable, Equatable {
        public var id: Int
        public var text: String
        public var indicator: String?
        public var target: String?
        public var by: String?
        public var state: String
        /// The latest progress note.
        public var latest: String?
        public var overdue: Bool

        public init(id: Int, text: String, indicator: String? = nil, target: String? = nil, by: String? = nil, state: String,
                    latest: String? = nil, overdue: Bool = false) {
            self.id = id
            self.text = text
            self.indicator = indicator
            self.target = target
            self.by = by
            self.state = state
            self.latest = latest
            self.overdue = overdue
        }
    }

    /// A milestone; `overdue` when it is open and its due date has passed.
    public struct MilestoneRow: Sendable, Equatable {
        public var id: Int
        public var due: String
        public var title: String
        public var status: String
        public var owner: NodeRef?
        public var overdue: Bool

        public init(id: Int, due: String, title: String, status: String, owner: NodeRef? = nil, overdue: Bool = false) {
            self.id = id
            self.due = due
            self.title = title
            self.status = status
            self.owner = owner
            self.overdue = overdue
        }
    }

    public var key: String
    public var name: String
    public var kind: String
    public var status: String
    public var themes: [String]
    public var lead: NodeRef?
    public var stakeholders: [Stakeholder]
    public var goals: [GoalRow]
    public var milestones: [MilestoneRow]
    public var meetings: [MeetingRow]
    /// The path of the trajectory's calendar feed, such as `/calendar/trajectory/ka-twente.ics`
    /// (with a `?token=` if the feed needs one).
    public var calendarPath: String

    public init(key: String, name: String, kind: String, status: String, themes: [String] = [], lead: NodeRef? = nil,
                stakeholders: [Stakeholder] = [], goals: [GoalRow] = [], milestones: [MilestoneRow] = [],
                meetings: [MeetingRow] = [], calendarPath: String) {
        self.key = key
        self.name = name
        self.kind = kind
        self.status = status
        self.themes = themes
        self.lead = lead
        self.stakeholders = stakeholders
        self.goals = goals
        self.milestones = milestones
        self.meetings = meetings
        self.calendarPath = calendarPath
    }
}

/// The page `/trajectory/<key>`. Overdue goals and milestones get `class="overdue"` and the
/// words "te laat", so they stand out without colour too.
public enum TrajectoryPage {
    public static func render(_ view: TrajectoryView) -> String {
        var body = "<dl class=\"facts\">\n"
        body += "<dt>Sleutel</dt><dd>\(HTML.escape(view.key))</dd>\n"
        body += "<dt>Soort</dt><dd>\(HTML.escape(Dutch.trajectoryKind(view.kind)))</dd>\n"
        body += "<dt>Status</dt><dd>\(HTML.escape(Dutch.state(view.status)))</dd>\n"
        body += "<dt>Thema's</dt><dd>\(HTML.escape(view.themes.isEmpty ? "—" : view.themes.joined(separator: ", ")))</dd>\n"
        body += "<dt>Trekker</dt><dd>\(view.lead.map(HTML.linkWithKind) ?? "—")</dd>\n"
        body += "</dl>\n"
        body += """
            <p><a id="calendar" href="\(HTML.escape(view.calendarPath))">Abonneer op de agenda</a></p>
            <p class="hint">Overleggen, mijlpalen en doelen van dit traject als iCalendar-feed. Wilt u dat uw agenda-app \
            bijgewerkt blijft, abonneer u dan op dit adres met webcal:// in plaats van https:// ervoor.</p>

            """

        body += NodePage.section("stakeholders", "Betrokken partijen", view.stakeholders.isEmpty ? HTML.empty("Geen betrokken partijen.") : Table(
            columns: [Table.Column(title: "Partij"), Table.Column(title: "Rol")],
            rows: view.stakeholders.map { Table.Row(cells: [HTML.linkWithKind($0.node), HTML.escape(Dutch.role($0.role))]) }).html)

        body += NodePage.section("goals", "Doelen", view.goals.isEmpty ? HTML.empty("Geen doelen.") : Table(
            columns: [Table.Column(title: "Nr.", isNumeric: true), Table.Column(title: "Doel"), Table.Column(title: "Indicator"),
                      Table.Column(title: "Streefwaarde"), Table.Column(title: "Uiterlijk"), Table.Column(title: "Status"),
                      Table.Column(title: "Laatste voortgang")],
            rows: view.goals.map { goal in
                Table.Row(cells: [String(goal.id), HTML.escape(goal.text), HTML.escape(goal.indicator ?? "—"), HTML.escape(goal.target ?? "—"),
                                  HTML.escape(goal.by ?? "—"), state(goal.state, overdue: goal.overdue), HTML.escape(goal.latest ?? "—")],
                          className: goal.overdue ? "overdue" : nil)
            }).html)

        body += NodePage.section("milestones", "Mijlpalen", view.milestones.isEmpty ? HTML.empty("Geen mijlpalen.") : Table(
            columns: [Table.Column(title: "Nr.", isNumeric: true), Table.Column(title: "Streefdatum"), Table.Column(title: "Mijlpaal"),
                      Table.Column(title: "Status"), Table.Column(title: "Eigenaar")],
            rows: view.milestones.map { milestone in
                Table.Row(cells: [String(milestone.id), HTML.escape(milestone.due), HTML.escape(milestone.title),
                                  state(milestone.status, overdue: milestone.overdue), milestone.owner.map(HTML.link) ?? "—"],
                          className: milestone.overdue ? "overdue" : nil)
            }).html)

        body += NodePage.section("meetings", "Overleggen", view.meetings.isEmpty ? HTML.empty("Geen overleggen.") : Table(
            columns: [Table.Column(title: "Nr.", isNumeric: true), Table.Column(title: "Begin"), Table.Column(title: "Titel"),
                      Table.Column(title: "As"), Table.Column(title: "Status"), Table.Column(title: "Deelnemers")],
            rows: view.meetings.map { meeting in
                let axis = HTML.escape(Dutch.axis(meeting.axis)) + (meeting.tripartite ? " <span class=\"mark\">driepartijen</span>" : "")
                return Table.Row(cells: [String(meeting.id), HTML.escape(meeting.start), HTML.escape(meeting.title), axis,
                                         HTML.escape(Dutch.state(meeting.status)), meeting.participants.map(HTML.link).joined(separator: ", ")])
            }).html)
        return PageLayout.render(title: view.name, body: body)
    }

    /// A state in Dutch, with "te laat" after it when the date has passed.
    static func state(_ state: String, overdue: Bool) -> String {
        HTML.escape(Dutch.state(state)) + (overdue ? " <strong class=\"late\">te laat</strong>" : "")
    }
}
