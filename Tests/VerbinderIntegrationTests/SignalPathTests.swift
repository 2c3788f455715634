import Foundation
import PQ
import Testing

/// A signal's way to the national table and back (issue 18, point 1): raised with a party,
/// perhaps at a meeting, answered, closed or withdrawn; impossible steps change nothing; who
/// owes an answer.
@Suite("Signal path")
struct SignalPathTests {
    static func status(_ answer: (lines: [String], status: String)) -> String { answer.status }

    @Test func aP10SignalIsRaisedAtAMeetingWithVWSAnsweredAndClosed() throws {
        let (daemon, client, db) = try freshSeededDaemon("signal-path")
        // Tubbergen (GM0183) is a P10 member.
        #expect(try client.request("SIGNAL ADD GM0183 problem zorg \"Huisartsen stoppen zonder opvolger\"").status == "OK id=1")
        #expect(try client.request("SIGNAL ADD GM0183 need zorg \"Cijfers over huisartsen per kern\"").status == "OK id=2")
        let planned = try client.request("MEETING PLAN - 2030-02-01T10:00 GM0183 vws title=\"Zorgtafel\"")
        #expect(planned.status.hasPrefix("OK id=1 "))

        let rows = "SELECT (SELECT string_agg(id || ':' || status || ':' || coalesce(raised_with, '-'), ',' ORDER BY id) FROM signals), (SELECT count(*) FROM signal_steps)"
        let start = try db.query(rows)[0].values
        // Answering, closing after withdrawing: wrong order, and nothing changes.
        #expect(try client.request("SIGNAL ANSWER 1 \"Er komt een regeling\"").status == "ERR CONFLICT signal 1 is open")
        #expect(try client.request("SIGNAL RAISE 1 GM0153").status.hasPrefix("ERR INVALID a signal is raised with a national or provincial party"))
        #expect(try client.request("SIGNAL RAISE 1 vws meeting=99").status == "ERR NOTFOUND no meeting 99")
        #expect(try client.request("SIGNAL RAISE 9 vws").status == "ERR NOTFOUND no signal 9")
        #expect(try client.request("SIGNAL WITHDRAW 2").status.hasPrefix("ERR USAGE"))
        #expect(try db.query(rows)[0].values == start)

        #expect(try client.request("SIGNAL RAISE 1 vws meeting=1 note=\"Op de zorgtafel\"").status == "OK id=1 status=raised")
        #expect(try client.request("SIGNAL RAISE 1 vws").status == "ERR CONFLICT signal 1 is raised")
        // It is on the meeting's agenda.
        let meeting = try client.request("MEETING 1").lines.map(parseRecord)
        let agenda = try #require(meeting.first { $0.type == "agenda" })
        #expect(agenda.fields["item"] == "signal" && agenda.fields["id"] == "1" && agenda.fields["raised_with"] == "vws")

        // Raised and unanswered: VWS owes an answer.
        let waiting = try client.request("GAPS unanswered days=0")
        #expect(waiting.status == "OK count=1 signals=1")
        let owed = try parseRecord(try #require(waiting.lines.first))
        #expect(owed.type == "unanswered" && owed.fields["node"] == "vws" && owed.fields["ids"] == "1" && owed.fields["days"] == "0")
        #expect(try client.request("GAPS unanswered").status == "OK count=0 signals=0", "raised today is not yet 60 days")

        #expect(try client.request("SIGNAL ANSWER 1 VWS neemt het op in de regeling").status == "OK id=1 status=answered")
        #expect(try client.request("GAPS unanswered days=0").status == "OK count=0 signals=0")
        #expect(try client.request("SIGNAL CLOSE 1 outcome=\"Regeling aangepast\"").status == "OK id=1 status=closed")
        #expect(try client.request("SIGNAL CLOSE 1").status == "ERR CONFLICT signal 1 is closed")
        #expect(try client.request("SIGNAL RAISE 1 vws").status == "ERR CONFLICT signal 1 is closed")
        #expect(try client.request("SIGNAL WITHDRAW 2 reason=\"Dubbel ingebracht\"").status == "OK id=2 status=withdrawn")

        // The signal and its dated history.
        let shown = try client.request("SIGNAL 1")
        #expect(shown.status == "OK id=1 steps=4")
        let records = try shown.lines.map(parseRecord)
        #expect(records.first?.type == "signal" && records.first?.fields["status"] == "closed" && records.first?.fields["raised_with"] == "vws"
                && records.first?.fields["meeting"] == "1" && records.first?.fields["answered"] != nil)
        #expect(records.dropFirst().map { $0.fields["status"] ?? "" } == ["open", "raised", "answered", "closed"])
        #expect(records[2].fields["text"] == "Op de zorgtafel" && records[2].fields["meeting"] == "1")
        #expect(records[3].fields["text"] == "VWS neemt het op in de regeling" && records[3].fields["node"] == "vws")
        #expect(records[4].fields["text"] == "Regeling aangepast")
        // Listing by state and by party; every step audited.
        #expect(try client.request("SIGNALS state=withdrawn").lines.count == 1)
        #expect(try client.request("SIGNALS raised_with=vws").lines.count == 1)
        #expect(try client.request("SIGNALS state=lost").status.hasPrefix("ERR INVALID"))
        #expect(try db.query("SELECT count(*) FROM audit WHERE changes->>'action' LIKE 'signal %'")[0].int(0) == 6)
        #expect(try daemon.stop() == 0)
    }

