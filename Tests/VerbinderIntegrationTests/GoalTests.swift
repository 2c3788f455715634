import Foundation
import PQ
import Testing

/// Goals that can be met (issue 18, point 2): any number per trajectory, progress kept as
/// dated history, met or dropped, impossible steps changing nothing; milestones that serve a
/// goal; REPORT's goal figures; the single goal field of before carried over by migration 0012.
@Suite("Goals")
struct GoalTests {
    @Test func aTrajectoryHasGoalsThatAreReportedOnMetOrDropped() throws {
        let (daemon, client, db) = try freshSeededDaemon("goals")
        #expect(try client.request("TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 goal=\"Zorg en werk in balans\"").status
                == "OK key=ka-twente")
        #expect(try client.request("TRAJECTORY ADD ka-achterhoek Achterhoek kind=kansenagenda lead=GM0197").status == "OK key=ka-achterhoek")
        #expect(try client.request("GOAL ADD ka-twente 500 extra woningen voor starters indicator=\"woningen opgeleverd\" target=500 by=2027-12-31").status
                == "OK id=2")
        #expect(try client.request("GOAL ADD KA-ACHTERHOEK Bereikbaarheid per trein").status == "OK id=3")
        #expect(try client.request("GOAL ADD nope x").status == "ERR NOTFOUND no trajectory nope")
        #expect(try client.request("GOAL ADD ka-twente x by=2027-02-30").status.hasPrefix("ERR INVALID by= must be a date"))
        #expect(try client.request("GOAL ADD ka-twente").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("GOAL ADD ka-twente x note=y").status.hasPrefix("ERR USAGE unknown option note="))

        // The trajectory lists its goals between its stakeholders and its milestones; its goal= is the first goal.
        let shown = try client.request("TRAJECTORY ka-twente")
        #expect(shown.status == "OK stakeholders=1 milestones=0 meetings=0 goals=2")
        let records = try shown.lines.map(parseRecord)
        #expect(records.map(\.type) == ["trajectory", "stakeholder", "goal", "goal"])
        #expect(records[0].fields["goal"] == "Zorg en werk in balans")
        #expect(records[2].fields["id"] == "1" && records[2].fields["text"] == "Zorg en werk in balans" && records[2].fields["state"] == "open")
        #expect(records[3].fields["text"] == "500 extra woningen voor starters" && records[3].fields["indicator"] == "woningen opgeleverd"
                && records[3].fields["target"] == "500" && records[3].fields["by"] == "2027-12-31" && records[3].fields["overdue"] == nil)
        #expect(try parseRecord(try client.request("TRAJECTORIES").lines[0]).fields["goal"] == "Bereikbaarheid per trein",
                "ka-achterhoek was added without goal=: its first goal came with GOAL ADD")

        // Progress, dated and kept.
        #expect(try client.request("GOAL PROGRESS 2 120 note=\"eerste projecten opgeleverd\"").status == "OK id=2 state=open")
        #expect(try client.request("GOAL PROGRESS 2 320").status == "OK id=2 state=open")
        let goal = try client.request("GOAL 2")
        #expect(goal.status == "OK id=2 progress=2")
        let history = try goal.lines.map(parseRecord)
        #expect(history.map(\.type) == ["goal", "progress", "progress"])
        #expect(history[0].fields["latest"] == "320")
        #expect(history[1].fields["value"] == "120" && history[1].fields["note"] == "eerste projecten opgeleverd" && history[1].fields["at"]?.count == 16)
        #expect(history[2].fields["value"] == "320" && history[2].fields["note"] == nil)

        // Met; then every other step is a conflict and changes nothing.
        #expect(try client.request("GOAL MET 2").status == "OK id=2 state=met")
        let rows = """
            SELECT (SELECT string_agg(id || ':' || state || ':' || coalesce(met_on::text, '-') || ':' || coalesce(drop_reason, '-'), ',' ORDER BY id) FROM goals),
                   (SELECT count(*) FROM goal_progress), (SELECT count(*) FROM audit)
            """
        let before = try db.query(rows)[0].values
        #expect(try client.request("GOAL PROGRESS 2 510").status == "ERR CONFLICT goal 2 is met")
        #expect(try client.request("GOAL MET 2").status == "ERR CONFLICT goal 2 is met")
        #expect(try client.request("GOAL DROP 2 reason=x").status == "ERR CONFLICT goal 2 is met")
        #expect(try client.request("GOAL DROP 1").status == "ERR USAGE usage: GOAL DROP <id> reason=...")
        #expect(try client.request("GOAL DROP 1 reason=\"\"").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("GOAL MET 99").status == "ERR NOTFOUND no goal 99")
        #expect(try client.request("GOAL MET x").status == "ERR INVALID goal id must be a positive number")
        #expect(try client.request("GOAL 2 note=x").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("GOAL PROGRESS 1").status.hasPrefix("ERR USAGE"))
        #expect(try db.query(rows)[0].values == before)

        #expect(try client.request("GOAL DROP 1 reason=\"opgegaan in doel 2\"").status == "OK id=1 state=dropped")
        #expect(try client.request("GOAL MET 1").status == "ERR CONFLICT goal 1 is dropped")
        #expect(try client.request("GOAL PROGRESS 1 x").status == "ERR CONFLICT goal 1 is dropped")
        let dropped = try parseRecord(try client.request("GOAL 1").lines[0])
        #expect(dropped.fields["state"] == "dropped" && dropped.fields["reason"] == "opgegaan in doel 2" && dropped.fields["dropped"] != nil)

        // Listings; an open goal past its date says so.
        #expect(try client.request("GOAL ADD ka-achterhoek Glasvezel in het buitengebied by=2020-01-01").status == "OK id=4")
        #expect(try client.request("GOALS state=met").lines.map { try parseRecord($0).fields["id"] } == ["2"])
        let achterhoek = try client.request("GOALS trajectory=ka-achterhoek")
        #expect(achterhoek.status == "OK rows=2")
        #expect(try achterhoek.lines.map { try parseRecord($0).fields["overdue"] } == [nil, "yes"])
        #expect(try client.request("GOALS state=open limit=1").status == "OK rows=1")
        #expect(try client.request("GOALS trajectory=nope").status == "ERR NOTFOUND no trajectory nope")
        #expect(try client.request("GOALS state=lost").status.hasPrefix("ERR INVALID"))

        // A milestone serves a goal of its own trajectory.
        #expect(try client.request("MILESTONE ADD ka-twente 2027-06-01 \"Eerste woningen\" goal=2").status == "OK id=1")
        #expect(try parseRecord(try client.request("MILESTONES ka-twente").lines[0]).fields["goal"] == "2")
        #expect(try client.request("MILESTONE ADD ka-twente 2027-06-01 X goal=3").status
                == "ERR INVALID goal 3 is a goal of ka-achterhoek, not of ka-twente")
        #expect(try client.request("MILESTONE ADD ka-twente 2027-06-01 X goal=1").status == "ERR CONFLICT goal 1 is dropped")
        #expect(try client.request("MILESTONE ADD ka-twente 2027-06-01 X goal=99").status == "ERR NOTFOUND no goal 99")
        #expect(try client.request("MILESTONE ADD ka-twente 2027-06-01 X goal=x").status == "ERR INVALID goal id must be a positive number")
        #expect(try db.query("SELECT count(*) FROM milestones")[0].int(0) == 1)

        // TRAJECTORY SET goal= changes the first goal, or adds one; it does not blank it.
        #expect(try client.request("TRAJECTORY SET ka-achterhoek goal=\"Bereikbaarheid per trein en bus\"").status == "OK key=ka-achterhoek")
        #expect(try db.query("SELECT text FROM goals WHERE id = 3")[0].string(0) == "Bereikbaarheid per trein en bus")
        #expect(try client.request("TRAJECTORY SET ka-achterhoek goal=").status.hasPrefix("ERR INVALID goal= must not be empty"))
        #expect(try client.request("TRAJECTORY ADD pr-zeeland Zeeland kind=programme lead=PV29").status == "OK key=pr-zeeland")
        #expect(try client.request("TRAJECTORY SET pr-zeeland goal=\"Brede welvaart\"").status == "OK key=pr-zeeland")
        #expect(try parseRecord(try client.request("TRAJECTORY pr-zeeland").lines[0]).fields["goal"] == "Brede welvaart")
        #expect(try db.query("SELECT count(*) FROM goals WHERE trajectory = 'pr-zeeland'")[0].int(0) == 1)
        // The daemon no longer writes the old column.
        #expect(try db.query("SELECT count(*) FROM trajectories WHERE goal IS NOT NULL")[0].int(0) == 0)

        // Every goal write is audited: 3 adds, 2 progress, 1 met, 1 drop.
        #expect(try db.query("SELECT count(*) FROM audit WHERE changes->>'action' LIKE 'goal %'")[0].int(0) == 7)
        #expect(try client.request("LANG nl").status.hasPrefix("OK"))
        #expect(try client.request("GOAL MET 2").status == "ERR CONFLICT doel 2 is met")
        #expect(try daemon.stop() == 0)
    }

    @Test func forgettingAContactErasesThePersonFromGoals() throws {
        let (daemon, client, db) = try freshSeededDaemon("goals-forget")
        #expect(try client.request("CONTACT ADD GM0153 \"Jan Jansen\" jan.jansen@enschede.nl").status == "OK id=1")
        #expect(try client.request("TRAJECTORY ADD ka-twente Twente kind=kansenagenda lead=GM0153 goal=\"Wonen, met Jan Jansen als trekker\"").status
                == "OK key=ka-twente")
        #expect(try client.request("GOAL ADD ka-twente Huurwoningen indicator=\"telling van jan jansen\" target=\"zie JAN.JANSEN@enschede.nl\"").status
                == "OK id=2")
        #expect(try client.request("GOAL PROGRESS 2 gesproken met Jan Jansen note=\"mail aan jan.jansen@enschede.nl (a.u.b. terugbellen)\"").status
                == "OK id=2 state=open")
        #expect(try client.request("GOAL DROP 1 reason=\"Jan Jansen vertrekt\"").status == "OK id=1 state=dropped")
        // The single goal field of before 0012 may hold the person too.
        try db.query("UPDATE trajectories SET goal = 'Wonen, met Jan Jansen als trekker' WHERE key = 'ka-twente'")
        // Someone else's progress stays as it is.
        #expect(try client.request("GOAL PROGRESS 2 gesproken met Piet (jan.jansen.nl is geen adres)").status == "OK id=2 state=open")

        #expect(try client.request("CONTACT FORGET Jan.Jansen@Enschede.nl").status == "OK removed=1")
        let left = try db.query("""
            SELECT (SELECT count(*) FROM goals WHERE concat_ws(' ', text, indicator, target, drop_reason) ~* '(jan jansen|jan\\.jansen@)'),
                   (SELECT count(*) FROM goal_progress WHERE concat_ws(' ', value, note) ~* '(jan jansen|jan\\.jansen@)'),
                   (SELECT count(*) FROM trajectories WHERE goal ~* 'jan jansen')
            """)[0].values
        #expect(left == ["0", "0", "0"])
        #expect(try db.query("SELECT text, indicator, target, drop_reason FROM goals ORDER BY id").all.map(\.values)
                == [["Wonen, met <forgotten> als trekker", nil, nil, "<forgotten> vertrekt"],
                    ["Huurwoningen", "telling van <forgotten>", "zie <forgotten>", nil]])
        #expect(try db.query("SELECT value, note FROM goal_progress ORDER BY id").all.map(\.values)
                == [["gesproken met <forgotten>", "mail aan <forgotten> (a.u.b. terugbellen)"],
                    ["gesproken met Piet (jan.jansen.nl is geen adres)", nil]])
        #expect(try daemon.stop() == 0)
    }

    @Test func theMigrationMakesEveryTrajectorysGoalItsFirstGoal() throws {
        let (conninfo, db) = try databaseBefore(migration: 12, label: "migrate-0012", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('GM0197', 'municipality', 'Aalten', 'aalten', 'local', NULL, '{}', '{}', NULL);
            INSERT INTO trajectories (key, name, kind, lead_key, goal, created_at) VALUES
              ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153', 'Zorg en werk in balans', '2025-03-01T10:00:00+01'),
              ('ka-achterhoek', 'Kansenagenda Achterhoek', 'kansenagenda', 'GM0197', NULL, '2025-04-01T10:00:00+02'),
              ('cd-leeg', 'Leeg', 'codesign', 'GM0153', '', '2025-05-01T10:00:00+02'),
              ('cd-spaties', 'Spaties', 'codesign', 'GM0153', '   ', '2025-05-01T10:00:00+02'),
              ('pr-wonen', 'Wonen', 'programme', 'GM0197', 'Betaalbaar wonen, "voor iedereen"', '2025-06-01T10:00:00+02');
            INSERT INTO stakeholders (trajectory, node_key, role) VALUES ('ka-twente', 'GM0153', 'lead'), ('pr-wonen', 'GM0197', 'lead');
            INSERT INTO milestones (trajectory, title, due) VALUES ('ka-twente', 'Probleemanalyse', '2026-01-01');
            """)
        let trajectories = "SELECT key, name, goal, created_at::text FROM trajectories ORDER BY key"
        let before = try db.query(trajectories).all.map(\.values)
        try migrate(conninfo, recording: 12, on: db)
        // Nothing lost: the trajectories are as they were, their goals are now goal rows.
        #expect(try db.query(trajectories).all.map(\.values) == before)
        #expect(try db.query("""
            SELECT g.id, g.trajectory, g.text, g.state, g.indicator, g.target, g.by_date, g.created_at = t.created_at
            FROM goals g JOIN trajectories t ON t.key = g.trajectory ORDER BY g.id
            """).all.map(\.values)
                == [["1", "ka-twente", "Zorg en werk in balans", "open", nil, nil, nil, "t"],
                    ["2", "pr-wonen", "Betaalbaar wonen, \"voor iedereen\"", "open", nil, nil, nil, "t"]])
        #expect(try db.query("SELECT count(*) FROM goal_progress")[0].int(0) == 0)
        #expect(try db.query("SELECT goal FROM milestones")[0].values == [nil])
        // A met goal says when, a dropped one when and why; a milestone's goal exists.
        #expect(throws: PQError.self) { try db.query("UPDATE goals SET state = 'met' WHERE id = 1") }
        #expect(throws: PQError.self) { try db.query("UPDATE goals SET state = 'dropped', dropped_on = '2026-01-01' WHERE id = 1") }
        #expect(throws: PQError.self) { try db.query("UPDATE goals SET state = 'lost' WHERE id = 1") }
        #expect(throws: PQError.self) { try db.query("UPDATE milestones SET goal = 99") }

        // The daemon on the migrated database shows the goal where the field was.
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        let shown = try client.request("TRAJECTORY ka-twente")
        #expect(shown.status == "OK stakeholders=1 milestones=1 meetings=0 goals=1")
        let records = try shown.lines.map(parseRecord)
        #expect(records[0].fields["goal"] == "Zorg en werk in balans")
        #expect(records.filter { $0.type == "goal" }.map { $0.fields["id"] } == ["1"])
        #expect(try parseRecord(try client.request("TRAJECTORY cd-leeg").lines[0]).fields["goal"] == nil)
        #expect(try client.request("GOAL PROGRESS 1 \"eerste gesprekken\"").status == "OK id=1 state=open")
        #expect(try daemon.stop() == 0)
    }

    /// REPORT's goal figures against the same figures computed here, from what was inserted
    /// and with SQL of the test's own, on 240 goals over six trajectories, every state and two
    /// years of dates.
    @Test func reportMatchesIndependentGoalFigures() throws {
        let (daemon, client, db) = try freshSeededDaemon("goals-report")
        let keys = ["g1", "g2", "g3", "g4", "g5", "g6"]
        for (n, key) in keys.enumerated() {
            let lead = ["GM0153", "GM0014", "GM0197", "PV29", "GM1731", "CR12"][n]
            #expect(try client.request("TRAJECTORY ADD \(key) Traject kind=codesign lead=\(lead)").status.hasPrefix("OK"))
        }
        let today = "(now() AT TIME ZONE 'Europe/Amsterdam')::date"
        let from = -330, to = -15
        var generator = SplitMix(seed: 18)
        var onTime: [String: Int] = [:], late: [String: Int] = [:], byState: [String: Int] = [:]
        var pastDate = 0
        for n in 0..<240 {
            let created = -Int(generator.next() % 700)
            let state = ["open", "open", "met", "met", "dropped"][Int(generator.next() % 5)]
            // A date for most goals, before or after their creation; none for one in six.
            let by: Int? = generator.next() % 6 == 0 ? nil : created + Int(generator.next() % 400) - 60
            let closed = min(0, created + Int(generator.next() % 500))
            let row = try db.query("""
                INSERT INTO goals (trajectory, text, by_date, state, met_on, dropped_on, drop_reason, created_at)
                VALUES ($1, 'doel', \(today) + $2::int, $3,
                        CASE WHEN $3 = 'met' THEN \(today) + $4::int END,
                        CASE WHEN $3 = 'dropped' THEN \(today) + $4::int END,
                        CASE WHEN $3 = 'dropped' THEN 'reden' END,
                        ((\(today) + $5::int) + time '12:00') AT TIME ZONE 'Europe/Amsterdam')
                RETURNING to_char(met_on, 'YYYY-MM')
                """, [keys[n % keys.count], by.map(String.init), state, String(closed), String(created)])[0]
            if state == "met", closed >= from, closed <= to {
                let month = try row.string(0)
                if let by, closed > by { late[month, default: 0] += 1 } else { onTime[month, default: 0] += 1 }
            }
            if state == "open", let by, by < 0 { pastDate += 1 }
            if created >= from, created <= to { byState[state, default: 0] += 1 }
        }
        #expect(onTime.values.reduce(0, +) > 5 && late.values.reduce(0, +) > 5 && pastDate > 5, "the data covers every figure")

        let period = try db.query("SELECT (\(today) + $1::int)::text, (\(today) + $2::int)::text", [String(from), String(to)])[0].values
        let (lines, status) = try client.request("REPORT from=\(period[0]!) to=\(period[1]!)")
        #expect(status.hasPrefix("OK metrics="))
        var got: [String: String] = [:]
        for record in try lines.map(parseRecord) where record.fields["name"]?.hasPrefix("goals") == true {
            let f = record.fields
            got[[f["name"], f["month"], f["state"]].compactMap { $0 }.joined(separator: "|")] = f["value"]
        }

        // The same figures in SQL of this test's own: met per month, on time or late ...
        var expected: [String: String] = [:]
        for row in try db.query("""
            SELECT to_char(date_trunc('month', met_on), 'YYYY-MM'),
                   sum(CASE WHEN by_date IS NOT NULL AND met_on > by_date THEN 0 ELSE 1 END),
                   sum(CASE WHEN by_date IS NOT NULL AND met_on > by_date THEN 1 ELSE 0 END)
            FROM goals WHERE met_on IS NOT NULL AND met_on >= $1::date AND met_on <= $2::date GROUP BY 1
            """, [period[0], period[1]]).all {
            expected["goals_met_on_time|\(try row.string(0))"] = try row.string(1)
            expected["goals_met_late|\(try row.string(0))"] = try row.string(2)
        }
        // ... open past their date today, and added in the period by state.
        expected["goals_open_past_date"] = try db.query("""
            SELECT count(*) FROM goals WHERE met_on IS NULL AND dropped_on IS NULL AND by_date IS NOT NULL AND by_date < \(today)
            """)[0].string(0)
        for state in ["open", "met", "dropped"] {
            expected["goals|\(state)"] = try db.query("""
                SELECT count(*) FROM goals
                WHERE state = $1 AND created_at >= ($2::date)::timestamp AT TIME ZONE 'Europe/Amsterdam'
                  AND created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam'
                """, [state, period[0], period[1]])[0].string(0)
        }
        #expect(got == expected)
        // And the same as counted while inserting.
        for (month, count) in onTime { #expect(got["goals_met_on_time|\(month)"] == String(count), "on time \(month)") }
        for (month, count) in late { #expect(got["goals_met_late|\(month)"] == String(count), "late \(month)") }
        #expect(Set(got.keys.filter { $0.hasPrefix("goals_met_on_time|") }) == Set(onTime.keys.map { "goals_met_on_time|\($0)" })
                .union(late.keys.map { "goals_met_on_time|\($0)" }))
        #expect(got["goals_open_past_date"] == String(pastDate))
        for state in ["open", "met", "dropped"] { #expect(got["goals|\(state)"] == String(byState[state] ?? 0), "goals \(state)") }
        #expect(try daemon.stop() == 0)
    }
}
