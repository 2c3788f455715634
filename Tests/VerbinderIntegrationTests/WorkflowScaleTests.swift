import Foundation
import PQ
import Testing
import VerbinderGraph
import VerbinderStore

/// The workflow commands' queries as planned for a decade (migration 15 and the rewritten
/// SQL of `GAPS stale`, `REPORT`, `EXPORT ics node=`, `MATCH` and `MEETING PLAN`'s conflicts):
/// on a synthetic decade they answer what the plain queries they replaced answer, those plain
/// queries run here directly as the oracle.
@Suite(.serialized) struct WorkflowScaleTests {
    /// key=value fields of a record line (the values asked about here hold no spaces).
    func fields(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        for token in line.split(separator: " ") {
            guard let equals = token.firstIndex(of: "=") else { continue }
            out[String(token[..<equals])] = String(token[token.index(after: equals)...])
        }
        return out
    }

    @Test func theRewrittenQueriesAnswerWhatThePlainOnesDo() throws {
        let conninfo = try seededDatabase("workflow-scale")
        _ = try SyntheticWorkflowTests().generate(conninfo, scale: "0.02", seed: 11)
        let db = try Connection(conninfo)
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        func rows(_ sql: String, _ parameters: [String?] = []) throws -> [[String]] {
            try db.query(sql, parameters).all.map { row in row.values.map { $0 ?? "" } }
        }

        // GAPS stale: every trajectory and stakeholder the plain NOT EXISTS queries find, with
        // the same last meeting.
        for days in [1, 30, 90, 400] {
            let since = "((now() AT TIME ZONE 'Europe/Amsterdam')::date - \(days))::timestamp AT TIME ZONE 'Europe/Amsterdam'"
            let last = "to_char(max(m.starts_at) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')"
            let trajectories = try rows("""
                SELECT t.key, coalesce((SELECT \(last) FROM meetings m WHERE m.trajectory = t.key AND m.status = 'held'), '')
                FROM trajectories t WHERE t.status = 'active' AND NOT EXISTS (
                  SELECT 1 FROM meetings m WHERE m.trajectory = t.key AND m.status = 'held' AND m.starts_at >= \(since))
                ORDER BY t.key
                """)
            let stakeholders = try rows("""
                SELECT s.trajectory, s.node_key, coalesce((SELECT \(last) FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
                                                           WHERE p.node_key = s.node_key AND m.status = 'held'), '')
                FROM stakeholders s JOIN trajectories t ON t.key = s.trajectory
                WHERE t.status = 'active' AND NOT EXISTS (
                  SELECT 1 FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
                  WHERE p.node_key = s.node_key AND m.status = 'held' AND m.starts_at >= \(since))
                ORDER BY s.trajectory, s.node_key
                """)
            let answer = try client.request("GAPS stale days=\(days)")
            #expect(answer.status.hasPrefix("OK"), "\(answer.status)")
            let records = answer.lines.map(fields)
            let gotTrajectories = records.filter { $0["key"] == nil }.map { [$0["trajectory"] ?? "", $0["last_meeting"] ?? ""] }
            let gotStakeholders = records.filter { $0["key"] != nil }.map { [$0["trajectory"] ?? "", $0["key"] ?? "", $0["last_meeting"] ?? ""] }
            #expect(gotTrajectories == trajectories, "days=\(days)")
            #expect(gotStakeholders.sorted { $0.lexicographicallyPrecedes($1) } == stakeholders.sorted { $0.lexicographicallyPrecedes($1) },
                    "days=\(days)")
            if days == 400 { #expect(!stakeholders.isEmpty || !trajectories.isEmpty) }
        }

        // REPORT over one year and over the decade: the figures the plain per-row queries give.
        for (from, to) in [("2021-01-01", "2021-12-31"), ("2017-01-01", "2026-12-31"), ("2024-03-31", "2024-10-27")] {
            let answer = try client.request("REPORT from=\(from) to=\(to)")
            #expect(answer.status.hasPrefix("OK"), "\(answer.status)")
            let metrics = answer.lines.map(fields)
            func metric(_ name: String, _ dimensions: [String: String] = [:]) -> String? {
                metrics.first { record in record["name"] == name && dimensions.allSatisfy { key, value in record[key] == value } }?["value"]
            }
            let inPeriod = { (column: String) in "(\(column) AT TIME ZONE 'Europe/Amsterdam')::date BETWEEN '\(from)'::date AND '\(to)'::date" }
            let byState = try rows("SELECT status, count(*)::text FROM signals WHERE \(inPeriod("created_at")) GROUP BY 1")
            #expect(byState.count >= 3, "\(from): the period holds signals in several states")
            for row in byState {
                #expect(metric("signals_by_state", ["state": row[0]]) == row[1], "\(from) \(row)")
            }
            for row in try rows("SELECT kind, theme, count(*)::text FROM signals WHERE \(inPeriod("created_at")) GROUP BY 1, 2") {
                #expect(metric("signals", ["kind": row[0], "theme": row[1]]) == row[2], "\(from) \(row)")
            }
            for row in try rows("""
                SELECT to_char(starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM'), axis, count(*)::text FROM meetings
                WHERE status = 'held' AND \(inPeriod("starts_at")) GROUP BY 1, 2
                """) {
                #expect(metric("meetings_held", ["month": row[0], "axis": row[1]]) == row[2], "\(from) \(row)")
            }
            for row in try rows("""
                SELECT to_char(starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM'),
                       round(count(*) FILTER (WHERE tripartite)::numeric / count(*), 4)::float8::text FROM meetings
                WHERE status = 'held' AND \(inPeriod("starts_at")) GROUP BY 1
                """) {
                let value = metric("tripartite_share", ["month": row[0]]).flatMap(Double.init)
                #expect(value != nil && abs(value! - Double(row[1])!) < 0.00005, "\(from) \(row)")
            }
            let withoutVertical = try rows("""
                SELECT count(*)::text FROM nodes n WHERE n.kind = 'municipality' AND NOT EXISTS (
                  SELECT 1 FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
                  WHERE p.node_key = n.key AND m.status = 'held' AND m.axis = 'vertical' AND \(inPeriod("m.starts_at")))
                """)[0][0]
            #expect(metric("municipalities_without_vertical_meeting") == withoutVertical, "\(from)")
            for row in try rows("""
                SELECT raised_with, count(*)::text FROM signals WHERE raised_at IS NOT NULL AND \(inPeriod("raised_at")) GROUP BY 1
                """) {
                #expect(metric("signals_raised", ["party": row[0]]) == row[1], "\(from) \(row)")
            }
            let raisedFromMunicipalities = try rows("""
                SELECT count(*)::text FROM signals s JOIN nodes n ON n.key = s.node_key
                WHERE n.kind = 'municipality' AND s.raised_at IS NOT NULL AND \(inPeriod("s.raised_at"))
                """)[0][0]
            // Every synthetic signal comes from a municipality: those outside the G4 and G40 and
            // those inside add up to all raised.
            let outside = Int(metric("signals_raised_outside_g4_g40") ?? "") ?? -1
            let inside = try rows("""
                SELECT count(*)::text FROM signals s WHERE s.raised_at IS NOT NULL AND \(inPeriod("s.raised_at"))
                  AND s.node_key IN (SELECT r.from_key FROM relations r WHERE r.relation = 'member_of' AND r.to_key IN ('g4', 'g40'))
                """)[0][0]
            #expect(outside + Int(inside)! == Int(raisedFromMunicipalities)!, "\(from): \(outside) + \(inside) vs \(raisedFromMunicipalities)")
        }

        // EXPORT ics node=: the meetings, milestones and dated goals the plain EXISTS queries find.
        for node in ["GM0153", "bzk", "PV23", "GM1731"] {
            let answer = try client.request("EXPORT ics node=\(node)")
            #expect(answer.status.hasPrefix("OK"), "\(answer.status)")
            let status = fields(answer.status)
            let events = try rows("""
                SELECT count(*)::text FROM meetings m WHERE EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting = m.id AND p.node_key = $1)
                """, [node])[0][0]
            let todos = try rows("""
                SELECT ((SELECT count(*) FROM milestones ms WHERE ms.owner_key = $1
                          OR EXISTS (SELECT 1 FROM stakeholders s WHERE s.trajectory = ms.trajectory AND s.node_key = $1))
                      + (SELECT count(*) FROM goals g WHERE g.by_date IS NOT NULL
                          AND (EXISTS (SELECT 1 FROM stakeholders s WHERE s.trajectory = g.trajectory AND s.node_key = $1)
                               OR EXISTS (SELECT 1 FROM trajectories t WHERE t.key = g.trajectory AND t.lead_key = $1))))::text
                """, [node])[0][0]
            #expect(status["events"] == events && status["todos"] == todos, "\(node): \(answer.status) vs events=\(events) todos=\(todos)")
            let uids = answer.lines.filter { $0.hasPrefix("UID:meeting-") }.count
            #expect(String(uids) == events)
            if node == "bzk" { #expect(uids > 10, "a ministry meets often in a decade") }
        }

        // EXPORT ics from= to=: exactly the entries of the whole calendar whose day (a meeting's
        // start on the Amsterdam wall clock, a to-do's due date) is in the window.
        func entries(_ lines: [String]) -> [String: String] {
            var out: [String: String] = [:], uid = "", day = ""
            for line in lines {
                if line.hasPrefix("BEGIN:VEVENT") || line.hasPrefix("BEGIN:VTODO") { uid = ""; day = "" }
                if line.hasPrefix("UID:") { uid = String(line.dropFirst(4)) }
                if line.hasPrefix("DTSTART;TZID=Europe/Amsterdam:") || line.hasPrefix("DUE;VALUE=DATE:") {
                    day = String(line.split(separator: ":")[1].prefix(8))
                }
                if line.hasPrefix("END:VEVENT") || line.hasPrefix("END:VTODO") { out[uid] = day }
            }
            return out
        }
        var windowsCut = 0
        for (node, from, to) in [("GM0153", "2021-01-01", "2022-06-30"), ("bzk", "2025-12-05", nil), ("PV23", nil, "2019-03-31"),
                                 ("GM1731", "2024-03-31", "2024-03-31"), ("bzk", "2024-01-01", "2023-01-01")] as [(String, String?, String?)] {
            let whole = entries(try client.request("EXPORT ics node=\(node)").lines)
            let request = "EXPORT ics node=\(node)" + (from.map { " from=\($0)" } ?? "") + (to.map { " to=\($0)" } ?? "")
            let part = try client.request(request)
            #expect(part.status.hasPrefix("OK lines="), "\(request): \(part.status)")
            let low = from.map { $0.replacingOccurrences(of: "-", with: "") } ?? "00000000"
            let high = to.map { $0.replacingOccurrences(of: "-", with: "") } ?? "99999999"
            let expected = whole.filter { $0.value >= low && $0.value <= high }
            #expect(entries(part.lines) == expected, "\(request)")
            #expect(fields(part.status)["events"].flatMap(Int.init) == expected.keys.filter { $0.hasPrefix("meeting-") }.count, "\(request)")
            if !expected.isEmpty && expected.count < whole.count { windowsCut += 1 }
        }
        #expect(windowsCut >= 2, "the windows asked for cut into calendars")
        #expect(try client.request("EXPORT ics from=2024-02-30").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("EXPORT dot from=2024-01-01").status.hasPrefix("ERR USAGE"))

        // MATCH: every solution and example on the theme from another node is a candidate.
        for id in try rows("SELECT id::text FROM signals WHERE kind IN ('problem', 'need') ORDER BY id LIMIT 5").map({ $0[0] }) {
            let answer = try client.request("MATCH \(id) limit=1000")
            #expect(answer.status.hasPrefix("OK"), "\(answer.status)")
            let expected = try rows("""
                SELECT a.id::text FROM signals a JOIN signals s ON s.id = $1::bigint
                WHERE a.theme = s.theme AND a.kind IN ('solution', 'example') AND lower(a.node_key) <> lower(s.node_key) ORDER BY a.id
                """, [id]).map { $0[0] }
            let got = answer.lines.compactMap { fields($0)["id"] }.sorted { Int($0)! < Int($1)! }
            #expect(!expected.isEmpty)
            #expect(got == Array(expected.prefix(1000)), "MATCH \(id)")
        }

        // MEETING PLAN: the conflicts the plain range test finds, a day's worth of meetings
        // before and after included.
        let busy = try rows("""
            SELECT p.node_key, to_char(m.starts_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI'), m.duration_minutes::text
            FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
            WHERE m.status <> 'cancelled' AND m.starts_at > timestamptz '2027-01-01' ORDER BY m.id LIMIT 1
            """)
        #expect(busy.count == 1)
        if let (node, start, _) = busy.first.map({ ($0[0], $0[1], $0[2]) }) {
            for offset in [-30, 0, 30] {
                let local = try rows("SELECT to_char($1::timestamp + make_interval(mins => $2::int), 'YYYY-MM-DD\"T\"HH24:MI')", [start, String(offset)])[0][0]
                let expected = try rows("""
                    SELECT count(*)::text FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
                    WHERE m.status <> 'cancelled' AND p.node_key = $1
                      AND tstzrange(m.starts_at, m.starts_at + make_interval(mins => m.duration_minutes))
                          && tstzrange($2::timestamp AT TIME ZONE 'Europe/Amsterdam', ($2::timestamp AT TIME ZONE 'Europe/Amsterdam') + interval '60 minutes')
                    """, [node, local])[0][0]
                let answer = try client.request("MEETING PLAN - \(local) \(node) GM1731 duration=60m")
                #expect(answer.status.hasPrefix("OK"), "\(answer.status)")
                let conflicts = answer.lines.filter { $0.hasPrefix("conflict ") && fields($0)["node"] == node }.count
                if offset == 0 { #expect(conflicts >= 1, "the meeting it starts with conflicts") }
                #expect(String(conflicts) == expected, "MEETING PLAN at \(local) (\(offset) min): \(conflicts) vs \(expected)")
            }
        }

        // The calendar takes its contacts from the ContactDirectory: a directory loaded before
        // contacts are written straight into the table (as another daemon or psql would) holds
        // them at its next read, grouped by node exactly as the table has them, and whom it
        // invites is whom the invitation rule picks over the table.
        let directory = ContactDirectory()
        let first = try directory.snapshot(db)
        try db.executeScript("""
            INSERT INTO contacts (node_key, name, email, function, themes) VALUES
              ('GM0153', 'A', 'a@enschede.nl', 'wethouder', '{wonen}'), ('GM0153', 'B', 'b@enschede.nl', 'wethouder', '{wonen,zorg}'),
              ('GM0153', 'C', 'c@enschede.nl', 'burgemeester', '{}'), ('GM0153', 'D', 'd@enschede.nl', 'other', '{zorg,wonen,energie}'),
              ('bzk', 'F', 'f@minbzk.nl', 'accountmanager-regio', '{}'), ('bzk', 'G', 'g@minbzk.nl', 'directeur-generaal', '{wonen}'),
              ('bzk', 'H', 'h@minbzk.nl', 'minister', '{wonen,ruimte}'), ('vng', 'I', 'i@vng.nl', 'secretaris-vng-afdeling', '{}');
            """)
        let snapshot = try directory.snapshot(db)
        #expect(snapshot.version > first.version)
        #expect(snapshot.byNode.values.reduce(0) { $0 + $1.count } == first.byNode.values.reduce(0) { $0 + $1.count } + 8)
        let kinds = Dictionary(uniqueKeysWithValues: try rows("SELECT key, kind FROM nodes").map { ($0[0], NodeKind(rawValue: $0[1])!) })
        var themeSets = Set(try rows("SELECT DISTINCT array_to_string(themes, ',') FROM trajectories").map { $0[0] })
        themeSets.formUnion(["", "wonen", "wonen,zorg", "energie", "defensie"])
        let sets = themeSets.map { $0.isEmpty ? [] : $0.split(separator: ",").map(String.init) }
        let nodes = try rows("SELECT DISTINCT node_key FROM contacts ORDER BY 1").map { $0[0] } + ["PV23"]
        let all = Dictionary(grouping: try ContactStore.contacts(db, nodes: nodes), by: \.node)
        for node in nodes {
            #expect(snapshot.contacts(of: node).map(\.id) == (all[node] ?? []).map(\.id), "\(node)")
            #expect(snapshot.contacts(of: node).map(\.email) == (all[node] ?? []).map(\.email), "\(node)")
        }
        var people = 0
        for themes in sets {
            for node in nodes {
                // The calendar's way (the snapshot's index of who can fit) against the rule over the table.
                let chosen = snapshot.invite(node, kind: kinds[node]!, themes: themes)?.id
                let expected = Invitation.choose(among: (all[node] ?? []).map(\.invitee), kind: kinds[node]!, themes: themes)
                if case .contact(let id) = expected {
                    #expect(chosen == id, "\(node) \(themes)")
                    people += 1
                } else {
                    #expect(chosen == nil, "\(node) \(themes)")
                }
            }
        }
        #expect(people > 50, "\(people) choices with someone to invite")

        #expect(try daemon.stop() == 0)
    }

    /// Two nodes, a kansenagenda, a held meeting of both and a milestone done: rows for the
    /// migrations that index them to keep.
    static let aMeetingAndAMilestone = """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('bzk', 'ministry', 'BZK', 'bzk', 'national', NULL, '{}', '{}', NULL);
            INSERT INTO trajectories (key, name, kind, lead_key, status, start_date) VALUES
              ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153', 'active', '2025-01-01');
            INSERT INTO meetings (trajectory, starts_at, duration_minutes, title, place, status, axis, tripartite) VALUES
              ('ka-twente', '2025-03-01T10:00:00+01', 90, 'Woontafel', 'Enschede', 'held', 'vertical', false);
            INSERT INTO meeting_participants (meeting, node_key) SELECT id, unnest('{GM0153,bzk}'::text[]) FROM meetings;
            INSERT INTO milestones (trajectory, title, due, owner_key, status, done_on) VALUES
              ('ka-twente', 'Plan klaar', '2025-06-01', 'GM0153', 'done', '2025-05-30');

        """

    @Test func migrationFifteenKeepsEveryRowAndAddsItsIndexes() throws {
        let (conninfo, db) = try databaseBefore(migration: 15, label: "migrate-0015", rows: Self.aMeetingAndAMilestone)
        let before = try db.query("""
            SELECT (SELECT count(*) FROM meetings)::text, (SELECT count(*) FROM meeting_participants)::text, (SELECT count(*) FROM milestones)::text
            """)[0].values
        try migrate(conninfo, recording: 15, on: db)
        #expect(try db.query("""
            SELECT (SELECT count(*) FROM meetings)::text, (SELECT count(*) FROM meeting_participants)::text, (SELECT count(*) FROM milestones)::text
            """)[0].values == before)
        let indexes = Set(try db.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").all.map { try $0.string(0) })
        for index in ["milestones_owner", "milestones_done_on", "signals_created", "signals_raised_at", "meetings_held_starts", "meetings_held_trajectory"] {
            #expect(indexes.contains(index), "\(index)")
        }
        #expect(try db.query("SELECT title FROM milestones WHERE owner_key = 'GM0153'")[0].values == ["Plan klaar"])
    }

    @Test func migrationTwentyKeepsTheIndexNamesAndCoversTheReportsColumns() throws {
        let (conninfo, db) = try databaseBefore(migration: 20, label: "migrate-0020", rows: Self.aMeetingAndAMilestone + """
            INSERT INTO signals (node_key, kind, theme, text, status, raised_with, raised_at) VALUES
              ('GM0153', 'problem', 'wonen', 'Te weinig woningen', 'raised', 'bzk', '2025-04-01T10:00:00+02');
            """)
        let counts = """
            SELECT (SELECT count(*) FROM meetings)::text, (SELECT count(*) FROM meeting_participants)::text,
                   (SELECT count(*) FROM milestones)::text, (SELECT count(*) FROM signals)::text
            """
        let before = try db.query(counts)[0].values
        try migrate(conninfo, recording: 20, on: db)
        #expect(try db.query(counts)[0].values == before)
        let definitions = Dictionary(uniqueKeysWithValues: try db.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            .all.map { (try $0.string(0), try $0.string(1)) })
        for (index, carried) in [("signals_created", "INCLUDE (kind, theme, status)"),
                                 ("signals_raised_at", "INCLUDE (raised_with, answered_at, node_key) WHERE (raised_at IS NOT NULL)"),
                                 ("meetings_held_starts", "INCLUDE (id, axis, tripartite) WHERE (status = 'held'::text)"),
                                 ("milestones_done_on", "INCLUDE (due) WHERE (status = 'done'::text)")] {
            #expect(definitions[index]?.hasSuffix(carried) == true, "\(index): \(definitions[index] ?? "missing")")
        }
        #expect(definitions.keys.filter { $0.hasSuffix("_covering") } == [])
    }
}
