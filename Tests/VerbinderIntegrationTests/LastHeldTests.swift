import Foundation
import PQ
import Testing

/// When each trajectory and each node last had a meeting held (migration 17), kept by triggers
/// on `meetings` and `meeting_participants` and read by `GAPS stale`: after every kind of write
/// it is what the meetings themselves say, the plain `max(starts_at)` over the held ones.
@Suite("Last held meeting")
struct LastHeldTests {
    /// The kept values and the ones computed from the meetings, as comparable rows.
    func keptAndComputed(_ db: Connection) throws -> (kept: [[String]], computed: [[String]]) {
        func rows(_ sql: String) throws -> [[String]] { try db.query(sql).all.map { $0.values.map { $0 ?? "-" } } }
        func utc(_ value: String) -> String { "to_char((\(value)) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')" }
        let kept = try rows("""
            SELECT 't', key, \(utc("last_held")) FROM trajectories
            UNION ALL SELECT 'n', node_key, \(utc("last_held")) FROM node_last_held ORDER BY 1, 2
            """)
        let computed = try rows("""
            SELECT 't', t.key, \(utc("SELECT max(m.starts_at) FROM meetings m WHERE m.trajectory = t.key AND m.status = 'held'")) FROM trajectories t
            UNION ALL
            SELECT 'n', p.node_key, \(utc("max(m.starts_at)")) FROM meeting_participants p JOIN meetings m ON m.id = p.meeting
            WHERE m.status = 'held' GROUP BY p.node_key ORDER BY 1, 2
            """)
        return (kept, computed)
    }

    @Test func theKeptValuesFollowEveryWriteToTheMeetings() throws {
        let conninfo = try seededDatabase("last-held")
        let db = try Connection(conninfo)
        try db.executeScript("""
            INSERT INTO trajectories (key, name, kind, lead_key) VALUES
              ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153'), ('cd-wonen', 'Co-design wonen', 'codesign', 'GM0193');
            """)
        func meeting(_ trajectory: String?, _ start: String, _ status: String, _ participants: [String]) throws -> String {
            let id = try db.query("""
                INSERT INTO meetings (trajectory, starts_at, duration_minutes, status, axis, tripartite)
                VALUES ($1, $2::timestamptz, 60, $3, 'vertical', false) RETURNING id
                """, [trajectory, start, status])[0].string(0)
            try db.query("INSERT INTO meeting_participants (meeting, node_key) SELECT $1, unnest($2::text[])",
                         [id, PostgresArray.literal(participants)])
            return id
        }
        let steps: [(String, () throws -> Void)] = [
            ("held meetings inserted", {
                _ = try meeting("ka-twente", "2025-03-01 10:00+01", "held", ["GM0153", "bzk"])
                _ = try meeting("ka-twente", "2025-06-01 10:00+02", "held", ["GM0153", "PV23"])
                _ = try meeting(nil, "2025-09-01 10:00+02", "held", ["GM0193", "bzk"])
            }),
            ("a planned meeting changes nothing", { _ = try meeting("cd-wonen", "2026-01-10 10:00+01", "planned", ["GM0193", "vws"]) }),
            ("a planned meeting becomes held", {
                try db.query("UPDATE meetings SET status = 'held' WHERE trajectory = 'cd-wonen'")
            }),
            ("the latest held meeting is cancelled", {
                try db.query("UPDATE meetings SET status = 'cancelled' WHERE starts_at = '2025-06-01 10:00+02'")
            }),
            ("a held meeting moves earlier", {
                try db.query("UPDATE meetings SET starts_at = '2024-01-01 09:00+01' WHERE trajectory = 'cd-wonen'")
            }),
            ("a note on a held meeting", { try db.query("UPDATE meetings SET notes = 'verslag' WHERE status = 'held'") }),
            ("a held meeting moves to another trajectory", {
                try db.query("UPDATE meetings SET trajectory = 'ka-twente' WHERE trajectory = 'cd-wonen'")
            }),
            ("a participant joins and one leaves a held meeting", {
                try db.query("INSERT INTO meeting_participants (meeting, node_key) SELECT id, 'GM0193' FROM meetings WHERE starts_at = '2025-03-01 10:00+01'")
                try db.query("DELETE FROM meeting_participants WHERE node_key = 'bzk' AND meeting = (SELECT id FROM meetings WHERE starts_at = '2025-09-01 10:00+02')")
            }),
            ("a trajectory's key is renamed", { try db.query("UPDATE trajectories SET key = 'ka-twente-2' WHERE key = 'ka-twente'") }),
            ("a held meeting is removed", {
                try db.query("DELETE FROM meetings WHERE starts_at = '2025-03-01 10:00+01'")
            }),
            ("several meetings at once", {
                try db.query("UPDATE meetings SET status = 'held', starts_at = starts_at + interval '1 year'")
            }),
        ]
        for (name, step) in steps {
            try step()
            let (kept, computed) = try keptAndComputed(db)
            #expect(kept == computed, "after: \(name)")
        }
        let (kept, _) = try keptAndComputed(db)
        #expect(kept.contains(["n", "GM0153", "2026-06-01 08:00"]) && kept.contains(["t", "ka-twente-2", "2026-06-01 08:00"]), "\(kept)")
    }

