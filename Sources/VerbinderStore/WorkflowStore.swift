import PQ
import VerbinderGraph

/// A trajectory as stored.
public struct Trajectory: Sendable {
    public var key: String
    public var name: String
    public var kind: TrajectoryKind
    public var lead: String
    public var region: String?
    public var themes: [String]
    public var goal: String?
    public var status: TrajectoryStatus
    public var start: String?
    public var end: String?

    public init(key: String, name: String, kind: TrajectoryKind, lead: String, region: String?, themes: [String], goal: String?,
                status: TrajectoryStatus, start: String?, end: String?) {
        self.key = key
        self.name = name
        self.kind = kind
        self.lead = lead
        self.region = region
        self.themes = themes
        self.goal = goal
        self.status = status
        self.start = start
        self.end = end
    }
}

/// A milestone as stored, with the derived days left (negative when overdue).
public struct Milestone: Sendable {
    public var id: Int
    public var trajectory: String
    public var title: String
    public var due: String
    public var owner: String?
    public var status: MilestoneStatus
    public var doneOn: String?
    public var note: String?
    public var remind: String
    public var meeting: Int?
    public var daysLeft: Int
    public var overdue: Bool { status == .open && daysLeft < 0 }
}

/// A meeting as stored; times are shown on the Europe/Amsterdam wall clock with their offset.
public struct Meeting: Sendable {
    public var id: Int
    public var trajectory: String?
    public var start: String
    public var end: String
    public var duration: Int
    public var title: String
    public var place: String
    public var status: MeetingStatus
    public var notes: String
    public var outcome: String?
    public var axis: Axis
    public var tripartite: Bool
    public var participants: [String]
}

/// A signal: a problem, solution, practice example or need brought in by a stakeholder.
public struct Signal: Sendable {
    public var id: Int
    public var node: String
    public var kind: SignalKind
    public var theme: String
    public var text: String
    public var status: SignalStatus
    public var created: String
}

/// SQL of the co-design workflow. Dates are Europe/Amsterdam dates.
public enum WorkflowStore {
    /// "Today" as the Netherlands sees it.
    static let today = "(now() AT TIME ZONE 'Europe/Amsterdam')::date"

    // MARK: Trajectories

    static let trajectoryColumns = "key, name, kind, lead_key, region_key, themes, goal, status, start_date::text, end_date::text"

    static func decodeTrajectory(_ row: QueryResult.Row) throws -> Trajectory {
        Trajectory(key: try row.string(0), name: try row.string(1), kind: try row.value(2), lead: try row.string(3),
                   region: row.optionalString(4), themes: try row.textArray(5), goal: row.optionalString(6),
                   status: try row.value(7), start: row.optionalString(8), end: row.optionalString(9))
    }

    /// The stored key of a trajectory, compared case-insensitively; nil when there is none.
    public static func trajectoryKey(_ connection: Connection, _ text: String) throws -> String? {
        try connection.query("SELECT key FROM trajectories WHERE lower(key) = lower($1)", [text]).all.first?.string(0)
    }

    /// Sets the reminder rule of a trajectory's milestones (`14d,3d,0d`).
    public static func setRemind(_ tx: Connection, trajectory key: String, remind: String) throws {
        try tx.query("UPDATE trajectories SET remind = $2 WHERE key = $1", [key, remind])
    }

    public static func isStakeholder(_ connection: Connection, trajectory: String, node: String) throws -> Bool {
        try connection.query("SELECT 1 FROM stakeholders WHERE trajectory = $1 AND node_key = $2", [trajectory, node]).count > 0
    }

    public static func isLead(_ connection: Connection, trajectory: String, node: String) throws -> Bool {
        try connection.query("SELECT 1 FROM trajectories WHERE key = $1 AND lead_key = $2", [trajectory, node]).count > 0
    }

    public static func insertTrajectory(_ tx: Connection, _ t: Trajectory) throws {
        try tx.query("""
            INSERT INTO trajectories (key, name, kind, lead_key, region_key, themes, goal, status, start_date, end_date)
            VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9::date, $10::date)
            """, [t.key, t.name, t.kind.rawValue, t.lead, t.region, PostgresArray.literal(t.themes), t.goal, t.status.rawValue, t.start, t.end])
        try tx.query("INSERT INTO stakeholders (trajectory, node_key, role) VALUES ($1, $2, 'lead')", [t.key, t.lead])
    }

