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
    /// The goal of its trajectory it serves.
    public var goal: Int? = nil
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
    /// The party it was raised with, the day, and the meeting, once raised.
    public var raisedWith: String? = nil
    public var raised: String? = nil
    public var meeting: Int? = nil
    /// The day the answer came.
    public var answered: String? = nil
}

/// One dated step in a signal's history.
public struct SignalHistoryEntry: Sendable {
    public var status: SignalStatus
    /// `YYYY-MM-DDTHH:MM` on the Amsterdam wall clock.
    public var at: String
    /// Raised with (raised) or answered by (answered).
    public var node: String?
    public var meeting: Int?
    /// The note, answer, outcome or reason.
    public var text: String?
}

/// The signals raised with one party and not answered yet: who owes an answer, and for how long.
public struct UnansweredSignals: Sendable {
    public var node: String
    public var signals: [Int]
    /// The day the oldest was raised, and the days since.
    public var oldest: String
    public var days: Int
}

/// SQL of the co-design workflow. Dates are Europe/Amsterdam dates.
public enum WorkflowStore {
    /// "Today" as the Netherlands sees it.
    static let today = "(now() AT TIME ZONE 'Europe/Amsterdam')::date"

    // MARK: Trajectories

    /// `goal` is the text of the trajectory's first goal (migration 0012 made the single goal
    /// field of before into that goal); the column `trajectories.goal` is no longer read.
    static let trajectoryColumns = """
        t.key, t.name, t.kind, t.lead_key, t.region_key, t.themes,
        (SELECT g.text FROM goals g WHERE g.trajectory = t.key ORDER BY g.id LIMIT 1),
        t.status, t.start_date::text, t.end_date::text
        """

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

    /// A new trajectory with its lead as stakeholder; a non-empty `goal` becomes its first goal.
    public static func insertTrajectory(_ tx: Connection, _ t: Trajectory) throws {
        try tx.query("""
            INSERT INTO trajectories (key, name, kind, lead_key, region_key, themes, status, start_date, end_date)
            VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8::date, $9::date)
            """, [t.key, t.name, t.kind.rawValue, t.lead, t.region, PostgresArray.literal(t.themes), t.status.rawValue, t.start, t.end])
        try tx.query("INSERT INTO stakeholders (trajectory, node_key, role) VALUES ($1, $2, 'lead')", [t.key, t.lead])
        if let goal = t.goal, !goal.isEmpty {
            _ = try GoalStore.insert(tx, trajectory: t.key, text: goal, indicator: nil, target: nil, by: nil)
        }
    }

