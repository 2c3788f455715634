import PQ
import VerbinderGraph

/// A reminder occurrence as handed to a worker or listed.
public struct Reminder: Sendable {
    public var id: Int
    public var state: ReminderState
    public var token: String?
    public var attempt: Int
    public var late: Bool
    public var milestone: Int
    public var trajectory: String
    public var title: String
    public var due: String
    public var rule: String
    public var fireAt: String
    public var recipients: [String]
    public var lastError: String?
    public var leaseUntil: String?
    /// The trajectory's name, which people know it by (mails name it; the key is for reference).
    public var trajectoryName: String
}

/// Reminder occurrences: planned in the milestone's own transaction, claimed with
/// `FOR UPDATE SKIP LOCKED`, acknowledged by lease token. PostgreSQL is the only state.
public enum ReminderStore {
    /// Deliveries go out at 09:00 on the Europe/Amsterdam wall clock, whatever the season.
    static func fireExpression(_ dateSQL: String) -> String { "((\(dateSQL)) + time '09:00') AT TIME ZONE 'Europe/Amsterdam'" }

    /// Attempts before an occurrence is `dead`.
    public static let maxAttempts = 5

    /// Every state a reminder row can be in (the table's CHECK).
    public static let states = ["pending", "leased", "sent", "dead", "cancelled", "superseded", "expired"]