    public static func updateTrajectory(_ tx: Connection, key: String, fields: [String: String?]) throws -> Trajectory? {
        // Column names come from a fixed list, never from the client.
        let columns: [String: String] = ["name": "name", "kind": "kind", "lead": "lead_key", "region": "region_key",
                                         "themes": "themes", "goal": "goal", "status": "status", "start": "start_date", "end": "end_date",
                                         "remind": "remind"]
        var assignments: [String] = []
        var parameters: [String?] = [key]
        for (field, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let column = columns[field] else { continue }
            parameters.append(value)
            let cast = field == "themes" ? "::text[]" : (field == "start" || field == "end") ? "::date" : ""
            assignments.append("\(column) = $\(parameters.count)\(cast)")
        }
        guard !assignments.isEmpty else { return try trajectory(tx, key: key) }
        let rows = try tx.query("UPDATE trajectories SET \(assignments.joined(separator: ", ")), updated_at = now() WHERE key = $1 RETURNING \(trajectoryColumns)", parameters)
        if let lead = fields["lead"] ?? nil {
            try tx.query("""
                INSERT INTO stakeholders (trajectory, node_key, role) VALUES ($1, $2, 'lead')
                ON CONFLICT (trajectory, node_key) DO UPDATE SET role = 'lead'
                """, [key, lead])
        }
        return try rows.all.first.map(decodeTrajectory)
    }

    /// The trajectory's reminder offsets, or the default `14d,3d,0d`.
    public static func trajectoryRemind(_ connection: Connection, key: String) throws -> String {
        try connection.query("SELECT coalesce(remind, '14d,3d,0d') FROM trajectories WHERE key = $1", [key]).all.first?.string(0) ?? "14d,3d,0d"
    }

    public static func trajectory(_ connection: Connection, key: String) throws -> Trajectory? {
        try connection.query("SELECT \(trajectoryColumns) FROM trajectories WHERE lower(key) = lower($1)", [key]).all.first.map(decodeTrajectory)
    }

    public static func trajectories(_ connection: Connection, kind: TrajectoryKind?, status: TrajectoryStatus?, node: String?, theme: String?, limit: Int) throws -> [Trajectory] {
        try connection.query("""
            SELECT \(trajectoryColumns) FROM trajectories t
            WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR lead_key = $3 OR region_key = $3
                   OR EXISTS (SELECT 1 FROM stakeholders s WHERE s.trajectory = t.key AND s.node_key = $3))
              AND ($4::text IS NULL OR $4 = ANY(themes))
            ORDER BY key LIMIT $5
            """, [kind?.rawValue, status?.rawValue, node, theme, String(limit)]).all.map(decodeTrajectory)
    }

    public static func stakeholders(_ connection: Connection, trajectory: String) throws -> [(node: String, role: String)] {
        try connection.query("SELECT node_key, role FROM stakeholders WHERE trajectory = $1 ORDER BY role = 'lead' DESC, node_key", [trajectory])
            .all.map { (try $0.string(0), try $0.string(1)) }
    }

    public static func addStakeholder(_ tx: Connection, trajectory: String, node: String, role: StakeholderRole) throws {
        try tx.query("INSERT INTO stakeholders (trajectory, node_key, role) VALUES ($1, $2, $3)", [trajectory, node, role.rawValue])
    }

    /// Returns false when the node was no stakeholder.
    public static func removeStakeholder(_ tx: Connection, trajectory: String, node: String) throws -> Bool {
        try tx.query("DELETE FROM stakeholders WHERE trajectory = $1 AND node_key = $2", [trajectory, node]).affectedRows > 0
    }

    // MARK: Milestones

    static let milestoneColumns = """
        m.id, m.trajectory, m.title, m.due::text, m.owner_key, m.status, m.done_on::text, m.note, m.remind, m.meeting_id,
        (m.due - \(today))::int
        """

    static func decodeMilestone(_ row: QueryResult.Row) throws -> Milestone {
        Milestone(id: try row.int(0), trajectory: try row.string(1), title: try row.string(2), due: try row.string(3),
                  owner: row.optionalString(4), status: try row.value(5), doneOn: row.optionalString(6), note: row.optionalString(7),
                  remind: try row.string(8), meeting: try row.optionalInt(9), daysLeft: try row.int(10))
    }

