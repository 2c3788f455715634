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

    /// The figures of `REPORT` over a period; `kansenagenda` (computed from the graph) goes
    /// after the milestones' figures.
    public static func metrics(_ connection: Connection, from: String, to: String, unaffiliated: Set<String>,
                               kansenagenda: [Metric]) throws -> [Metric] {
        var metrics: [Metric] = []
        let inPeriod = "(m.starts_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN $1::date AND $2::date"
        for row in try connection.query("""
            SELECT to_char(m.starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM') AS month, m.axis, count(*),
                   count(*) FILTER (WHERE m.tripartite)
            FROM meetings m WHERE m.status = 'held' AND \(inPeriod)
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [from, to]).all {
            metrics.append(Metric(name: "meetings_held", dimensions: [("month", try row.string(0)), ("axis", try row.string(1))],
                                  value: Double(try row.int(2)), isCount: true))
        }
        for row in try connection.query("""
            SELECT to_char(m.starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM'), count(*), count(*) FILTER (WHERE m.tripartite)
            FROM meetings m WHERE m.status = 'held' AND \(inPeriod) GROUP BY 1 ORDER BY 1
            """, [from, to]).all {
            let total = try row.int(1), tri = try row.int(2)
            metrics.append(Metric(name: "tripartite_share", dimensions: [("month", try row.string(0))],
                                  value: total == 0 ? 0 : Double(tri) / Double(total), isCount: false))
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

        let without = try connection.query("""
            SELECT n.key FROM nodes n WHERE n.kind = 'municipality' AND NOT EXISTS (
              SELECT 1 FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
              WHERE p.node_key = n.key AND m.status = 'held' AND m.axis = 'vertical' AND \(inPeriod))
            """, [from, to]).all.map { try $0.string(0) }
        metrics.append(Metric(name: "municipalities_without_vertical_meeting", dimensions: [], value: Double(without.count), isCount: true))
        metrics.append(Metric(name: "municipalities_without_vertical_meeting_unaffiliated", dimensions: [],
                              value: Double(without.filter { unaffiliated.contains($0) }.count), isCount: true))

        for row in try connection.query("""
            SELECT kind, theme, count(*) FROM signals
            WHERE (created_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN $1::date AND $2::date
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [from, to]).all {
            metrics.append(Metric(name: "signals", dimensions: [("kind", try row.string(0)), ("theme", try row.string(1))],
                                  value: Double(try row.int(2)), isCount: true))
        }
        return metrics
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
            LEFT JOIN goals g ON g.state = s.state AND (g.created_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN $1::date AND $2::date
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
                                         inBigNetworks: Set<String>) throws -> [Metric] {
        var metrics: [Metric] = []
        for row in try connection.query("""
            SELECT status, count(*) FROM signals
            WHERE (created_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN $1::date AND $2::date
            GROUP BY 1 ORDER BY 1
            """, [from, to]).all {
            metrics.append(Metric(name: "signals_by_state", dimensions: [("state", try row.string(0))], value: Double(try row.int(1)), isCount: true))
        }
        let raisedInPeriod = "(raised_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN $1::date AND $2::date"
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
        let sources = try connection.query("SELECT node_key FROM signals WHERE raised_at IS NOT NULL AND \(raisedInPeriod)", [from, to])
            .all.map { try $0.string(0) }
        let municipalities = Set(try connection.query("SELECT key FROM nodes WHERE kind = 'municipality'").all.map { try $0.string(0) })
        let fromUnaffiliated = sources.filter { unaffiliated.contains($0) }.count
        let fromOutsideBig = sources.filter { municipalities.contains($0) && !inBigNetworks.contains($0) }.count
        func share(_ part: Int) -> Double { sources.isEmpty ? 0 : Double(part) / Double(sources.count) }
        metrics.append(Metric(name: "signals_raised_from_unaffiliated", dimensions: [], value: Double(fromUnaffiliated), isCount: true))
        metrics.append(Metric(name: "signals_raised_from_unaffiliated_share", dimensions: [], value: share(fromUnaffiliated), isCount: false))
        metrics.append(Metric(name: "signals_raised_outside_g4_g40", dimensions: [], value: Double(fromOutsideBig), isCount: true))
        metrics.append(Metric(name: "signals_raised_outside_g4_g40_share", dimensions: [], value: share(fromOutsideBig), isCount: false))
        return metrics
    }

    /// A meeting for the calendar, with UTC times in iCalendar form.
    public struct CalendarEvent: Sendable {
        public var id: Int
        public var start: String
        public var end: String
        public var stamp: String
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
        public var by: String
        public var stamp: String
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
        public var contacts: [Contact]
    }

    /// A milestone for the calendar.
    public struct CalendarTodo: Sendable {
        public var id: Int
        public var due: String
        public var stamp: String
        public var title: String
        public var status: MilestoneStatus
        public var trajectory: String
    }

    public static func calendar(_ connection: Connection, trajectory: String?, node: String?) throws -> Calendar {
        let utc = "'YYYYMMDD\"T\"HH24MISS\"Z\"'"
        let events = try connection.query("""
            SELECT m.id, to_char(m.starts_at AT TIME ZONE 'UTC', \(utc)),
                   to_char((m.starts_at + make_interval(mins => m.duration_minutes)) AT TIME ZONE 'UTC', \(utc)),
                   to_char(m.updated_at AT TIME ZONE 'UTC', \(utc)), m.title, m.place, m.status, m.trajectory, m.notes,
                   coalesce((SELECT array_agg(p.node_key ORDER BY p.node_key) FROM meeting_participants p WHERE p.meeting = m.id), '{}'),
                   m.outcome, coalesce((SELECT t.themes FROM trajectories t WHERE t.key = m.trajectory), '{}')
            FROM meetings m
            WHERE ($1::text IS NULL OR m.trajectory = $1)
              AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting = m.id AND p.node_key = $2))
            ORDER BY m.starts_at, m.id
            """, [trajectory, node]).all.map { row in
            CalendarEvent(id: try row.int(0), start: try row.string(1), end: try row.string(2), stamp: try row.string(3),
                          title: try row.string(4), place: try row.string(5), status: try row.value(6),
                          trajectory: row.optionalString(7), notes: try row.string(8), participants: try row.textArray(9),
                          outcome: row.optionalString(10), themes: try row.textArray(11))
        }
        let todos = try connection.query("""
            SELECT ms.id, to_char(ms.due, 'YYYYMMDD'), to_char(ms.updated_at AT TIME ZONE 'UTC', \(utc)), ms.title, ms.status, ms.trajectory
            FROM milestones ms
            WHERE ($1::text IS NULL OR ms.trajectory = $1)
              AND ($2::text IS NULL OR ms.owner_key = $2 OR EXISTS (
                   SELECT 1 FROM stakeholders s WHERE s.trajectory = ms.trajectory AND s.node_key = $2))
            ORDER BY ms.due, ms.id
            """, [trajectory, node]).all.map { row in
            CalendarTodo(id: try row.int(0), due: try row.string(1), stamp: try row.string(2), title: try row.string(3),
                         status: try row.value(4), trajectory: try row.string(5))
        }
        let goals = try connection.query("""
            SELECT g.id, to_char(g.by_date, 'YYYYMMDD'), to_char(g.updated_at AT TIME ZONE 'UTC', \(utc)), g.text, g.state, g.trajectory,
                   g.indicator, g.target
            FROM goals g
            WHERE g.by_date IS NOT NULL AND ($1::text IS NULL OR g.trajectory = $1)
              AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM stakeholders s WHERE s.trajectory = g.trajectory AND s.node_key = $2)
                   OR EXISTS (SELECT 1 FROM trajectories t WHERE t.key = g.trajectory AND t.lead_key = $2))
            ORDER BY g.by_date, g.id
            """, [trajectory, node]).all.map { row in
            CalendarGoal(id: try row.int(0), by: try row.string(1), stamp: try row.string(2), text: try row.string(3), state: try row.value(4),
                         trajectory: try row.string(5), indicator: row.optionalString(6), target: row.optionalString(7))
        }
        let contacts = try ContactStore.contacts(connection, nodes: Array(Set(events.flatMap(\.participants))))
        return Calendar(events: events, todos: todos, goals: goals, contacts: contacts)
    }
}
