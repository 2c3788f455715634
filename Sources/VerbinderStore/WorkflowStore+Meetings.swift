import PQ
import VerbinderGraph

/// Meetings: planning (with conflicts and the agenda), notes, outcomes, listings.
extension WorkflowStore {
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

    /// Meetings (not cancelled) of these participants overlapping the interval. A meeting lasts
    /// at most 1440 minutes (a CHECK of `meetings`), so only one that starts less than a day
    /// before the interval can overlap it: that bound lets `meetings_starts` find the few
    /// candidates instead of testing every meeting's range.
    public static func conflicts(_ connection: Connection, participants: [String], local: String, offset: String?, minutes: Int, excluding: Int? = nil)
        throws -> [(meeting: Meeting, node: String)] {
        let rows = try connection.query("""
            SELECT \(meetingColumns), p.node_key
            FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
            WHERE m.status <> 'cancelled' AND p.node_key = ANY($1::text[]) AND ($5::bigint IS NULL OR m.id <> $5)
              AND m.starts_at > \(startExpression(2, 3)) - interval '1440 minutes'
              AND m.starts_at < \(startExpression(2, 3)) + make_interval(mins => $4::int)
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

    /// The start of a meeting that has not begun yet, on the Amsterdam wall clock
    /// (`YYYY-MM-DDTHH:MM`); nil once it has begun (or when there is no such meeting).
    public static func startIfNotBegun(_ tx: Connection, id: Int) throws -> String? {
        try tx.query("""
            SELECT to_char(starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI') FROM meetings
            WHERE id = $1 AND starts_at > now()
            """, [String(id)]).all.first.map { try $0.string(0) }
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
}
