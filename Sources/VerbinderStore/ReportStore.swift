import PQ
import VerbinderGraph

/// SQL for monitoring: the figures `REPORT` shows and the calendar `EXPORT ics` writes.
public enum ReportStore {
    /// One figure: a name, optional dimensions (month, axis, kind, theme) and a value.
    public struct Metric: Sendable {
        public var name: String
        public var dimensions: [(String, String)]
        public var value: Double
        public var isCount: Bool

        public init(name: String, dimensions: [(String, String)] = [], value: Double, isCount: Bool) {
            self.name = name
            self.dimensions = dimensions
            self.value = value
            self.isCount = isCount
        }
    }

    /// The period's bounds as Amsterdam dates (defaults: the last 12 months up to today).
    public static func period(_ connection: Connection, from: String?, to: String?) throws -> (String, String) {
        let row = try connection.query("""
            SELECT coalesce($1::date, (date_trunc('month', \(WorkflowStore.today)) - interval '11 months')::date)::text,
                   coalesce($2::date, \(WorkflowStore.today))::text
            """, [from, to])[0]
        return (try row.string(0), try row.string(1))
    }

    /// A condition keeping the rows whose `column` (a timestamptz) falls on one of the Amsterdam
    /// dates $1 to $2, both included. Written as a range of instants, not as each row's time
    /// converted to a date, so that an index on the column finds the rows of a short period and
    /// a long one converts no row's time zone to filter it.
    static func during(_ column: String) -> String {
        "\(column) >= ($1::date)::timestamp AT TIME ZONE 'Europe/Amsterdam' AND \(column) < ($2::date + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam'"
    }

