import PQ
import VerbinderGraph

/// A goal of a trajectory as stored, with its latest progress and whether it is past its date.
public struct Goal: Sendable {
    public var id: Int
    public var trajectory: String
    public var text: String
    /// What is measured, and the value aimed at (free text: `aantal woningen`, `500`).
    public var indicator: String?
    public var target: String?
    /// The date it should be met by.
    public var by: String?
    public var state: GoalState
    /// The day it was met, or dropped (with the reason).
    public var met: String?
    public var dropped: String?
    public var reason: String?
    /// The value of the latest progress report.
    public var latest: String?
    /// The Amsterdam date it was added.
    public var created: String
    /// Open with its date before today.
    public var pastDate: Bool
}

/// One dated progress report of a goal.
public struct GoalProgress: Sendable {
    /// `YYYY-MM-DDTHH:MM` on the Amsterdam wall clock.
    public var at: String
    public var value: String
    public var note: String?
}

/// SQL of a trajectory's goals and their progress. Dates are Europe/Amsterdam dates.
public enum GoalStore {
    static let columns = """
        g.id, g.trajectory, g.text, g.indicator, g.target, g.by_date::text, g.state, g.met_on::text, g.dropped_on::text, g.drop_reason,
        (SELECT p.value FROM goal_progress p WHERE p.goal = g.id ORDER BY p.id DESC LIMIT 1),
        to_char(g.created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD'),
        (g.state = 'open' AND g.by_date < \(WorkflowStore.today))
        """

    static func decode(_ row: QueryResult.Row) throws -> Goal {
        Goal(id: try row.int(0), trajectory: try row.string(1), text: try row.string(2), indicator: row.optionalString(3),
             target: row.optionalString(4), by: row.optionalString(5), state: try row.value(6), met: row.optionalString(7),
             dropped: row.optionalString(8), reason: row.optionalString(9), latest: row.optionalString(10), created: try row.string(11),
             pastDate: row.optionalString(12) == "t")
    }

    public static func insert(_ tx: Connection, trajectory: String, text: String, indicator: String?, target: String?, by: String?) throws -> Int {
        try tx.query("""
            INSERT INTO goals (trajectory, text, indicator, target, by_date) VALUES ($1, $2, $3, $4, $5::date) RETURNING id
            """, [trajectory, text, indicator, target, by])[0].int(0)
    }

    public static func goal(_ connection: Connection, id: Int) throws -> Goal? {
        try connection.query("SELECT \(columns) FROM goals g WHERE g.id = $1", [String(id)]).all.first.map(decode)
    }

    /// The goal, locked for the rest of the transaction.
    public static func goalForUpdate(_ tx: Connection, id: Int) throws -> Goal? {
        try tx.query("SELECT \(columns) FROM goals g WHERE g.id = $1 FOR UPDATE", [String(id)]).all.first.map(decode)
    }

    /// Applies an allowed step (``GoalState/after(_:)``): a progress report is kept as a dated
    /// row; met and dropped are dated today.
    public static func step(_ tx: Connection, id: Int, _ step: GoalStep, value: String?, note: String?) throws {
        switch step {
        case .progress:
            try tx.query("INSERT INTO goal_progress (goal, value, note) VALUES ($1, $2, $3)", [String(id), value, note])
            try tx.query("UPDATE goals SET updated_at = now() WHERE id = $1", [String(id)])
        case .met:
            try tx.query("UPDATE goals SET state = 'met', met_on = \(WorkflowStore.today), updated_at = now() WHERE id = $1", [String(id)])
        case .drop:
            try tx.query("""
                UPDATE goals SET state = 'dropped', dropped_on = \(WorkflowStore.today), drop_reason = $2, updated_at = now() WHERE id = $1
                """, [String(id), note])
        }
    }

    /// A goal's progress reports, oldest first.
    public static func progress(_ connection: Connection, goal: Int) throws -> [GoalProgress] {
        try connection.query("""
            SELECT to_char(at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI'), value, note
            FROM goal_progress WHERE goal = $1 ORDER BY id
            """, [String(goal)]).all.map { GoalProgress(at: try $0.string(0), value: try $0.string(1), note: $0.optionalString(2)) }
    }

    /// Goals by id, of one trajectory and/or in one state.
    public static func goals(_ connection: Connection, trajectory: String?, state: GoalState?, limit: Int) throws -> [Goal] {
        try connection.query("""
            SELECT \(columns) FROM goals g
            WHERE ($1::text IS NULL OR g.trajectory = $1) AND ($2::text IS NULL OR g.state = $2)
            ORDER BY g.id LIMIT $3
            """, [trajectory, state?.rawValue, String(limit)]).all.map(decode)
    }

    /// `TRAJECTORY SET goal=`: the text of the trajectory's first goal, or a first goal when it
    /// has none (the single goal field of before issue 18 is that goal).
    public static func setFirstText(_ tx: Connection, trajectory: String, text: String) throws {
        let changed = try tx.query("""
            UPDATE goals SET text = $2, updated_at = now()
            WHERE id = (SELECT min(id) FROM goals WHERE trajectory = $1)
            """, [trajectory, text]).affectedRows
        if changed == 0 { _ = try insert(tx, trajectory: trajectory, text: text, indicator: nil, target: nil, by: nil) }
    }

    /// Whether a goal belongs to a trajectory, and its state (for a milestone that serves it);
    /// nil when there is no such goal.
    public static func owner(_ connection: Connection, goal: Int) throws -> (trajectory: String, state: GoalState)? {
        try connection.query("SELECT trajectory, state FROM goals WHERE id = $1", [String(goal)]).all.first
            .map { (try $0.string(0), try $0.value(1, as: GoalState.self)) }
    }
}