    public static func insertMilestone(_ tx: Connection, trajectory: String, due: String, title: String, owner: String?,
                                       remind: String, meeting: Int? = nil) throws -> Int {
        let id = try tx.query("""
            INSERT INTO milestones (trajectory, title, due, owner_key, remind, meeting_id)
            VALUES ($1, $2, $3::date, $4, $5, $6::bigint) RETURNING id
            """, [trajectory, title, due, owner, remind, meeting.map(String.init)])[0].int(0)
        try tx.query("INSERT INTO milestone_history (milestone, change, new_due) VALUES ($1, 'add', $2::date)", [String(id), due])
        return id
    }

    /// The milestone, locked for the rest of the transaction.
    public static func milestoneForUpdate(_ tx: Connection, id: Int) throws -> Milestone? {
        try tx.query("SELECT \(milestoneColumns) FROM milestones m WHERE id = $1 FOR UPDATE", [String(id)]).all.first.map(decodeMilestone)
    }

    public static func milestone(_ connection: Connection, id: Int) throws -> Milestone? {
        try connection.query("SELECT \(milestoneColumns) FROM milestones m WHERE id = $1", [String(id)]).all.first.map(decodeMilestone)
    }

    /// Applies an allowed transition and records it in the history.
    public static func transition(_ tx: Connection, id: Int, to transition: MilestoneTransition, due: String? = nil,
                                  reason: String?, note: String?) throws {
        switch transition {
        case .done:
            try tx.query("UPDATE milestones SET status = 'done', done_on = \(today), note = coalesce($2, note), updated_at = now() WHERE id = $1",
                         [String(id), note])
        case .reopen:
            try tx.query("UPDATE milestones SET status = 'open', done_on = NULL, updated_at = now() WHERE id = $1", [String(id)])
        case .cancel:
            try tx.query("UPDATE milestones SET status = 'cancelled', updated_at = now() WHERE id = $1", [String(id)])
        case .move:
            try tx.query("""
                INSERT INTO milestone_history (milestone, change, old_due, new_due, reason)
                SELECT id, 'move', due, $2::date, $3 FROM milestones WHERE id = $1
                """, [String(id), due, reason])
            try tx.query("UPDATE milestones SET due = $2::date, updated_at = now() WHERE id = $1", [String(id), due])
            return
        }
        try tx.query("INSERT INTO milestone_history (milestone, change, reason) VALUES ($1, $2, $3)",
                     [String(id), transition.rawValue, reason ?? note])
    }

    public static func history(_ connection: Connection, milestone: Int) throws -> [(at: String, change: String, old: String?, new: String?, reason: String?)] {
        try connection.query("""
            SELECT to_char(at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'), change, old_due::text, new_due::text, reason
            FROM milestone_history WHERE milestone = $1 ORDER BY id
            """, [String(milestone)]).all.map { (try $0.string(0), try $0.string(1), $0.optionalString(2), $0.optionalString(3), $0.optionalString(4)) }
    }

    public static func milestones(_ connection: Connection, trajectory: String?, filter: MilestoneFilter?, owner: String?, limit: Int) throws -> [Milestone] {
        let status: String?
        var overdueOnly = false
        switch filter {
        case .overdue?: status = "open"; overdueOnly = true
        case let other?: status = other.rawValue
        case nil: status = nil
        }
        return try connection.query("""
            SELECT \(milestoneColumns) FROM milestones m
            WHERE ($1::text IS NULL OR trajectory = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR owner_key = $3) AND (NOT $4::boolean OR due < \(today))
            ORDER BY due, id LIMIT $5
            """, [trajectory, status, owner, overdueOnly ? "true" : "false", String(limit)]).all.map(decodeMilestone)
    }

    /// Open milestones due within `days` and every overdue one, soonest first.
    public static func due(_ connection: Connection, withinDays days: Int, trajectory: String?, owner: String?, theme: String?, limit: Int) throws -> [Milestone] {
        try connection.query("""
            SELECT \(milestoneColumns) FROM milestones m JOIN trajectories t ON t.key = m.trajectory
            WHERE m.status = 'open' AND m.due <= \(today) + $1::int
              AND ($2::text IS NULL OR m.trajectory = $2) AND ($3::text IS NULL OR m.owner_key = $3)
              AND ($4::text IS NULL OR $4 = ANY(t.themes))
            ORDER BY m.due, m.id LIMIT $5
            """, [String(days), trajectory, owner, theme, String(limit)]).all.map(decodeMilestone)
    }

    // MARK: Meetings