    /// Reminder rows by state, every state present (zero when none).
    public static func countsByState(_ connection: Connection) throws -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: states.map { ($0, 0) })
        for row in try connection.query("SELECT state, count(*) FROM reminders GROUP BY state").all {
            counts[try row.string(0)] = try row.int(1)
        }
        return counts
    }

    /// Brings a milestone's occurrences in line with the milestone, inside the caller's transaction:
    /// open: one pending occurrence per offset at the current date (others superseded) plus the
    /// first `overdue`; done or cancelled: every pending one cancelled.
    public static func plan(_ tx: Connection, milestone: Int) throws {
        let id = String(milestone)
        let row = try tx.query("SELECT status, remind FROM milestones WHERE id = $1", [id])
        guard let status = row.all.first?.values[0], let remind = row.all.first?.values[1] else { return }
        guard status == "open" else {
            try tx.query("UPDATE reminders SET state = 'cancelled', updated_at = now() WHERE milestone = $1 AND state = 'pending'", [id])
            return
        }
        // The wanted (rule, fire_at) pairs.
        try tx.query("""
            CREATE TEMP TABLE IF NOT EXISTS wanted_reminders (rule text, fire_at timestamptz) ON COMMIT DROP
            """)
        try tx.query("DELETE FROM wanted_reminders")
        // A reminder whose day would fall outside the years 1900 to 9999 (14 days before a due date
        // in the first days of 1900, overdue after 9999-12-31) is not planned: no date leaves them.
        try tx.query("""
            INSERT INTO wanted_reminders
            SELECT w.rule, w.fire_at FROM (
                SELECT r.rule,
                       CASE WHEN r.rule = 'overdue' THEN \(fireExpression("m.due + 1"))
                            ELSE \(fireExpression("m.due - rtrim(r.rule, 'd')::int")) END AS fire_at
                FROM milestones m, LATERAL (SELECT unnest(string_to_array($2, ',')) AS rule UNION ALL SELECT 'overdue') r
                WHERE m.id = $1) w
            WHERE (w.fire_at AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN date '1900-01-01' AND date '9999-12-31'
            """, [id, remind])
        // Offsets whose time moved are superseded (an overdue one keeps its weekly successors).
        try tx.query("""
            UPDATE reminders r SET state = 'superseded', updated_at = now()
            WHERE r.milestone = $1 AND r.state = 'pending'
              AND NOT EXISTS (SELECT 1 FROM wanted_reminders w WHERE w.rule = r.rule AND w.fire_at = r.fire_at)
              AND (r.rule <> 'overdue' OR r.fire_at < (SELECT fire_at FROM wanted_reminders WHERE rule = 'overdue'))
            """, [id])
        try tx.query("""
            INSERT INTO reminders (milestone, rule, fire_at)
            SELECT $1, w.rule, w.fire_at FROM wanted_reminders w
            WHERE w.rule <> 'overdue' OR NOT EXISTS (
                SELECT 1 FROM reminders o WHERE o.milestone = $1 AND o.rule = 'overdue' AND o.state IN ('pending','leased') )
            ON CONFLICT (milestone, rule, fire_at) DO UPDATE SET state = 'pending', attempts = 0, updated_at = now()
              WHERE reminders.state IN ('cancelled', 'superseded')
            """, [id])
    }

    static let columns = """
        r.id, r.state, r.lease_token, r.attempts, (now() - r.fire_at > interval '12 hours'), r.milestone, m.trajectory, m.title,
        m.due::text, r.rule, to_char(r.fire_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI'),
        coalesce((SELECT array_agg(DISTINCT c.email ORDER BY c.email) FROM contacts c
                  WHERE c.node_key = m.owner_key OR c.node_key = (SELECT lead_key FROM trajectories t WHERE t.key = m.trajectory)), '{}'),
        r.last_error, to_char(r.lease_until AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'),
        coalesce((SELECT t.name FROM trajectories t WHERE t.key = m.trajectory), m.trajectory)
        """

    static func decode(_ row: QueryResult.Row) throws -> Reminder {
        Reminder(id: try row.int(0), state: try row.value(1), token: row.optionalString(2), attempt: try row.int(3), late: try row.bool(4),
                 milestone: try row.int(5), trajectory: try row.string(6), title: try row.string(7), due: try row.string(8),
                 rule: try row.string(9), fireAt: try row.string(10), recipients: try row.textArray(11),
                 lastError: row.optionalString(12), leaseUntil: row.optionalString(13), trajectoryName: try row.string(14))
    }

    /// Leases up to `limit` due occurrences to `worker`. Concurrent claimers never get the same one.
    public static func claim(_ tx: Connection, worker: String, holder: String, limit: Int, leaseSeconds: Int) throws -> [Reminder] {
        // Ended leases go back to the queue, or die after too many attempts.
        try tx.query("""
            UPDATE reminders SET state = CASE WHEN attempts >= $1 THEN 'dead' ELSE 'pending' END,
                   lease_token = NULL, lease_until = NULL, lease_holder = NULL,
                   last_error = coalesce(last_error, 'lease expired'), updated_at = now()
            WHERE state = 'leased' AND lease_until < now()
            """, [String(maxAttempts)])
        // Take the next due occurrences in order, drop those that no longer make sense, lease the
        // rest; again while dropping left the batch short. Only the rows taken are checked, so a
        // claim costs the same with ten or ten thousand occurrences due.
        var claimed: [Reminder] = []
        var windowSize = limit
        while claimed.count < limit {
            let wanted = limit - claimed.count
            let size = max(wanted, windowSize)
            let window = try tx.query("""
                WITH candidate AS (
                    SELECT id, milestone, rule, fire_at FROM reminders
                    WHERE state = 'pending' AND fire_at <= now() AND (not_before IS NULL OR not_before <= now())
                    ORDER BY fire_at, id
                    LIMIT $1
                    FOR UPDATE SKIP LOCKED
                ), stale AS (
                    -- An offset reminder once the milestone is past due (the overdue one takes
                    -- over), and an older offset missed while a newer one is due too.
                    UPDATE reminders r SET state = 'expired', updated_at = now()
                    FROM candidate c JOIN milestones m ON m.id = c.milestone
                    WHERE r.id = c.id AND c.rule <> 'overdue'
                      AND (m.due < (now() AT TIME ZONE 'Europe/Amsterdam')::date
                           OR EXISTS (SELECT 1 FROM reminders o WHERE o.milestone = c.milestone AND o.rule <> 'overdue'
                                      AND o.fire_at > c.fire_at AND o.fire_at <= now() AND o.state IN ('pending','leased','sent')))
                    RETURNING r.id
                )
                SELECT c.id, c.id IN (SELECT id FROM stale) FROM candidate c ORDER BY c.fire_at, c.id
                """, [String(size)])
            let ids = try window.all.map { (id: try $0.int(0), stale: try $0.bool(1)) }
            // A window grown past what is wanted leases only the first live rows; the others
            // stay pending (locked until this transaction ends, so other workers skip them).
            let live = ids.filter { !$0.stale }.prefix(wanted).map { String($0.id) }
            if !live.isEmpty {
                // The live rows are locked by this transaction already.
                let rows = try tx.query("""
                    WITH leased AS (
                        UPDATE reminders r SET state = 'leased', attempts = r.attempts + 1,
                               lease_token = replace(gen_random_uuid()::text, '-', ''), lease_until = now() + make_interval(secs => $2::int),
                               leased_by = $3, lease_holder = $4, updated_at = now()
                        WHERE r.id = ANY($1::bigint[])
                        RETURNING r.*
                    )
                    SELECT \(columns) FROM leased r JOIN milestones m ON m.id = r.milestone ORDER BY r.fire_at, r.id
                    """, [PostgresArray.literal(live), String(leaseSeconds), worker, holder])
                claimed += try rows.all.map(decode)
            }
            // A short window means nothing more is due; one with enough live rows is done.
            if ids.count < size || live.count == wanted { break }
            // Dropped rows left it short: look further at once, so that a backlog of outdated
            // occurrences (days without a worker, or thousands of milestones added at once) is
            // cleared in a few round trips rather than one per `limit` rows.
            windowSize = min(size * 4, 4_000)
        }
        // An overdue reminder repeats weekly while the milestone stays open: plan the next one
        // as soon as this one goes out (next weekly slot after now), whatever becomes of it.
        let overdue = claimed.filter { $0.rule == "overdue" }.map { String($0.id) }
        if !overdue.isEmpty {
            try tx.query("""
                INSERT INTO reminders (milestone, rule, fire_at)
                SELECT r.milestone, 'overdue',
                       r.fire_at + interval '7 days' * (floor(extract(epoch FROM now() - r.fire_at) / 604800) + 1)
                FROM reminders r JOIN milestones m ON m.id = r.milestone
                WHERE r.id = ANY($1::bigint[]) AND m.status = 'open'
                  AND r.fire_at < timestamptz '9999-12-24 09:00 Europe/Amsterdam'
                ON CONFLICT DO NOTHING
                """, [PostgresArray.literal(overdue)])
        }
        return claimed
    }

    // ACK, TOUCH and RELEASE are single UPDATEs whose WHERE checks the lease: under READ
    // COMMITTED an UPDATE re-checks its WHERE on the row it locked, so a lease that ended or
    // was taken over meanwhile matches nothing. One statement, so one round trip with its
    // audit row (`Audit.run`); each returns the new state, or no row when the token does not
    // hold the lease.
    private static let holdsLease = "id = $1 AND state = 'leased' AND lease_token = $2 AND lease_until >= now()"

    /// Marks a delivery done. A sent reminder has no error: one from an earlier failed attempt
    /// ("no recipients") is cleared, so listings do not show a delivered reminder as failing.
    public static func ack(id: Int, token: String) -> WriteStatement {
        WriteStatement("""
            UPDATE reminders SET state = 'sent', sent_at = now(), lease_token = NULL, lease_until = NULL, lease_holder = NULL,
                   last_error = NULL, updated_at = now()
            WHERE \(holdsLease) RETURNING state
            """, [String(id), token])
    }

    /// Gives a delivery back after a failure: pending again after `retrySeconds`, or dead once
    /// the attempts are used up.
    public static func release(id: Int, token: String, retrySeconds: Int, error: String?) -> WriteStatement {
        WriteStatement("""
            UPDATE reminders SET state = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'pending' END,
                   not_before = now() + make_interval(secs => $3::int), last_error = coalesce($5, last_error),
                   lease_token = NULL, lease_until = NULL, lease_holder = NULL, updated_at = now()
            WHERE \(holdsLease) RETURNING state
            """, [String(id), token, String(retrySeconds), String(maxAttempts), error])
    }

    /// Gives a lease back as if it had never been taken: the attempt is not counted, the
    /// error kept, no retry delay (`verbinder reminders send --dry-run`).
    public static func undo(id: Int, token: String) -> WriteStatement {
        WriteStatement("""
            UPDATE reminders SET state = 'pending', attempts = greatest(attempts - 1, 0), lease_token = NULL, lease_until = NULL,
                   lease_holder = NULL, updated_at = now()
            WHERE \(holdsLease) RETURNING state
            """, [String(id), token])
    }

    /// Extends a lease.
    public static func touch(id: Int, token: String, leaseSeconds: Int) -> WriteStatement {
        WriteStatement("""
            UPDATE reminders SET lease_until = now() + make_interval(secs => $3::int), updated_at = now()
            WHERE \(holdsLease) RETURNING state
            """, [String(id), token, String(leaseSeconds)])
    }

    /// Releases every lease a closed connection held (they go back to the queue at once).
    public static func releaseHolder(_ connection: Connection, holder: String) throws -> Int {
        try connection.query("""
            UPDATE reminders SET state = CASE WHEN attempts >= $2 THEN 'dead' ELSE 'pending' END,
                   lease_token = NULL, lease_until = NULL, lease_holder = NULL,
                   last_error = coalesce(last_error, 'worker connection closed'), updated_at = now()
            WHERE state = 'leased' AND lease_holder = $1
            """, [holder, String(maxAttempts)]).affectedRows
    }

    public static func exists(_ connection: Connection, id: Int) throws -> Bool {
        try connection.query("SELECT 1 FROM reminders WHERE id = $1", [String(id)]).count == 1
    }

    public static func retry(_ tx: Connection, id: Int) throws -> Bool {
        try tx.query("UPDATE reminders SET state = 'pending', attempts = 0, not_before = NULL, updated_at = now() WHERE id = $1 AND state = 'dead'",
                     [String(id)]).affectedRows == 1
    }

    public static func list(_ connection: Connection, state: ReminderState?, milestone: Int?, limit: Int) throws -> [Reminder] {
        try connection.query("""
            SELECT \(columns) FROM reminders r JOIN milestones m ON m.id = r.milestone
            WHERE ($1::text IS NULL OR r.state = $1) AND ($2::bigint IS NULL OR r.milestone = $2)
            ORDER BY r.fire_at, r.id LIMIT $3
            """, [state?.rawValue, milestone.map(String.init), String(limit)]).all.map(decode)
    }
}
