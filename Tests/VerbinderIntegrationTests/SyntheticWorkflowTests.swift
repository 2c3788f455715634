import Foundation
import PQ
import Testing

/// `scripts/make-synthetic-workflow` (issue 20): the decade's data set at a small scale, its
/// counts, that its rows hold together as the daemon's own would, and that a seed gives the
/// same rows every time.
@Suite("Synthetic workflow")
struct SyntheticWorkflowTests {
    func generate(_ conninfo: String, scale: String, seed: Int) throws -> [String: Int] {
        let child = try ChildProcess(["/usr/bin/env", "python3", Paths.repository + "/scripts/make-synthetic-workflow",
                                      "--database-url", conninfo, "--scale", scale, "--seed", "\(seed)"])
        guard try child.wait(timeout: 300) == 0 else { throw HarnessError("make-synthetic-workflow failed: \(child.output)") }
        let json = child.output.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? Int }
    }

    @Test func aSmallDecadeHasItsCountsAndHoldsTogether() throws {
        let conninfo = try seededDatabase("synthetic-workflow")
        let counts = try generate(conninfo, scale: "0.01", seed: 7)
        let expected = ["trajectories": 50, "milestones": 1_000, "meetings": 500, "signals": 2_000, "contacts": 200,
                        "reminders": 10_000, "audit": 50_000]
        #expect(counts.filter { expected[$0.key] != nil } == expected)
        let db = try Connection(conninfo)
        func count(_ sql: String) throws -> Int { try db.query(sql)[0].int(0) }
        #expect(try count("SELECT count(*) FROM trajectories") == 50)
        #expect(try count("SELECT count(*) FROM milestones") == 1_000)
        #expect(try count("SELECT count(*) FROM meetings") == 500)
        #expect(try count("SELECT count(*) FROM signals") == 2_000)
        #expect(try count("SELECT count(*) FROM contacts") == 200)
        // Spread over the organisations (about 165 of the 496 nodes get one of 200 contacts), not heaped on one.
        #expect(try count("SELECT count(DISTINCT node_key) FROM contacts") > 100)
        #expect(try count("SELECT max(c) FROM (SELECT count(*) AS c FROM contacts GROUP BY node_key) x") < 10)
        #expect(try count("SELECT count(*) FROM reminders") == 10_000)
        #expect(try count("SELECT count(*) FROM audit WHERE daemon = 'synthetic'") == 50_000)

        // Shapes the daemon's own writes would have.
        #expect(try count("SELECT count(*) FROM (SELECT meeting FROM meeting_participants GROUP BY meeting HAVING count(*) NOT BETWEEN 2 AND 8) x") == 0)
        #expect(try count("SELECT count(*) FROM meetings m WHERE NOT EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting = m.id)") == 0)
        #expect(try count("""
            SELECT count(*) FROM meetings m WHERE m.tripartite AND NOT (
              EXISTS (SELECT 1 FROM meeting_participants p JOIN nodes n ON n.key = p.node_key WHERE p.meeting = m.id AND n.kind = 'ministry')
              AND EXISTS (SELECT 1 FROM meeting_participants p JOIN nodes n ON n.key = p.node_key WHERE p.meeting = m.id AND n.kind IN ('province', 'knowledge'))
              AND EXISTS (SELECT 1 FROM meeting_participants p JOIN nodes n ON n.key = p.node_key WHERE p.meeting = m.id
                          AND n.kind IN ('municipality', 'region', 'network')))
            """) == 0)
        #expect(try count("""
            SELECT count(*) FROM meetings m WHERE m.axis = 'horizontal' AND EXISTS (
              SELECT 1 FROM meeting_participants p JOIN nodes n ON n.key = p.node_key WHERE p.meeting = m.id AND n.tier <> 'local' AND n.kind <> 'region')
            """) == 0)
        let share = try db.query("SELECT avg(tripartite::int)::float8 FROM meetings")[0].values[0].flatMap(Double.init) ?? 0
        #expect(share > 0.25 && share < 0.40, "tri-party share \(share)")
        #expect(try count("SELECT count(DISTINCT status) FROM signals") == 5)
        #expect(try count("SELECT count(DISTINCT state) FROM reminders") == 7)
        #expect(try count("SELECT count(DISTINCT kind) FROM trajectories") == 5)
        #expect(try count("SELECT count(DISTINCT status) FROM trajectories") == 4)
        #expect(try count("SELECT count(DISTINCT status) FROM milestones") == 3)
        #expect(try count("SELECT count(*) FROM milestones m WHERE NOT EXISTS (SELECT 1 FROM milestone_history h WHERE h.milestone = m.id AND h.change = 'add')") == 0)
        #expect(try count("SELECT count(*) FROM milestone_history WHERE change = 'move'") > 200)
        #expect(try count("SELECT count(*) FROM signals s WHERE NOT EXISTS (SELECT 1 FROM signal_steps t WHERE t.signal = s.id AND t.status = 'open')") == 0)
        #expect(try count("SELECT count(*) FROM signals s WHERE status = 'answered' AND NOT EXISTS (SELECT 1 FROM signal_steps t WHERE t.signal = s.id AND t.status = 'answered')") == 0)
        #expect(try count("SELECT count(*) FROM stakeholders s JOIN trajectories t ON t.key = s.trajectory WHERE s.role = 'lead' AND s.node_key <> t.lead_key") == 0)
        #expect(try count("SELECT max(c) FROM (SELECT count(*) AS c FROM reminders GROUP BY milestone) x") <= 10)
        // Every reference resolves (the foreign keys are checked by PostgreSQL; these columns have none).
        #expect(try count("SELECT count(*) FROM audit WHERE daemon = 'synthetic' AND changes ? 'node' AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.key = changes->>'node')") == 0)

        // A daemon serves it: the workflow commands answer on the decade's data.
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        for request in ["REPORT", "REPORT from=2017-01-01 to=2026-12-31", "DUE within=30d", "GAPS stale", "GAPS agenda", "TRAJECTORY syn-00001",
                        "EXPORT ics node=GM0153", "AUDIT node=GM0153 limit=5", "MATCH 4", "MEETINGS node=GM0153 limit=5", "SIGNALS state=raised limit=5"] {
            let status = try client.request(request).status
            #expect(status.hasPrefix("OK"), "\(request): \(status)")
        }
        #expect(try client.request("MEETING PLAN syn-00001 2027-02-01T10:00 GM0153 bzk PV23").status.hasPrefix("OK id=501 "))
        #expect(try daemon.stop() == 0)
    }

    @Test func theSameSeedGivesTheSameRows() throws {
        let digest = """
            SELECT md5(concat_ws('|',
              (SELECT string_agg(t::text, ',' ORDER BY key) FROM trajectories t),
              (SELECT string_agg(m::text, ',' ORDER BY id) FROM meetings m),
              (SELECT string_agg(p::text, ',' ORDER BY meeting, node_key) FROM meeting_participants p),
              (SELECT string_agg(s::text, ',' ORDER BY id) FROM signals s),
              (SELECT string_agg(r::text, ',' ORDER BY id) FROM reminders r),
              (SELECT string_agg(c::text, ',' ORDER BY id) FROM contacts c),
              (SELECT md5(string_agg(a.command || a.changes::text, ',' ORDER BY id)) FROM audit a)))
            """
        var digests: [String] = []
        for (label, seed) in [("synthetic-a", 11), ("synthetic-b", 11), ("synthetic-c", 12)] {
            let conninfo = try seededDatabase(label)
            _ = try generate(conninfo, scale: "0.002", seed: seed)
            digests.append(try Connection(conninfo).query(digest)[0].string(0))
        }
        #expect(digests[0] == digests[1])
        #expect(digests[0] != digests[2])
    }
}