    static let meetingColumns = """
        m.id, m.trajectory,
        to_char(m.starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'),
        to_char((m.starts_at + make_interval(mins => m.duration_minutes)) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'),
        m.duration_minutes, m.title, m.place, m.status, m.notes, m.outcome, m.axis, m.tripartite,
        coalesce((SELECT array_agg(p.node_key ORDER BY p.node_key) FROM meeting_participants p WHERE p.meeting = m.id), '{}'),
        extract(epoch FROM (m.starts_at AT TIME ZONE 'Europe/Amsterdam') - (m.starts_at AT TIME ZONE 'UTC'))::int,
        extract(epoch FROM ((m.starts_at + make_interval(mins => m.duration_minutes)) AT TIME ZONE 'Europe/Amsterdam')
                         - ((m.starts_at + make_interval(mins => m.duration_minutes)) AT TIME ZONE 'UTC'))::int
        """

    static func decodeMeeting(_ row: QueryResult.Row) throws -> Meeting {
        // Start and end each carry their own offset: a meeting may span the daylight-saving change.
        let start = Self.clock(try row.string(2)) + Self.offset(try row.int(13))
        let end = Self.clock(try row.string(3)) + Self.offset(try row.int(14))
        return Meeting(id: try row.int(0), trajectory: row.optionalString(1), start: start, end: end,
                       duration: try row.int(4), title: try row.string(5), place: try row.string(6), status: try row.value(7),
                       notes: try row.string(8), outcome: row.optionalString(9), axis: try row.value(10),
                       tripartite: try row.bool(11), participants: try row.textArray(12))
    }