    /// The figures of `REPORT` over a period; `kansenagenda` (computed from the graph) goes
    /// after the milestones' figures.
    public static func metrics(_ connection: Connection, from: String, to: String, unaffiliated: Set<String>,
                               kansenagenda: [Metric], signals: SignalCounts) throws -> [Metric] {
        var metrics: [Metric] = []
        let inPeriod = during("m.starts_at")
        // One pass over the period's meetings gives both figures: held per month and axis, and
        // (summed over the axes) the tri-party share per month.
        var months: [(month: String, total: Int, tripartite: Int)] = []
        for row in try connection.query("""
            SELECT to_char(m.starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM') AS month, m.axis, count(*),
                   count(*) FILTER (WHERE m.tripartite)
            FROM meetings m WHERE m.status = 'held' AND \(inPeriod)
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [from, to]).all {
            let month = try row.string(0), count = try row.int(2), tripartite = try row.int(3)
            metrics.append(Metric(name: "meetings_held", dimensions: [("month", month), ("axis", try row.string(1))],
                                  value: Double(count), isCount: true))
            if months.last?.month == month {
                months[months.count - 1].total += count
                months[months.count - 1].tripartite += tripartite
            } else {
                months.append((month, count, tripartite))
            }
        }
        for (month, total, tripartite) in months {
            metrics.append(Metric(name: "tripartite_share", dimensions: [("month", month)],
                                  value: total == 0 ? 0 : Double(tripartite) / Double(total), isCount: false))
        }
        for row in try connection.query("""
            SELECT to_char(done_on, 'YYYY-MM'), count(*) FILTER (WHERE done_on <= due), count(*) FILTER (WHERE done_on > due)
            FROM milestones WHERE status = 'done' AND done_on BETWEEN $1::date AND $2::date GROUP BY 1 ORDER BY 1
            """, [from, to]).all {
            let month = try row.string(0)
            metrics.append(Metric(name: "milestones_done_on_time", dimensions: [("month", month)], value: Double(try row.int(1)), isCount: true))
            metrics.append(Metric(name: "milestones_done_late", dimensions: [("month", month)], value: Double(try row.int(2)), isCount: true))
        }
        let overdue = try connection.query("SELECT count(*) FROM milestones WHERE status = 'open' AND due < \(WorkflowStore.today)")[0].int(0)
        metrics.append(Metric(name: "milestones_open_overdue", dimensions: [], value: Double(overdue), isCount: true))

        metrics += kansenagenda

        // The period's meetings first (ARRAY is computed once, from meetings_held_starts alone),
        // then their participants by key: a hash join over every participant of the decade
        // is what the planner picks otherwise.
        let without = try connection.query("""
            SELECT n.key FROM nodes n WHERE n.kind = 'municipality' AND n.key NOT IN (
              SELECT p.node_key FROM meeting_participants p WHERE p.meeting = ANY (ARRAY(
                SELECT m.id FROM meetings m WHERE m.status = 'held' AND m.axis = 'vertical' AND \(inPeriod))))
            """, [from, to]).all.map { try $0.string(0) }
        metrics.append(Metric(name: "municipalities_without_vertical_meeting", dimensions: [], value: Double(without.count), isCount: true))
        metrics.append(Metric(name: "municipalities_without_vertical_meeting_unaffiliated", dimensions: [],
                              value: Double(without.filter { unaffiliated.contains($0) }.count), isCount: true))

        for (kind, theme, count) in signals.byKindAndTheme {
            metrics.append(Metric(name: "signals", dimensions: [("kind", kind), ("theme", theme)], value: Double(count), isCount: true))
        }
        return metrics
    }

    /// The signals brought in during the period, counted by kind and theme and by state, in
    /// one pass over them (`REPORT` shows both).
    public struct SignalCounts: Sendable {
        public var byKindAndTheme: [(kind: String, theme: String, count: Int)] = []
        public var byState: [(state: String, count: Int)] = []
    }

    public static func signalCounts(_ connection: Connection, from: String, to: String) throws -> SignalCounts {
        var counts = SignalCounts()
        for row in try connection.query("""
            SELECT kind, theme, status, count(*), GROUPING(status) FROM signals WHERE \(during("created_at"))
            GROUP BY GROUPING SETS ((kind, theme), (status)) ORDER BY 5, 1, 2, 3
            """, [from, to]).all {
            if try row.int(4) == 1 {
                counts.byKindAndTheme.append((try row.string(0), try row.string(1), try row.int(3)))
            } else {
                counts.byState.append((try row.string(2), try row.int(3)))
            }
        }
        return counts
    }

    /// The goals' figures (issue 18: is a trajectory meeting its goals?), as the milestones'
    /// are counted: goals met in the period per month, on time (on or before their date, or
    /// without one: nothing to be late for) or late; open goals past their date today; and the
    /// goals added in the period by their state now, every state written.
    public static func goalMetrics(_ connection: Connection, from: String, to: String) throws -> [Metric] {
        var metrics: [Metric] = []
        for row in try connection.query("""
            SELECT to_char(met_on, 'YYYY-MM'), count(*) FILTER (WHERE by_date IS NULL OR met_on <= by_date), count(*) FILTER (WHERE met_on > by_date)
            FROM goals WHERE state = 'met' AND met_on BETWEEN $1::date AND $2::date GROUP BY 1 ORDER BY 1
            """, [from, to]).all {
            let month = try row.string(0)
            metrics.append(Metric(name: "goals_met_on_time", dimensions: [("month", month)], value: Double(try row.int(1)), isCount: true))
            metrics.append(Metric(name: "goals_met_late", dimensions: [("month", month)], value: Double(try row.int(2)), isCount: true))
        }
        let past = try connection.query("SELECT count(*) FROM goals WHERE state = 'open' AND by_date < \(WorkflowStore.today)")[0].int(0)
        metrics.append(Metric(name: "goals_open_past_date", dimensions: [], value: Double(past), isCount: true))
        for row in try connection.query("""
            SELECT s.state, count(g.id) FROM unnest($3::text[]) AS s(state)
            LEFT JOIN goals g ON g.state = s.state AND \(during("g.created_at"))
            GROUP BY s.state ORDER BY s.state
            """, [from, to, PostgresArray.literal(GoalState.allCases.map(\.rawValue))]).all {
            metrics.append(Metric(name: "goals", dimensions: [("state", try row.string(0))], value: Double(try row.int(1)), isCount: true))
        }
        return metrics
    }

    /// The figures of the mouthpiece: signals brought in during the period by their state now;
    /// per party, the signals raised with it during the period, those answered, and the median
    /// days to an answer; and which share of the raised signals came from municipalities in no
    /// network (`unaffiliated`) and from municipalities outside the G4 and G40 (not in
    /// `inBigNetworks`). Dates are Amsterdam dates.
    public static func signalPathMetrics(_ connection: Connection, from: String, to: String, unaffiliated: Set<String>,
                                         inBigNetworks: Set<String>, signals: SignalCounts) throws -> [Metric] {
        var metrics: [Metric] = []
        for (state, count) in signals.byState {
            metrics.append(Metric(name: "signals_by_state", dimensions: [("state", state)], value: Double(count), isCount: true))
        }
        let raisedInPeriod = during("raised_at")
        for row in try connection.query("""
            SELECT raised_with, count(*), count(answered_at),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY (answered_at AT TIME ZONE 'Europe/Amsterdam')::date
                                                            - (raised_at AT TIME ZONE 'Europe/Amsterdam')::date)
            FROM signals WHERE raised_at IS NOT NULL AND \(raisedInPeriod)
            GROUP BY 1 ORDER BY 1
            """, [from, to]).all {
            let party = [("party", try row.string(0))]
            metrics.append(Metric(name: "signals_raised", dimensions: party, value: Double(try row.int(1)), isCount: true))
            metrics.append(Metric(name: "signals_answered", dimensions: party, value: Double(try row.int(2)), isCount: true))
            if let median = row.optionalString(3).flatMap(Double.init) {
                metrics.append(Metric(name: "signals_answer_median_days", dimensions: party, value: median, isCount: false))
            }
        }
        // Per source node, how many of its signals were raised in the period (counted here:
        // a decade's raised signals are not sent to the daemon one row each).
        let sources = try connection.query("""
            SELECT node_key, count(*) FROM signals WHERE raised_at IS NOT NULL AND \(raisedInPeriod) GROUP BY 1
            """, [from, to]).all.map { (node: try $0.string(0), count: try $0.int(1)) }
        let municipalities = Set(try connection.query("SELECT key FROM nodes WHERE kind = 'municipality'").all.map { try $0.string(0) })
        let raised = sources.reduce(0) { $0 + $1.count }
        let fromUnaffiliated = sources.filter { unaffiliated.contains($0.node) }.reduce(0) { $0 + $1.count }
        let fromOutsideBig = sources.filter { municipalities.contains($0.node) && !inBigNetworks.contains($0.node) }.reduce(0) { $0 + $1.count }
        func share(_ part: Int) -> Double { raised == 0 ? 0 : Double(part) / Double(raised) }
        metrics.append(Metric(name: "signals_raised_from_unaffiliated", dimensions: [], value: Double(fromUnaffiliated), isCount: true))
        metrics.append(Metric(name: "signals_raised_from_unaffiliated_share", dimensions: [], value: share(fromUnaffiliated), isCount: false))
        metrics.append(Metric(name: "signals_raised_outside_g4_g40", dimensions: [], value: Double(fromOutsideBig), isCount: true))
        metrics.append(Metric(name: "signals_raised_outside_g4_g40_share", dimensions: [], value: share(fromOutsideBig), isCount: false))
        return metrics
    }

    /// A meeting for the calendar. Instants are whole seconds since 1970-01-01T00:00Z.
    public struct CalendarEvent: Sendable {
        public var id: Int
        public var start: Int
        public var end: Int
        /// When it last changed.
        public var stamp: Int
        public var title: String
        public var place: String
        public var status: MeetingStatus
        public var trajectory: String?
        public var notes: String
        public var participants: [String]
        /// What `MEETING HELD` recorded, if anything.
        public var outcome: String?
        /// The themes of its trajectory (for whom to invite).
        public var themes: [String]
    }

    /// A goal with a date, for the calendar.
    public struct CalendarGoal: Sendable {
        public var id: Int
        /// The day it is due by, in days since 1970-01-01.
        public var by: Int
        /// When it last changed, in seconds since 1970-01-01T00:00Z.
        public var stamp: Int
        public var text: String
        public var state: GoalState
        public var trajectory: String
        public var indicator: String?
        public var target: String?
    }

    /// What `EXPORT ics` writes: meetings, milestones, dated goals, and the contacts of the
    /// meetings' participants (to invite).
    public struct Calendar: Sendable {
        public var events: [CalendarEvent]
        public var todos: [CalendarTodo]
        public var goals: [CalendarGoal]
        /// The contacts to choose whom to invite from; empty for a reader who may not see them.
        public var contacts: ContactDirectory.Snapshot
    }

    /// A milestone for the calendar.
    public struct CalendarTodo: Sendable {
        public var id: Int
        /// The day it is due, in days since 1970-01-01.
        public var due: Int
        /// When it last changed, in seconds since 1970-01-01T00:00Z.
        public var stamp: Int
        public var title: String
        public var status: MilestoneStatus
        public var trajectory: String
    }

    /// The calendar of one trajectory, of one node, or of everything. Each query names only the
    /// filters given (no `$n IS NULL OR …`), so that the planner joins through the indexes of
    /// the one that is there: a node's few hundred meetings of a decade, not every meeting
    /// tested against it. `from` and `to` (dates, either may be nil) keep the meetings that start
    /// on those days on the Amsterdam wall clock, and the milestones and goals due on them.
    /// `directory`: where the contacts come from; without one the calendar has none (nobody is
    /// chosen to invite).
    public static func calendar(_ connection: Connection, trajectory: String?, node: String?,
                                from: String? = nil, to: String? = nil, contacts directory: ContactDirectory?) throws -> Calendar {
        let meetings = try calendarMeetings(connection, trajectory: trajectory, node: node, from: from, to: to, contacts: directory)
        let due = try calendarDueItems(connection, trajectory: trajectory, node: node, from: from, to: to)
        return Calendar(events: meetings.events, todos: due.todos, goals: due.goals, contacts: meetings.contacts)
    }

    /// The conditions of the calendar's three lists for the filters given, over one list of
    /// parameters (every condition list names every filter given, so each query takes them all).
    struct CalendarFilters {
        var parameters: [String?] = []
        var meetings: [String] = [], milestones: [String] = [], goals = ["g.by_date IS NOT NULL"]

        init(trajectory: String?, node: String?, from: String?, to: String?) {
            if let trajectory {
                let t = bind(trajectory)
                meetings.append("m.trajectory = \(t)")
                milestones.append("ms.trajectory = \(t)")
                goals.append("g.trajectory = \(t)")
            }
            if let node {
                let n = bind(node)
                // ARRAY(subquery) is computed once, before the scan: the planner then reads the
                // node's rows through the indexes (a BitmapOr for the milestones) instead of
                // hashing the whole table to join a few hundred rows.
                meetings.append("m.id = ANY (ARRAY(SELECT p.meeting FROM meeting_participants p WHERE p.node_key = \(n)))")
                milestones.append("""
                    (ms.owner_key = \(n) OR ms.trajectory = ANY (ARRAY(SELECT s.trajectory FROM stakeholders s WHERE s.node_key = \(n))))
                    """)
                goals.append("""
                    g.trajectory = ANY (ARRAY(SELECT s.trajectory FROM stakeholders s WHERE s.node_key = \(n)
                                              UNION SELECT t.key FROM trajectories t WHERE t.lead_key = \(n)))
                    """)
            }
            if let from {
                let f = bind(from)
                meetings.append("m.starts_at >= (\(f)::date)::timestamp AT TIME ZONE 'Europe/Amsterdam'")
                milestones.append("ms.due >= \(f)::date")
                goals.append("g.by_date >= \(f)::date")
            }
            if let to {
                let t = bind(to)
                meetings.append("m.starts_at < (\(t)::date + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam'")
                milestones.append("ms.due <= \(t)::date")
                goals.append("g.by_date <= \(t)::date")
            }
        }

        private mutating func bind(_ value: String) -> String {
            if let index = parameters.firstIndex(of: value) { return "$\(index + 1)" }
            parameters.append(value)
            return "$\(parameters.count)"
        }

        /// The `WHERE` clause of each list (empty when nothing filters it).
        var meetingsClause: String { Self.clause(meetings) }
        var milestonesClause: String { Self.clause(milestones) }
        var goalsClause: String { Self.clause(goals) }

        private static func clause(_ conditions: [String]) -> String {
            conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        }

        /// Instants as whole seconds and dates as day numbers: formatting them is the writer's
        /// work, and to_char on every row cost the database more than the rows themselves.
        static func seconds(_ column: String) -> String { "floor(extract(epoch FROM \(column)))::bigint" }
    }

    /// The meetings of ``calendar(_:trajectory:node:from:to:contacts:)`` with their
    /// participants, and the contacts to choose whom to invite from.
    public static func calendarMeetings(_ connection: Connection, trajectory: String?, node: String?, from: String? = nil, to: String? = nil,
                                        contacts directory: ContactDirectory?) throws -> (events: [CalendarEvent], contacts: ContactDirectory.Snapshot) {
        let filters = CalendarFilters(trajectory: trajectory, node: node, from: from, to: to)
        let seconds = CalendarFilters.seconds
        let meetingRows = try connection.query("""
            SELECT m.id, \(seconds("m.starts_at")), m.duration_minutes, \(seconds("m.updated_at")), m.title, m.place, m.status,
                   m.trajectory, m.notes, m.outcome, coalesce(t.themes, '{}')
            FROM meetings m LEFT JOIN trajectories t ON t.key = m.trajectory
            \(filters.meetingsClause)
            ORDER BY m.starts_at, m.id
            """, filters.parameters)
        var events = try meetingRows.all.map { row in
            let start = try row.int(1), minutes = try row.int(2)
            return CalendarEvent(id: try row.int(0), start: start, end: start + 60 * minutes, stamp: try row.int(3),
                                 title: try row.string(4), place: try row.string(5), status: try row.value(6),
                                 trajectory: row.optionalString(7), notes: try row.string(8), participants: [],
                                 outcome: row.optionalString(9), themes: try row.textArray(10))
        }
        // The participants of those meetings in one read by their ids (a join per meeting, as
        // a subquery in the list above, costs more than the meetings do).
        if !events.isEmpty {
            let position = Dictionary(uniqueKeysWithValues: events.enumerated().map { ($1.id, $0) })
            let participants = try connection.query("""
                SELECT p.meeting, p.node_key FROM meeting_participants p WHERE p.meeting = ANY ($1::bigint[]) ORDER BY p.meeting, p.node_key
                """, ["{" + events.map { String($0.id) }.joined(separator: ",") + "}"])
            for row in participants.all {
                if let index = position[try row.int(0)] { events[index].participants.append(try row.string(1)) }
            }
        }
        let contacts = try directory?.snapshot(connection) ?? .empty
        return (events, contacts)
    }

    /// The milestones and dated goals of ``calendar(_:trajectory:node:from:to:contacts:)``.
    public static func calendarDueItems(_ connection: Connection, trajectory: String?, node: String?, from: String? = nil,
                                        to: String? = nil) throws -> (todos: [CalendarTodo], goals: [CalendarGoal]) {
        let filters = CalendarFilters(trajectory: trajectory, node: node, from: from, to: to)
        let seconds = CalendarFilters.seconds
        let todos = try connection.query("""
            SELECT ms.id, ms.due - DATE '1970-01-01', \(seconds("ms.updated_at")), ms.title, ms.status, ms.trajectory
            FROM milestones ms
            \(filters.milestonesClause)
            ORDER BY ms.due, ms.id
            """, filters.parameters).all.map { row in
            CalendarTodo(id: try row.int(0), due: try row.int(1), stamp: try row.int(2), title: try row.string(3),
                         status: try row.value(4), trajectory: try row.string(5))
        }
        let goals = try connection.query("""
            SELECT g.id, g.by_date - DATE '1970-01-01', \(seconds("g.updated_at")), g.text, g.state, g.trajectory, g.indicator, g.target
            FROM goals g
            \(filters.goalsClause)
            ORDER BY g.by_date, g.id
            """, filters.parameters).all.map { row in
            CalendarGoal(id: try row.int(0), by: try row.int(1), stamp: try row.int(2), text: try row.string(3), state: try row.value(4),
                         trajectory: try row.string(5), indicator: row.optionalString(6), target: row.optionalString(7))
        }
        return (todos, goals)
    }
}