    @Test func gapsStaleCountsFromTheLastHeldMeeting() throws {
        let (daemon, client, db) = try freshSeededDaemon("last-held-gaps")
        #expect(try client.request("TRAJECTORY ADD ka-drenthe \"Kansenagenda Drenthe\" kind=kansenagenda lead=GM1731").status.hasPrefix("OK"))
        #expect(try client.request("STAKEHOLDER ADD ka-drenthe bzk").status.hasPrefix("OK"))
        func stale(_ days: Int) throws -> [String] {
            let answer = try client.request("GAPS stale days=\(days)")
            #expect(answer.status.hasPrefix("OK count="), "\(answer.status)")
            return answer.lines.sorted()
        }
        // Nothing held yet: the trajectory and both stakeholders, with no last meeting.
        #expect(try stale(30) == ["stale trajectory=ka-drenthe", "stale trajectory=ka-drenthe key=GM1731", "stale trajectory=ka-drenthe key=bzk"].sorted())
        // A meeting with the lead, held: the trajectory and the lead have met, bzk has not.
        let planned = try client.request("MEETING PLAN ka-drenthe 2026-01-15T10:00 GM1731 PV22")
        let id = try #require(planned.status.split(separator: " ").first { $0.hasPrefix("id=") }).dropFirst(3)
        #expect(try client.request("MEETING HELD \(id)").status == "OK id=\(id) status=held")
        let day = try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date - date '2026-01-15')")[0].int(0)
        // A period that starts on the meeting's day includes it; one that starts the day after does not.
        #expect(try stale(day) == ["stale trajectory=ka-drenthe key=bzk"])
        #expect(try stale(day - 1) == ["stale trajectory=ka-drenthe last_meeting=2026-01-15", "stale trajectory=ka-drenthe key=GM1731 last_meeting=2026-01-15",
                                      "stale trajectory=ka-drenthe key=bzk"].sorted())
        #expect(try daemon.stop() == 0)
    }

    @Test func migrationSeventeenComputesTheMeetingsAlreadyHeld() throws {
        let (conninfo, db) = try databaseBefore(migration: 17, label: "migrate-0017", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('bzk', 'ministry', 'BZK', 'bzk', 'national', NULL, '{}', '{}', NULL);
            INSERT INTO trajectories (key, name, kind, lead_key) VALUES ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153'),
              ('cd-zorg', 'Co-design zorg', 'codesign', 'GM0153');
            INSERT INTO meetings (id, trajectory, starts_at, duration_minutes, status, axis, tripartite, notes) VALUES
              (1, 'ka-twente', '2025-03-01 10:00+01', 60, 'held', 'vertical', false, 'eerste'),
              (2, 'ka-twente', '2025-06-01 10:00+02', 60, 'held', 'vertical', false, ''),
              (3, 'ka-twente', '2025-09-01 10:00+02', 60, 'cancelled', 'vertical', false, ''),
              (4, NULL, '2025-10-01 10:00+02', 60, 'held', 'horizontal', false, '');
            INSERT INTO meeting_participants (meeting, node_key) VALUES (1, 'GM0153'), (1, 'bzk'), (2, 'GM0153'), (3, 'bzk'), (4, 'bzk');
            """)
        let before = try db.query("SELECT string_agg(id || ' ' || status || ' ' || starts_at || notes, '|' ORDER BY id) FROM meetings")[0].values
        try migrate(conninfo, recording: 17, on: db)
        #expect(try db.query("SELECT string_agg(id || ' ' || status || ' ' || starts_at || notes, '|' ORDER BY id) FROM meetings")[0].values == before)
        let (kept, computed) = try keptAndComputed(db)
        #expect(kept == computed)
        #expect(kept == [["n", "GM0153", "2025-06-01 08:00"], ["n", "bzk", "2025-10-01 08:00"],
                         ["t", "cd-zorg", "-"], ["t", "ka-twente", "2025-06-01 08:00"]])
    }
}