    /// A UTC offset as `+HH:MM`, or `+HH:MM:SS` when it is not a whole minute (Amsterdam
    /// before 1940 was `+00:19:32`): exact to the second, so time and offset give the instant.
    static func offset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let total = abs(seconds)
        let hours = total / 3600, minutes = total / 60 % 60, rest = total % 60
        let two = { (value: Int) in (value < 10 ? "0" : "") + String(value) }
        return sign + two(hours) + ":" + two(minutes) + (rest == 0 ? "" : ":" + two(rest))
    }

    /// `YYYY-MM-DDTHH:MM:SS` as `YYYY-MM-DDTHH:MM` when the seconds are zero (always, unless
    /// a time given with an offset fell on a wall clock that was not a whole minute off UTC).
    static func clock(_ text: String) -> String {
        text.hasSuffix(":00") && text.utf8.count == 19 ? String(text.dropLast(3)) : text
    }

    /// The SQL expression turning ($n local text, $m offset or NULL) into a timestamptz.
    static func startExpression(_ local: Int, _ offset: Int) -> String {
        "(CASE WHEN $\(offset)::text IS NULL THEN $\(local)::timestamp AT TIME ZONE 'Europe/Amsterdam' ELSE ($\(local) || $\(offset))::timestamptz END)"
    }

    /// Meetings (not cancelled) of these participants overlapping the interval.
    public static func conflicts(_ connection: Connection, participants: [String], local: String, offset: String?, minutes: Int, excluding: Int? = nil)
        throws -> [(meeting: Meeting, node: String)] {
        let rows = try connection.query("""
            SELECT \(meetingColumns), p.node_key
            FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
            WHERE m.status <> 'cancelled' AND p.node_key = ANY($1::text[]) AND ($5::bigint IS NULL OR m.id <> $5)
              AND tstzrange(m.starts_at, m.starts_at + make_interval(mins => m.duration_minutes))
                  && tstzrange(\(startExpression(2, 3)), \(startExpression(2, 3)) + make_interval(mins => $4::int))
            ORDER BY m.starts_at, p.node_key
            """, [PostgresArray.literal(participants), local, offset, String(minutes), excluding.map(String.init)])
        return try rows.all.map { (try decodeMeeting($0), try $0.string(15)) }
    }

    /// Brings the stored `axis` and `tripartite` of meetings in line with the one rule
    /// (``MeetingClass``) over their participants' current kinds and tiers: of every meeting, or
    /// of those `node` takes part in (after a change of its kind or tier). The stored values are
    /// kept only so SQL can filter and count by them; they are never left stale. Returns how
    /// many meetings changed.
    @discardableResult
    public static func reclassifyMeetings(_ tx: Connection, node: String? = nil) throws -> Int {
        let rows = try tx.query("""
            SELECT m.id, m.axis, m.tripartite, array_agg(n.kind ORDER BY n.key), array_agg(n.tier ORDER BY n.key)
            FROM meetings m JOIN meeting_participants p ON p.meeting = m.id JOIN nodes n ON n.key = p.node_key
            WHERE $1::text IS NULL OR m.id IN (SELECT meeting FROM meeting_participants WHERE node_key = $1)
            GROUP BY m.id
            """, [node])
        var ids: [String] = [], axes: [String] = [], flags: [String] = []
        for row in rows.all {
            let kinds = try row.textArray(3).compactMap(NodeKind.init(rawValue:))
            let tiers = try row.textArray(4).compactMap(Tier.init(rawValue:))
            guard kinds.count == tiers.count else { continue }
            let participants = zip(kinds, tiers).map { (kind: $0, layer: Layer.of(kind: $0, tier: $1)) }
            let derived = MeetingClass(participants: participants)
            let storedAxis = try row.string(1), storedFlag = try row.bool(2)
            if derived.axis.rawValue != storedAxis || derived.tripartite != storedFlag {
                ids.append(try row.string(0))
                axes.append(derived.axis.rawValue)
                flags.append(derived.tripartite ? "true" : "false")
            }
        }
        guard !ids.isEmpty else { return 0 }
        try tx.query("""
            UPDATE meetings m SET axis = u.axis, tripartite = u.tripartite
            FROM unnest($1::bigint[], $2::text[], $3::boolean[]) AS u(id, axis, tripartite) WHERE m.id = u.id
            """, [PostgresArray.literal(ids), PostgresArray.literal(axes), PostgresArray.literal(flags)])
        return ids.count
    }

    public static func insertMeeting(_ tx: Connection, trajectory: String?, local: String, offset: String?, minutes: Int,
                                     title: String, place: String, axis: Axis, tripartite: Bool, participants: [String]) throws -> Int {
        let id = try tx.query("""
            INSERT INTO meetings (trajectory, starts_at, duration_minutes, title, place, axis, tripartite)
            VALUES ($1, \(startExpression(2, 3)), $4::int, $5, $6, $7, $8::boolean) RETURNING id
            """, [trajectory, local, offset, String(minutes), title, place, axis.rawValue, tripartite ? "true" : "false"])[0].int(0)
        try tx.query("INSERT INTO meeting_participants (meeting, node_key) SELECT $1, unnest($2::text[])",
                     [String(id), PostgresArray.literal(participants)])
        return id
    }

    public static func meeting(_ connection: Connection, id: Int) throws -> Meeting? {
        try connection.query("SELECT \(meetingColumns) FROM meetings m WHERE id = $1", [String(id)]).all.first.map(decodeMeeting)
    }

    public static func meetingForUpdate(_ tx: Connection, id: Int) throws -> Meeting? {
        try tx.query("SELECT \(meetingColumns) FROM meetings m WHERE id = $1 FOR UPDATE", [String(id)]).all.first.map(decodeMeeting)
    }

    public static func updateMeeting(_ tx: Connection, id: Int, status: MeetingStatus?, appendNote: String?, outcome: String?) throws {
        try tx.query("""
            UPDATE meetings SET status = coalesce($2, status),
                   notes = CASE WHEN $3::text IS NULL THEN notes WHEN notes = '' THEN $3 ELSE notes || E'\\n' || $3 END,
                   outcome = coalesce($4, outcome), updated_at = now()
            WHERE id = $1
            """, [String(id), status?.rawValue, appendNote, outcome])
    }

    public static func meetings(_ connection: Connection, node: String?, trajectory: String?, from: String?, to: String?,
                                axis: Axis?, tripartiteOnly: Bool, limit: Int) throws -> [Meeting] {
        try connection.query("""
            SELECT \(meetingColumns) FROM meetings m
            WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting = m.id AND p.node_key = $1))
              AND ($2::text IS NULL OR m.trajectory = $2)
              AND ($3::date IS NULL OR m.starts_at >= ($3::date)::timestamp AT TIME ZONE 'Europe/Amsterdam')
              AND ($4::date IS NULL OR m.starts_at < ($4::date + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam')
              AND ($5::text IS NULL OR m.axis = $5) AND (NOT $6::boolean OR m.tripartite)
            ORDER BY m.starts_at, m.id LIMIT $7
            """, [node, trajectory, from, to, axis?.rawValue, tripartiteOnly ? "true" : "false", String(limit)]).all.map(decodeMeeting)
    }

    /// The start of the next planned meeting of the trajectory after `id`'s start (for the agenda).
    public static func nextMeetingDate(_ connection: Connection, trajectory: String, after id: Int) throws -> String? {
        try connection.query("""
            SELECT (min(n.starts_at) AT TIME ZONE 'Europe/Amsterdam')::date::text
            FROM meetings n, meetings m
            WHERE m.id = $2 AND n.trajectory = $1 AND n.id <> m.id AND n.status = 'planned' AND n.starts_at > m.starts_at
            """, [trajectory, String(id)])[0].optionalString(0)
    }

    // MARK: Signals

    static let signalColumns = "id, node_key, kind, theme, text, status, to_char(created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')"

    static func decodeSignal(_ row: QueryResult.Row) throws -> Signal {
        Signal(id: try row.int(0), node: try row.string(1), kind: try row.value(2), theme: try row.string(3),
               text: try row.string(4), status: try row.value(5), created: try row.string(6))
    }

    public static func insertSignal(_ tx: Connection, node: String, kind: SignalKind, theme: String, text: String) throws -> Int {
        try tx.query("INSERT INTO signals (node_key, kind, theme, text) VALUES ($1, $2, $3, $4) RETURNING id",
                     [node, kind.rawValue, theme, text])[0].int(0)
    }

    public static func signal(_ connection: Connection, id: Int) throws -> Signal? {
        try connection.query("SELECT \(signalColumns) FROM signals WHERE id = $1", [String(id)]).all.first.map(decodeSignal)
    }

    public static func signals(_ connection: Connection, theme: String?, kind: SignalKind?, node: String?, nodes: [String]?, openOnly: Bool, limit: Int) throws -> [Signal] {
        try connection.query("""
            SELECT \(signalColumns) FROM signals
            WHERE ($1::text IS NULL OR theme = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR node_key = $3)
              AND ($4::text[] IS NULL OR node_key = ANY($4::text[])) AND (NOT $5::boolean OR status = 'open')
            ORDER BY id LIMIT $6
            """, [theme, kind?.rawValue, node, nodes.map(PostgresArray.literal), openOnly ? "true" : "false", String(limit)]).all.map(decodeSignal)
    }

    /// Open signals on any of the themes (for a meeting's agenda).
    public static func openSignals(_ connection: Connection, themes: [String]) throws -> [Signal] {
        try connection.query("SELECT \(signalColumns) FROM signals WHERE status = 'open' AND theme = ANY($1::text[]) ORDER BY id LIMIT 50",
                             [PostgresArray.literal(themes)]).all.map(decodeSignal)
    }

    // MARK: Gaps

    /// Regions with no active kansenagenda trajectory.
    public static func regionsWithoutAgenda(_ connection: Connection) throws -> [String] {
        try connection.query("""
            SELECT n.key FROM nodes n WHERE n.kind = 'region' AND NOT EXISTS (
              SELECT 1 FROM trajectories t WHERE t.region_key = n.key AND t.kind = 'kansenagenda' AND t.status = 'active')
            ORDER BY n.key
            """).all.map { try $0.string(0) }
    }

    /// Active trajectories with no meeting held in `days`, and stakeholders of active
    /// trajectories with no meeting (held) in `days`.
    public static func stale(_ connection: Connection, days: Int) throws -> (trajectories: [(String, String?)], stakeholders: [(String, String, String?)]) {
        let since = "(\(today) - $1::int)::timestamp AT TIME ZONE 'Europe/Amsterdam'"
        let trajectories = try connection.query("""
            SELECT t.key, (SELECT to_char(max(m.starts_at) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD') FROM meetings m
                           WHERE m.trajectory = t.key AND m.status = 'held')
            FROM trajectories t WHERE t.status = 'active' AND NOT EXISTS (
              SELECT 1 FROM meetings m WHERE m.trajectory = t.key AND m.status = 'held' AND m.starts_at >= \(since))
            ORDER BY t.key
            """, [String(days)]).all.map { (try $0.string(0), $0.optionalString(1)) }
        let stakeholders = try connection.query("""
            SELECT s.trajectory, s.node_key,
                   (SELECT to_char(max(m.starts_at) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD') FROM meetings m
                    JOIN meeting_participants p ON p.meeting = m.id WHERE p.node_key = s.node_key AND m.status = 'held')
            FROM stakeholders s JOIN trajectories t ON t.key = s.trajectory
            WHERE t.status = 'active' AND NOT EXISTS (
              SELECT 1 FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
              WHERE p.node_key = s.node_key AND m.status = 'held' AND m.starts_at >= \(since))
            ORDER BY s.trajectory, s.node_key
            """, [String(days)]).all.map { (try $0.string(0), try $0.string(1), $0.optionalString(2)) }
        return (trajectories, stakeholders)
    }
}
