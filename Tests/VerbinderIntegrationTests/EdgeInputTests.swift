import Foundation
import PQ
import Testing
import VerbinderProtocol

/// Issue 14, finding 6 ("Input at the edges"), over TCP against real PostgreSQL: NUL, control
/// characters, values too long for the database, a nested BEGIN, huge limits, dates out of range.
@Suite("Input at the edges")
struct EdgeInputTests {
    func counts(_ db: Connection) throws -> (nodes: Int, audit: Int) {
        (try db.query("SELECT count(*) FROM nodes")[0].int(0), try db.query("SELECT count(*) FROM audit")[0].int(0))
    }

    func hasRawControl(_ line: String) -> Bool {
        line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    @Test func nulInAnyValueIsInvalidAndWritesNothing() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgenul")
        let before = try counts(db)
        let note = try db.query("SELECT attributes::text FROM nodes WHERE key = 'GM1731'")[0].string(0)
        let lines: [[UInt8]] = [
            Array("ADD partner \"ab".utf8) + [0] + Array("cd\"".utf8),       // raw NUL in a quoted value
            Array(#"ADD partner "ab\x00cd""#.utf8),                            // the escape for NUL
            Array("SET GM1731 note=\"a".utf8) + [0] + Array("b\"".utf8),     // in a quoted option value
            Array("SET GM1731 note=a".utf8) + [0] + Array("b".utf8),         // in a bare option value
            Array(#"SET GM1731 note="\x00""#.utf8),
        ]
        for line in lines {
            try client.send(line + [0x0A])
            let status = try client.readResponse().status
            #expect(status.hasPrefix("ERR INVALID"), "\(String(decoding: line, as: UTF8.self)) -> \(status)")
        }
        #expect(try client.request("PING").status == "OK pong")
        let after = try counts(db)
        #expect(after.nodes == before.nodes && after.audit == before.audit)
        #expect(try db.query("SELECT count(*) FROM nodes WHERE name LIKE 'ab%'")[0].int(0) == 0)
        #expect(try db.query("SELECT attributes::text FROM nodes WHERE key = 'GM1731'")[0].string(0) == note)
        #expect(try client.request("FIND ab kind=partner").status == "OK rows=0")
        #expect(try daemon.stop() == 0)
    }

    @Test func controlCharactersAreEscapedInTextAndIntactInJSONAndSQL() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgeesc")
        let name = "Evil \u{1B}[2J\u{1B}[31mRed\u{07} \u{7F}end\r"
        let added = try client.request(#"ADD partner "Evil \x1b[2J\x1b[31mRed\x07 \x7fend\x0d" key=evil-esc note="bell\x07""#)
        #expect(added.status == "OK key=evil-esc")

        let shown = try client.request("SHOW evil-esc")
        #expect(shown.status.hasPrefix("OK"))
        let line = try #require(shown.lines.first)
        #expect(!hasRawControl(line), "raw control byte in \(line.debugDescription)")
        #expect(line.contains(#"name="Evil \x1b[2J\x1b[31mRed\x07 \x7fend\x0d""#))
        // The escaped form parses back to the very same value.
        #expect(try parseRecord(line).fields["name"] == name)
        let found = try client.request("FIND evil kind=partner")
        #expect(found.lines.allSatisfy { !hasRawControl($0) } && found.status == "OK rows=1")

        // Lines sent as they are (EXPORT dot, EXPORT ics) hold no control character either.
        let dot = try client.request("EXPORT dot evil-esc")
        #expect(dot.status.hasPrefix("OK") && dot.lines.contains { $0.contains("evil-esc") })
        #expect(!dot.lines.contains { hasRawControl($0) }, "\(dot.lines)")
        #expect(try client.request(#"MEETING PLAN - 2027-03-01T10:00 GM0153 GM0164 title="Bell\x07 \x1b[2J""#).status.hasPrefix("OK id="))
        let ics = try client.request("EXPORT ics")
        #expect(ics.status.hasPrefix("OK") && ics.lines.contains { $0.contains("Bell") })
        #expect(!ics.lines.contains { hasRawControl($0) }, "\(ics.lines)")

        #expect(try client.request("FORMAT json").status == "OK format=json")
        let json = try client.request("SHOW evil-esc")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.lines[0].utf8)) as? [String: Any])
        #expect(object["name"] as? String == name)
        #expect(json.lines[0].contains(#"\u001b[2J"#) && !hasRawControl(json.lines[0]))
        #expect(try db.query("SELECT name FROM nodes WHERE key = 'evil-esc'")[0].string(0) == name)
        #expect(try daemon.stop() == 0)
    }

    @Test func anOffsetOutOfRangeIsInvalid() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgeoffset")
        for offset in ["+25:00", "-15:00", "+14:01", "+02:60", "+2:000"] {
            let status = try client.request("MEETING PLAN - 2027-03-01T10:00\(offset) GM0153 GM0164").status
            #expect(status.hasPrefix("ERR INVALID"), "\(offset) -> \(status)")
        }
        #expect(try client.request("MEETING PLAN - 2027-03-01T10:00+14:00 GM0153 GM0164").status.hasPrefix("OK id="))
        #expect(try db.query("SELECT count(*) FROM meetings")[0].int(0) == 1)
        #expect(try daemon.stop() == 0)
    }

    @Test func aValueOverItsMaximumIsTooLongAndWritesNothing() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgelong")
        let before = try counts(db)
        let long = String(repeating: "n", count: 7_900)
        let status = try client.request("ADD partner \(long) key=long-name").status
        #expect(status.hasPrefix("ERR TOOLONG") && status.contains("name"), "\(status.prefix(120))")
        #expect(try client.request("ADD partner \(String(repeating: "é", count: 201)) key=long-name").status
            == "ERR TOOLONG name has at most 200 characters")
        #expect(try client.request("ADD partner \(String(repeating: "é", count: 200)) key=just-long").status == "OK key=just-long")
        #expect(try client.request("SET GM1731 name=\(String(repeating: "x", count: 201))").status.hasPrefix("ERR TOOLONG name="))
        #expect(try client.request("SET GM1731 note=\(String(repeating: "x", count: 4001))").status.hasPrefix("ERR TOOLONG note="))
        #expect(try client.request("ALIAS ADD GM1731 \(String(repeating: "a", count: 201))").status.hasPrefix("ERR TOOLONG alias"))
        let after = try counts(db)
        #expect(after.nodes == before.nodes + 1 && after.audit == before.audit + 1)
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key = 'long-name'")[0].int(0) == 0)
        #expect(try daemon.stop() == 0)
    }

    @Test func aNestedBeginAbortsTheBatch() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgebegin")
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner \"Nested One\" key=nested-one").status == "OK key=nested-one")
        #expect(try client.request("BEGIN").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ADD partner \"Nested Two\" key=nested-two").status.hasPrefix("ERR CONFLICT batch aborted by an earlier error (CONFLICT)"))
        let commit = try client.request("COMMIT").status
        #expect(commit.hasPrefix("ERR CONFLICT batch aborted, nothing written: CONFLICT"), "\(commit)")
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key LIKE 'nested-%'")[0].int(0) == 0)
        #expect(try client.request("SHOW nested-one").status.hasPrefix("ERR NOTFOUND"))
        // The connection is usable, and a batch opened after it works as before.
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner \"Nested Three\" key=nested-three").status == "OK key=nested-three")
        #expect(try client.request("COMMIT").status == "OK applied=1")
        #expect(try daemon.stop() == 0)
    }

    @Test func aHugeLimitIsCappedLikeAnyLimitAboveTheMaximum() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let capped = try client.request("FIND a limit=1000")
        let huge = try client.request("FIND a limit=999999999999999999999")
        #expect(huge.status == capped.status && huge.lines == capped.lines)
        #expect(try client.request("FIND a limit=+999999999999999999999").status == capped.status)
        #expect(try client.request("GAPS unaffiliated limit=999999999999999999999").status.hasPrefix("OK"))
        #expect(try client.request("FIND a limit=-999999999999999999999").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("FIND a limit=0").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("FIND a limit=1e3").status.hasPrefix("ERR INVALID"))
    }

    @Test func datesOutsideTheYears1900To9999AreInvalidAndOffsetsAreExact() throws {
        let (daemon, client, db) = try freshSeededDaemon("edgedates")
        #expect(try client.request("TRAJECTORY ADD ka-edge \"Edge\" kind=kansenagenda lead=GM0153").status == "OK key=ka-edge")
        for date in ["0001-01-01", "1899-12-31", "10000-01-01", "0000-01-01"] {
            #expect(try client.request("MILESTONE ADD ka-edge \(date) Plan").status.hasPrefix("ERR INVALID"), "\(date)")
            #expect(try client.request("LINK GM0153 works_with GM0164 since=\(date)").status.hasPrefix("ERR INVALID"), "\(date)")
            #expect(try client.request("MEETING PLAN - \(date)T10:00 GM0153 GM0164").status.hasPrefix("ERR INVALID"), "\(date)")
        }
        #expect(try client.request("MILESTONE ADD ka-edge 1900-01-01 First").status.hasPrefix("OK id="))
        let last = try client.request("MILESTONE ADD ka-edge 9999-12-31 Last").status
        #expect(last.hasPrefix("OK id="))

        // Amsterdam was 19 minutes 32 seconds ahead of UTC in 1900: the offset says so exactly.
        let local = try client.request("MEETING PLAN - 1900-06-01T10:00 GM0153 GM0164")
        let meeting = try parseRecord(try #require(local.lines.first))
        #expect(meeting.fields["start"] == "1900-06-01T10:00+00:19:32")
        #expect(meeting.fields["end"] == "1900-06-01T11:30+00:19:32")
        let withOffset = try parseRecord(try #require(try client.request("MEETING PLAN - 1900-06-02T10:00Z GM0153 GM0164").lines.first))
        #expect(withOffset.fields["start"] == "1900-06-02T10:19:32+00:19:32")
        // Time and offset name the instant stored, to the second.
        for (id, start) in [(meeting.fields["id"]!, meeting.fields["start"]!), (withOffset.fields["id"]!, withOffset.fields["start"]!)] {
            #expect(try db.query("SELECT starts_at = $1::timestamptz FROM meetings WHERE id = $2", [start, id])[0].bool(0), "\(start)")
        }

        // A meeting's end may not pass into the year 10000, on any clock.
        #expect(try client.request("MEETING PLAN - 9999-12-31T23:00 GM0153 GM0164").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("MEETING PLAN - 9999-12-30T23:00 GM0153 GM0164 duration=2h").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("MEETING PLAN - 9999-12-30T23:00-14:00 GM0153 GM0164 duration=1h").status.hasPrefix("OK id="))
        #expect(try client.request("MEETING PLAN - 1900-01-01T10:00+14:00 GM0153 GM0164").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("MILESTONE MOVE 1 10000-01-01 reason=later").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("TRAJECTORY SET ka-edge end=10000-01-01").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("REPORT from=1899-01-01").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("DUE within=99999999999999999d").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("MEETING PLAN - 2027-01-01T10:00 GM0153 GM0164 duration=99999999999999999h").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("PING").status == "OK pong")

        // No answer holds a date past 9999 or before 1900.
        var answers: [String] = []
        for request in ["MEETINGS limit=1000", "MILESTONES ka-edge", "EXPORT ics", "REPORT from=9999-01-01 to=9999-12-31",
                        "REPORT from=1900-01-01 to=1900-12-31", "TRAJECTORY ka-edge", "DUE within=3000000d",
                        "REMINDERS limit=1000", "MILESTONE HISTORY 1"] {
            let response = try client.request(request)
            #expect(response.status.hasPrefix("OK") || response.status.hasPrefix("ERR INVALID"), "\(request) -> \(response.status)")
            answers += response.lines + [response.status]
        }
        let years = try NSRegularExpression(pattern: #"(?<![0-9])(1[0-8][0-9]{2}|[0-9]{5,})-[0-9]{2}-[0-9]{2}|(?<![0-9])(1[0-8][0-9]{2}|[0-9]{5,})[0-9]{4}T"#)
        for answer in answers {
            #expect(years.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)) == nil, "\(answer)")
        }
        #expect(try daemon.stop() == 0)
    }
}