    @Test func theMigrationKeepsEverySignalAndStartsItsHistory() throws {
        let (conninfo, db) = try databaseBefore(migration: 11, label: "migrate-0011", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0183', 'municipality', 'Tubbergen', 'tubbergen', 'local', NULL, '{}', '{}', NULL);
            INSERT INTO signals (node_key, kind, theme, text, status, created_at) VALUES
              ('GM0183', 'problem', 'zorg', 'Huisartsen', 'open', '2025-03-01T10:00:00+01'),
              ('GM0183', 'solution', 'zorg', 'Zorgbus', 'closed', '2025-04-01T10:00:00+02');
            """)
        let before = try db.query("SELECT id, node_key, kind, theme, text, status, created_at::text FROM signals ORDER BY id").all.map(\.values)
        try migrate(conninfo, recording: 11, on: db)
        #expect(try db.query("SELECT id, node_key, kind, theme, text, status, created_at::text FROM signals ORDER BY id").all.map(\.values) == before)
        #expect(try db.query("SELECT signal, status, at = (SELECT created_at FROM signals s WHERE s.id = signal) FROM signal_steps ORDER BY id").all.map(\.values)
                == [["1", "open", "t"], ["2", "open", "t"], ["2", "closed", "t"]])
        // A raised signal must say with whom.
        #expect(throws: PQError.self) { try db.query("UPDATE signals SET status = 'raised' WHERE id = 1") }
        #expect(throws: PQError.self) { try db.query("UPDATE signals SET status = 'lost' WHERE id = 1") }
    }
    @Test func reportFiguresMatchWhatWasInserted() throws {
        let (daemon, client, db) = try freshSeededDaemon("signal-report")
        let municipalities = try db.query("SELECT key FROM nodes WHERE kind = 'municipality' ORDER BY key").all.map { try $0.string(0) }
        let unaffiliated = Set(try client.request("GAPS unaffiliated").lines.map(parseRecord).compactMap { $0.fields["key"] })
        let big = Set(try db.query("SELECT from_key FROM relations WHERE relation = 'member_of' AND to_key IN ('g4', 'g40')").all.map { try $0.string(0) })
        #expect(unaffiliated.count > 100 && big.count > 40)
        let parties = ["vws", "bzk", "ocw", "szw", "lvvn", "PV23"]
        let states = ["open", "raised", "answered", "closed", "withdrawn"]
        var generator = SplitMix(seed: 18)
        func pick(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        let periodDays = 200
        // Expected figures, from what is inserted.
        var byState: [String: Int] = [:]
        var raised: [String: Int] = [:], answered: [String: Int] = [:], waits: [String: [Int]] = [:]
        var raisedSources: [String] = []
        var sql: [String] = []
        for _ in 0..<330 {
            let source = pick(10) == 0 ? "PV23" : municipalities[pick(municipalities.count)]
            let created = pick(400)
            let state = states[pick(states.count)]
            // Closed and withdrawn signals were raised (and closed ones answered) half the time.
            let wasRaised = ["raised", "answered"].contains(state) || (["closed", "withdrawn"].contains(state) && pick(2) == 0)
            let wasAnswered = state == "answered" || (state == "closed" && wasRaised && pick(2) == 0)
            let raisedAgo = wasRaised ? max(0, created - pick(30)) : nil
            let answeredAgo = wasAnswered ? max(0, raisedAgo! - pick(90)) : nil
            let party = wasRaised ? parties[pick(parties.count)] : nil
            func at(_ ago: Int?) -> String { ago.map { "(((now() AT TIME ZONE 'Europe/Amsterdam')::date - \($0))::timestamp + interval '12 hours') AT TIME ZONE 'Europe/Amsterdam'" } ?? "NULL" }
            sql.append("('\(source)', 'problem', 'zorg', 'Signaal', '\(state)', \(at(created)), \(party.map { "'\($0)'" } ?? "NULL"), \(at(raisedAgo)), \(at(answeredAgo)))")
            if created <= periodDays { byState[state, default: 0] += 1 }
            if let party, let raisedAgo, raisedAgo <= periodDays {
                raised[party, default: 0] += 1
                raisedSources.append(source)
                if let answeredAgo { answered[party, default: 0] += 1; waits[party, default: []].append(raisedAgo - answeredAgo) }
            }
        }
        try db.query("""
            INSERT INTO signals (node_key, kind, theme, text, status, created_at, raised_with, raised_at, answered_at) VALUES
            \(sql.joined(separator: ",\n"))
            """)
        let from = try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date - \(periodDays))::text")[0].string(0)
        let metrics = try client.request("REPORT from=\(from)").lines.map(parseRecord).filter { $0.fields["name"]?.hasPrefix("signals") == true }
        func value(_ name: String, _ dimensions: [String: String] = [:]) -> Double? {
            metrics.first { record in
                var rest = record.fields
                rest["name"] = nil
                let value = rest.removeValue(forKey: "value")
                return record.fields["name"] == name && rest == dimensions && value != nil
            }.flatMap { Double($0.fields["value"]!) }
        }
        for state in states { #expect(value("signals_by_state", ["state": state]) == byState[state].map(Double.init), "\(state)") }
        for party in parties {
            #expect(value("signals_raised", ["party": party]) == raised[party].map(Double.init), "\(party)")
            #expect(value("signals_answered", ["party": party]) == raised[party].map { _ in Double(answered[party] ?? 0) }, "\(party)")
            let sorted = (waits[party] ?? []).sorted()
            let median: Double? = sorted.isEmpty ? nil
                : sorted.count % 2 == 1 ? Double(sorted[sorted.count / 2]) : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            #expect(value("signals_answer_median_days", ["party": party]) == median, "\(party)")
        }
        let fromUnaffiliated = raisedSources.filter { unaffiliated.contains($0) }.count
        let outside = raisedSources.filter { $0.hasPrefix("GM") && !big.contains($0) }.count
        func rounded(_ part: Int) -> Double { (Double(part) / Double(raisedSources.count) * 10_000).rounded() / 10_000 }
        #expect(raisedSources.count > 60 && fromUnaffiliated > 0 && outside > fromUnaffiliated)
        #expect(value("signals_raised_from_unaffiliated") == Double(fromUnaffiliated))
        #expect(value("signals_raised_from_unaffiliated_share") == rounded(fromUnaffiliated))
        #expect(value("signals_raised_outside_g4_g40") == Double(outside))
        #expect(value("signals_raised_outside_g4_g40_share") == rounded(outside))
        #expect(try daemon.stop() == 0)
    }
    @Test func theExcelSpreadsheetOfSignalsOpensWithSemicolonsAndKeepsAccents() throws {
        let (daemon, client, _) = try freshSeededDaemon("signal-csv")
        #expect(try client.request("SIGNAL ADD GM1900 problem zorg \"Súdwest-Fryslân: \\\"te weinig\\\" huisartsen; ook in Wûnseradiel\"").status == "OK id=1")
        #expect(try client.request("SIGNAL ADD GM0183 need wonen =SOM(1)").status == "OK id=2")
        #expect(try client.request("SIGNAL RAISE 1 vws").status == "OK id=1 status=raised")
        // The file exactly as the client writes it (a Swift String would drop the byte order mark).
        let path = NSTemporaryDirectory() + "verbinder-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try ChildProcess(["/bin/sh", "-c", "\(Paths.verbinder) --port \(daemon.port) export csv signals --excel > \(path)"])
        #expect(try writer.wait() == 0, "\(writer.output)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF] + Array("id;node;kind;theme;text;status;created".utf8)))
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
        let script = """
        import csv, sys, json
        with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:
            rows = list(csv.DictReader(f, delimiter=';'))
        print(json.dumps(rows))
        """
        let child = try ChildProcess(["/usr/bin/env", "python3", "-c", script, path])
        #expect(try child.wait() == 0, "\(child.output)")
        let rows = try JSONSerialization.jsonObject(with: Data(child.output.utf8)) as? [[String: String]] ?? []
        #expect(rows.count == 2)
        #expect(rows.first?["text"] == "Súdwest-Fryslân: \"te weinig\" huisartsen; ook in Wûnseradiel")
        #expect(rows.first?["raised_with"] == "vws" && rows.last?["raised_with"] == "")
        #expect(rows.last?["text"] == "'=SOM(1)")
        // Without --excel: commas, no byte order mark; a filter is passed on.
        let plain = try runClient(["--port", "\(daemon.port)", "export", "csv", "signals", "state=raised"])
        #expect(plain.code == 0 && plain.stdout.hasPrefix("id,node,kind") && plain.stdout.components(separatedBy: "\r\n").count == 3)
        #expect(try runClient(["--port", "\(daemon.port)", "export", "csv", "meetings"]).code == 64)
        #expect(try daemon.stop() == 0)
    }
}