    public static func updateTrajectory(_ tx: Connection, key: String, fields: [String: String?]) throws -> Trajectory? {
        // Column names come from a fixed list, never from the client.
        // goal= is the trajectory's first goal, in the goals table (migration 0012).
        if let goal = fields["goal"] ?? nil { try GoalStore.setFirstText(tx, trajectory: key, text: goal) }
        let columns: [String: String] = ["name": "name", "kind": "kind", "lead": "lead_key", "region": "region_key",
                                         "themes": "themes", "status": "status", "start": "start_date", "end": "end_date",
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
        let rows = try tx.query("UPDATE trajectories SET \(assignments.joined(separator: ", ")), updated_at = now() WHERE key = $1 RETURNING key", parameters)
        if let lead = fields["lead"] ?? nil {
            try tx.query("""
                INSERT INTO stakeholders (trajectory, node_key, role) VALUES ($1, $2, 'lead')
                ON CONFLICT (trajectory, node_key) DO UPDATE SET role = 'lead'
                """, [key, lead])
        }
        guard rows.count > 0 else { return nil }
        return try trajectory(tx, key: key)
    }

    /// The trajectory's reminder offsets, or the default `14d,3d,0d`.
    public static func trajectoryRemind(_ connection: Connection, key: String) throws -> String {
        try connection.query("SELECT coalesce(remind, '14d,3d,0d') FROM trajectories WHERE key = $1", [key]).all.first?.string(0) ?? "14d,3d,0d"
    }

    public static func trajectory(_ connection: Connection, key: String) throws -> Trajectory? {
        try connection.query("SELECT \(trajectoryColumns) FROM trajectories t WHERE lower(t.key) = lower($1)", [key]).all.first.map(decodeTrajectory)
    }

    public static func trajectories(_ connection: Connection, kind: TrajectoryKind?, status: TrajectoryStatus?, node: String?, theme: String?, limit: Int) throws -> [Trajectory] {
        try connection.query("""
            SELECT \(trajectoryColumns) FROM trajectories t
            WHERE ($1::text IS NULL OR t.kind = $1) AND ($2::text IS NULL OR t.status = $2)
              AND ($3::text IS NULL OR t.lead_key = $3 OR t.region_key = $3
                   OR EXISTS (SELECT 1 FROM stakeholders s WHERE s.trajectory = t.key AND s.node_key = $3))
              AND ($4::text IS NULL OR $4 = ANY(t.themes))
            ORDER BY t.key LIMIT $5
            """, [kind?.rawValue, status?.rawValue, node, theme, String(limit)]).all.map(decodeTrajectory)
    }

    public static func stakeholders(_ connection: Connection, trajectory: String) throws -> [(node: String, role: StakeholderRole)] {
        try connection.query("SELECT node_key, role FROM stakeholders WHERE trajectory = $1 ORDER BY role = 'lead' DESC, node_key", [trajectory])
            .all.map { (try $0.string(0), try $0.value(1, as: StakeholderRole.self)) }
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
        (m.due - \(today))::int, m.goal
        """

    static func decodeMilestone(_ row: QueryResult.Row) throws -> Milestone {
        Milestone(id: try row.int(0), trajectory: try row.string(1), title: try row.string(2), due: try row.string(3),
                  owner: row.optionalString(4), status: try row.value(5), doneOn: row.optionalString(6), note: row.optionalString(7),
                  remind: try row.string(8), meeting: try row.optionalInt(9), daysLeft: try row.int(10), goal: try row.optionalInt(11))
    }

    public static func insertMilestone(_ tx: Connection, trajectory: String, due: String, title: String, owner: String?,
                                       remind: String, meeting: Int? = nil, goal: Int? = nil) throws -> Int {
        let id = try tx.query("""
            INSERT INTO milestones (trajectory, title, due, owner_key, remind, meeting_id, goal)
            VALUES ($1, $2, $3::date, $4, $5, $6::bigint, $7::bigint) RETURNING id
            """, [trajectory, title, due, owner, remind, meeting.map(String.init), goal.map(String.init)])[0].int(0)
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
        try connection.queryPrepared("""
            SELECT \(milestoneColumns) FROM milestones m JOIN trajectories t ON t.key = m.trajectory
            WHERE m.status = 'open' AND m.due <= \(today) + $1::int
              AND ($2::text IS NULL OR m.trajectory = $2) AND ($3::text IS NULL OR m.owner_key = $3)
              AND ($4::text IS NULL OR $4 = ANY(t.themes))
            ORDER BY m.due, m.id LIMIT $5
            """, [String(days), trajectory, owner, theme, String(limit)]).all.map(decodeMilestone)
    }

    // MARK: Signals

    static let signalColumns = """
        id, node_key, kind, theme, text, status, to_char(created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD'),
        raised_with, to_char(raised_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD'), meeting,
        to_char(answered_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')
        """

    static func decodeSignal(_ row: QueryResult.Row) throws -> Signal {
        Signal(id: try row.int(0), node: try row.string(1), kind: try row.value(2), theme: try row.string(3),
               text: try row.string(4), status: try row.value(5), created: try row.string(6),
               raisedWith: row.optionalString(7), raised: row.optionalString(8), meeting: row.optionalString(9).flatMap { Int($0) },
               answered: row.optionalString(10))
    }

    public static func signalForUpdate(_ tx: Connection, id: Int) throws -> Signal? {
        try tx.query("SELECT \(signalColumns) FROM signals WHERE id = $1 FOR UPDATE", [String(id)]).all.first.map(decodeSignal)
    }

    /// Moves a signal to `status` and records the step. Raising sets with whom, when and at
    /// which meeting; answering sets when.
    public static func stepSignal(_ tx: Connection, id: Int, to status: SignalStatus, node: String?, meeting: Int?, text: String?) throws {
        try tx.query("""
            UPDATE signals SET status = $2,
                   raised_with = CASE WHEN $2 = 'raised' THEN $3 ELSE raised_with END,
                   raised_at = CASE WHEN $2 = 'raised' THEN now() ELSE raised_at END,
                   meeting = CASE WHEN $2 = 'raised' THEN $4::bigint ELSE meeting END,
                   answered_at = CASE WHEN $2 = 'answered' THEN now() ELSE answered_at END
            WHERE id = $1
            """, [String(id), status.rawValue, node, meeting.map(String.init)])
        try tx.query("INSERT INTO signal_steps (signal, status, node_key, meeting, text) VALUES ($1, $2, $3, $4::bigint, $5)",
                     [String(id), status.rawValue, node, meeting.map(String.init), text])
    }

    /// A signal's steps, oldest first.
    public static func signalHistory(_ connection: Connection, id: Int) throws -> [SignalHistoryEntry] {
        try connection.query("""
            SELECT status, to_char(at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI'), node_key, meeting::text, text
            FROM signal_steps WHERE signal = $1 ORDER BY id
            """, [String(id)]).all.map { row in
            SignalHistoryEntry(status: try row.value(0), at: try row.string(1), node: row.optionalString(2),
                               meeting: row.optionalString(3).flatMap { Int($0) }, text: row.optionalString(4))
        }
    }

    /// Signals raised at a meeting, by id.
    public static func signalsRaised(_ connection: Connection, atMeeting meeting: Int) throws -> [Signal] {
        try connection.query("SELECT \(signalColumns) FROM signals WHERE meeting = $1 ORDER BY id", [String(meeting)]).all.map(decodeSignal)
    }

    /// Signals raised at least `days` days ago (Amsterdam dates) and not answered, per party:
    /// the longest wait first, then by key.
    public static func unansweredSignals(_ connection: Connection, days: Int) throws -> [UnansweredSignals] {
        try connection.query("""
            SELECT raised_with, array_agg(id ORDER BY id),
                   to_char(min(raised_at) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD'),
                   \(today) - (min(raised_at) AT TIME ZONE 'Europe/Amsterdam')::date
            FROM signals
            WHERE status = 'raised' AND (raised_at AT TIME ZONE 'Europe/Amsterdam')::date <= \(today) - $1::int
            GROUP BY raised_with
            ORDER BY 4 DESC, 1
            """, [String(days)]).all.map { row in
            UnansweredSignals(node: try row.string(0), signals: try row.textArray(1).compactMap { Int($0) },
                              oldest: try row.string(2), days: try row.int(3))
        }
    }

    public static func insertSignal(_ tx: Connection, node: String, kind: SignalKind, theme: String, text: String) throws -> Int {
        let id = try tx.query("INSERT INTO signals (node_key, kind, theme, text) VALUES ($1, $2, $3, $4) RETURNING id",
                              [node, kind.rawValue, theme, text])[0].int(0)
        try tx.query("INSERT INTO signal_steps (signal, status, at) SELECT id, 'open', created_at FROM signals WHERE id = $1", [String(id)])
        return id
    }

    public static func signal(_ connection: Connection, id: Int) throws -> Signal? {
        try connection.queryPrepared("SELECT \(signalColumns) FROM signals WHERE id = $1", [String(id)]).all.first.map(decodeSignal)
    }

    public static func signals(_ connection: Connection, theme: String?, kind: SignalKind?, node: String?, nodes: [String]?, openOnly: Bool,
                               status: SignalStatus? = nil, raisedWith: String? = nil, limit: Int) throws -> [Signal] {
        try connection.query("""
            SELECT \(signalColumns) FROM signals
            WHERE ($1::text IS NULL OR theme = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR node_key = $3)
              AND ($4::text[] IS NULL OR node_key = ANY($4::text[])) AND (NOT $5::boolean OR status = 'open')
              AND ($7::text IS NULL OR status = $7) AND ($8::text IS NULL OR raised_with = $8)
            ORDER BY id LIMIT $6
            """, [theme, kind?.rawValue, node, nodes.map(PostgresArray.literal), openOnly ? "true" : "false", String(limit),
                  status?.rawValue, raisedWith]).all.map(decodeSignal)
    }

    /// The solutions and practice examples on `theme`, in id order: each one's id and source
    /// node, all that `MATCH` ranks them by.
    public static func answerSources(_ connection: Connection, theme: String) throws -> [(id: Int, node: String)] {
        try connection.queryPrepared("""
            SELECT id, node_key FROM signals WHERE theme = $1 AND kind IN ('solution', 'example') ORDER BY id
            """, [theme]).all.map { (try $0.int(0), try $0.string(1)) }
    }

    /// These signals, in id order.
    public static func signals(_ connection: Connection, ids: [Int]) throws -> [Signal] {
        guard !ids.isEmpty else { return [] }
        return try connection.queryPrepared("SELECT \(signalColumns) FROM signals WHERE id = ANY ($1::bigint[]) ORDER BY id",
                                    [PostgresArray.literal(ids.map(String.init))]).all.map(decodeSignal)
    }

    /// Open signals on any of the themes (for a meeting's agenda).
    public static func openSignals(_ connection: Connection, themes: [String]) throws -> [Signal] {
        try connection.query("SELECT \(signalColumns) FROM signals WHERE status = 'open' AND theme = ANY($1::text[]) ORDER BY id LIMIT 50",
                             [PostgresArray.literal(themes)]).all.map(decodeSignal)
    }

    // MARK: Gaps

    /// Regions with no active kansenagenda trajectory.
    /// The active kansenagendas: each with its region and its stakeholders of role lead or partner.
    public static func activeKansenagendas(_ connection: Connection) throws -> [Kansenagenda] {
        try connection.query("""
            SELECT t.key, t.region_key,
                   coalesce((SELECT array_agg(s.node_key ORDER BY s.node_key) FROM stakeholders s
                             WHERE s.trajectory = t.key AND s.role IN ('lead', 'partner')), '{}')
            FROM trajectories t WHERE t.kind = 'kansenagenda' AND t.status = 'active' ORDER BY t.key
            """).all.map { Kansenagenda(trajectory: try $0.string(0), region: $0.optionalString(1), leadsAndPartners: try $0.textArray(2)) }
    }

    /// Active trajectories with no meeting held in `days`, and stakeholders of active
    /// trajectories with no meeting (held) in `days`, each with the date of its last held one.
    ///
    /// Both read when each last had a meeting held (`trajectories.last_held` and
    /// `node_last_held`, kept by triggers on the meetings, migration 17): stale is a last held
    /// meeting before the start of the period, or none. The start is a scalar subquery so that
    /// it is computed once, not converted between time zones for each of 27,000 stakeholders.
    public static func stale(_ connection: Connection, days: Int) throws -> (trajectories: [(String, String?)], stakeholders: [(String, String, String?)]) {
        let since = "(SELECT (\(today) - $1::int)::timestamp AT TIME ZONE 'Europe/Amsterdam')"
        let trajectories = try connection.query("""
            SELECT t.key, to_char(t.last_held AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')
            FROM trajectories t
            WHERE t.status = 'active' AND (t.last_held IS NULL OR t.last_held < \(since))
            ORDER BY t.key
            """, [String(days)]).all.map { (try $0.string(0), $0.optionalString(1)) }
        let stakeholders = try connection.query("""
            SELECT s.trajectory, s.node_key, to_char(h.last_held AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')
            FROM stakeholders s JOIN trajectories t ON t.key = s.trajectory
            LEFT JOIN node_last_held h ON h.node_key = s.node_key
            WHERE t.status = 'active' AND s.node_key NOT IN (SELECT r.node_key FROM node_last_held r WHERE r.last_held >= \(since))
            ORDER BY s.trajectory, s.node_key
            """, [String(days)]).all.map { (try $0.string(0), try $0.string(1), $0.optionalString(2)) }
        return (trajectories, stakeholders)
    }
}
