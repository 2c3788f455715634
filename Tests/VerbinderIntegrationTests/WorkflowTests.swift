import Foundation
import PQ
import Testing

/// The co-design workflow over TCP against a real PostgreSQL.
@Suite("Co-design workflow")
struct WorkflowTests {
    /// A fresh seeded database with its own daemon, so the workflow tests do not see each other.
    func fresh(_ label: String) throws -> (Daemon, LineClient, Connection) { try freshSeededDaemon(label) }

    func today(_ db: Connection) throws -> Date {
        let text = try db.query("SELECT (now() AT TIME ZONE 'Europe/Amsterdam')::date::text")[0].string(0)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: text)!
    }

    func day(_ base: Date, _ offset: Int) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: base.addingTimeInterval(Double(offset) * 86_400))
    }

    @Test func kansenagendaSessionWithTriPartyMeetingAndConflicts() throws {
        let (daemon, client, db) = try fresh("session")
        let now = try today(db)
        #expect(try client.request("TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 region=CR12 themes=healthcare").status == "OK key=ka-twente")
        #expect(try client.request("STAKEHOLDER ADD ka-twente PV23 role=partner").status.hasPrefix("OK"))
        #expect(try client.request("STAKEHOLDER ADD ka-twente vws role=advisor").status.hasPrefix("OK"))
        #expect(try client.request("STAKEHOLDER ADD ka-twente vws").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("MILESTONE ADD ka-twente \(day(now, 10)) Probleemanalyse owner=GM0153").status.hasPrefix("OK id="))
        #expect(try client.request("MILESTONE ADD ka-twente \(day(now, 30)) \"Plan van aanpak\"").status.hasPrefix("OK id="))

        let start = day(now, 10) + "T10:00"
        let tri = try client.request("MEETING PLAN ka-twente \(start) GM0153 PV23 vws title=\"Kick-off Twente\"")
        #expect(tri.status.hasPrefix("OK id=") && tri.status.contains("tripartite=yes"))
        let meeting = try parseRecord(tri.lines[0])
        #expect(meeting.type == "meeting" && meeting.fields["axis"] == "vertical" && meeting.fields["tripartite"] == "yes")
        #expect(tri.lines.contains { $0.hasPrefix("agenda item=milestone") })

        let horizontal = try client.request("MEETING PLAN ka-twente \(day(now, 12))T14:00 GM0153 GM0164")
        let record = try parseRecord(horizontal.lines[0])
        #expect(record.fields["axis"] == "horizontal" && record.fields["tripartite"] == "no")
        // Not tri-party: a missing record per lacking party, the national government first, each
        // with a candidate from the graph (the trajectory's stakeholders come first).
        let missing = try horizontal.lines.map(parseRecord).filter { $0.type == "missing" }
        #expect(missing.map { $0.fields["party"]! } == ["national", "province", "region"])
        #expect(missing.map { $0.fields["tier"]! } == ["national", "provincial", "regional"])
        #expect(missing.first { $0.fields["party"] == "national" }?.fields["candidate"] == "vws")
        #expect(missing.first { $0.fields["party"] == "province" }?.fields["candidate"] == "PV23")
        #expect(missing.first { $0.fields["party"] == "region" }?.fields["candidate"] == "CR12")

        // Double booking: GM0153 is already in the kick-off at that time.
        let double = try client.request("MEETING PLAN - \(day(now, 10))T11:00 GM0153 GM0164")
        #expect(double.status.hasPrefix("OK id="))
        #expect(try double.lines.map(parseRecord).contains { $0.type == "conflict" && $0.fields["node"] == "GM0153" })
        let before = try db.query("SELECT count(*) FROM meetings")[0].int(0)
        let strict = try client.request("MEETING PLAN - \(day(now, 10))T11:00 GM0153 GM0164 strict=yes")
        #expect(strict.status.hasPrefix("ERR CONFLICT"))
        #expect(strict.lines.contains { $0.hasPrefix("conflict ") })
        #expect(try db.query("SELECT count(*) FROM meetings")[0].int(0) == before)

        let shown = try client.request("TRAJECTORY ka-twente")
        #expect(shown.status == "OK stakeholders=3 milestones=2 meetings=2 goals=0")
        #expect(try daemon.stop() == 0)
    }

    @Test func meetingsKeepWallClockTimeAcrossDaylightSaving() throws {
        let (daemon, client, _) = try fresh("dst")
        // Daylight saving ends on 25 October 2026 at 03:00 (clocks go back to 02:00).
        let across = try parseRecord(try client.request("MEETING PLAN - 2026-10-25T01:00 GM0153 PV23 duration=3h").lines[0])
        #expect(across.fields["start"] == "2026-10-25T01:00+02:00")
        #expect(across.fields["end"] == "2026-10-25T03:00+01:00")
        let after = try parseRecord(try client.request("MEETING PLAN - 2026-10-26T10:00 GM0153 PV23").lines[0])
        let before = try parseRecord(try client.request("MEETING PLAN - 2026-10-23T10:00 GM0153 PV23").lines[0])
        #expect(after.fields["start"] == "2026-10-26T10:00+01:00" && before.fields["start"] == "2026-10-23T10:00+02:00")
        let utc = try parseRecord(try client.request("MEETING PLAN - 2026-07-01T08:00Z GM0153 PV23").lines[0])
        #expect(utc.fields["start"] == "2026-07-01T10:00+02:00")
        #expect(try client.request("MEETING PLAN - 2026-07-01T08:00 GM0153").status.hasPrefix("ERR USAGE"))
        #expect(try daemon.stop() == 0)
    }

    @Test func milestoneTransitionsHistoryAndDue() throws {
        let (daemon, client, db) = try fresh("milestones")
        let now = try today(db)
        #expect(try client.request("TRAJECTORY ADD cd-drenthe \"Codesign Drenthe\" kind=codesign lead=PV22").status == "OK key=cd-drenthe")
        var ids: [String: String] = [:]
        for (name, offset) in [("overdue", -4), ("today", 0), ("soon", 6), ("later", 8), ("far", 40)] {
            let status = try client.request("MILESTONE ADD cd-drenthe \(day(now, offset)) \(name)").status
            ids[name] = String(status.dropFirst("OK id=".count))
        }
        #expect(try client.request("MILESTONE DONE \(ids["today"]!)").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE DONE \(ids["today"]!)").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("MILESTONE CANCEL \(ids["far"]!) reason=\"not needed\"").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE MOVE \(ids["far"]!) \(day(now, 1)) reason=x").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("MILESTONE MOVE \(ids["later"]!) \(day(now, 20)) reason=\"waiting for the province\"").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE MOVE \(ids["later"]!) \(day(now, 5)) reason=\"earlier after all\"").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE MOVE \(ids["later"]!) \(day(now, 5))").status.hasPrefix("ERR USAGE"))
        let history = try client.request("MILESTONE HISTORY \(ids["later"]!)").lines.map(parseRecord).filter { $0.type == "history" }
        #expect(history.filter { $0.fields["change"] == "move" }.map { $0.fields["new_due"]! } == [day(now, 20), day(now, 5)])
        #expect(history.last?.fields["reason"] == "earlier after all")

        let due = try client.request("DUE within=7d").lines.map(parseRecord)
        #expect(due.map { $0.fields["title"]! } == ["overdue", "later", "soon"])
        #expect(due.map { $0.fields["days_left"]! } == ["-4", "5", "6"])
        #expect(due.first?.fields["overdue"] == "yes")
        #expect(try client.request("MILESTONES cd-drenthe status=overdue").lines.count == 1)
        #expect(try client.request("MILESTONE REOPEN \(ids["today"]!)").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE REOPEN \(ids["today"]!)").status.hasPrefix("ERR CONFLICT"))
        #expect(try daemon.stop() == 0)
    }

    @Test func gapsAgendaListsTheMunicipalitiesNoActiveKansenagendaCovers() throws {
        let (daemon, client, db) = try fresh("agenda")
        let listed = { Set(try client.request("GAPS agenda").lines.flatMap { try parseRecord($0).fields["uncovered"]!.split(separator: ",").map(String.init) }) }
        let municipalities = Set(try db.query("SELECT key FROM nodes WHERE kind = 'municipality'").all.map { try $0.string(0) })
        let twente = Set(try db.query("SELECT from_key FROM relations WHERE to_key = 'CR12' AND relation = 'member_of'").all.map { try $0.string(0) })
        #expect(try listed() == municipalities)
        #expect(try client.request("TRAJECTORY ADD ka-cr12 \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 region=CR12").status.hasPrefix("OK"))
        #expect(try client.request("TRAJECTORY ADD cd-cr13 \"Codesign Veluwe\" kind=codesign lead=GM0200 region=CR13").status.hasPrefix("OK"))
        #expect(try listed() == municipalities.subtracting(twente))
        #expect(try client.request("TRAJECTORY SET ka-cr12 status=paused").status.hasPrefix("OK"))
        #expect(try listed() == municipalities)
        #expect(try daemon.stop() == 0)
    }

    @Test func icsExportParsesWithARealCalendarParser() throws {
        let (daemon, client, db) = try fresh("ics")
        let now = try today(db)
        #expect(try client.request("TRAJECTORY ADD ka-zl \"Kansenagenda Zeeuws-Vlaanderen; kust, zorg\" kind=kansenagenda lead=GM1714 themes=healthcare").status.hasPrefix("OK"))
        for offset in [3, 9, 15] {
            #expect(try client.request("MEETING PLAN ka-zl \(day(now, offset))T09:30 GM1714 PV29 vws title=\"Tafel \(offset): bereikbaarheid, zorg & onderwijs in de grensregio met een heel lange titel\"").status.hasPrefix("OK"))
        }
        for offset in [5, 25] { #expect(try client.request("MILESTONE ADD ka-zl \(day(now, offset)) \"Mijlpaal \(offset)\"").status.hasPrefix("OK")) }
        let first = try client.request("EXPORT ics trajectory=ka-zl")
        let second = try client.request("EXPORT ics trajectory=ka-zl")
        #expect(first.status == "OK lines=\(first.lines.count) events=3 todos=2")
        #expect(first.lines.allSatisfy { $0.utf8.count <= 75 })
        let path = NSTemporaryDirectory() + "verbinder-\(UUID().uuidString).ics"
        try (first.lines.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
        import sys, icalendar
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
        for c in cal.walk():
            if c.name in ('VEVENT', 'VTODO'):
                print(c.name, c.get('UID'), c.get('SUMMARY'))
        """
        let child = try ChildProcess(["/usr/bin/env", "python3", "-c", script, path])
        #expect(try child.wait() == 0, "\(child.output)")
        let parsed = child.output.split(separator: "\n").map(String.init)
        #expect(parsed.filter { $0.hasPrefix("VEVENT") }.count == 3)
        #expect(parsed.filter { $0.hasPrefix("VTODO") }.count == 2)
        #expect(Set(parsed.map { $0.split(separator: " ")[1] }).count == 5)
        #expect(parsed.contains { $0.contains("Tafel 3: bereikbaarheid, zorg & onderwijs in de grensregio met een heel lange titel") })
        let uids = { (lines: [String]) in lines.filter { $0.hasPrefix("UID:") } }
        #expect(uids(first.lines) == uids(second.lines))
        #expect(try daemon.stop() == 0)
    }

    /// `verbinder export ics > f.ics` as a person runs it: a CRLF file whose meetings are on the
    /// Amsterdam wall clock (TZID with its VTIMEZONE), read by two independent parsers: Python's
    /// icalendar (which takes the TZID's rules from its own time-zone data) and vobject (which
    /// takes them from the file's VTIMEZONE). Meetings on both sides of both 2026 clock changes.
    @Test func icsFileHasCRLFAmsterdamTimesAndTheOutcome() throws {
        let (daemon, client, _) = try fresh("icstz")
        #expect(try client.request("TRAJECTORY ADD cd-sudwest \"Co-design Súdwest-Fryslân\" kind=codesign lead=GM1900").status.hasPrefix("OK"))
        // Local time planned -> the UTC instant it is.
        let meetings = [("2026-03-28T10:00", "2026-03-28T09:00:00"), ("2026-03-30T10:00", "2026-03-30T08:00:00"),
                        ("2026-10-24T10:00", "2026-10-24T08:00:00"), ("2026-10-26T10:00", "2026-10-26T09:00:00"),
                        ("2026-11-24T10:00", "2026-11-24T09:00:00")]
        var ids: [String] = []
        for (start, _) in meetings {
            let planned = try client.request("MEETING PLAN cd-sudwest \(start) GM1900 PV21 title=\"Tafel \(start)\" duration=90m")
            #expect(planned.status.hasPrefix("OK id="), "\(planned)")
            ids.append(String(planned.status.dropFirst("OK id=".count).prefix { $0.isNumber }))
        }
        #expect(try client.request("MEETING NOTE \(ids[3]) \"Provincie doet mee; VWS nog vragen\"").status.hasPrefix("OK"))
        #expect(try client.request("MEETING HELD \(ids[3]) outcome=\"Afspraak: startnotitie, in december\"").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE ADD cd-sudwest 2026-12-05 Startnotitie").status.hasPrefix("OK"))

        let directory = NSTemporaryDirectory() + "verbinder-ics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/f.ics"
        let export = try ChildProcess(["/bin/sh", "-c", "'\(Paths.verbinder)' --port \(daemon.port) export ics trajectory=cd-sudwest > '\(path)'"],
                                      environment: ["HOME": directory, "VERBINDER_ADDR": "", "VERBINDER_TOKEN": ""])
        #expect(try export.wait() == 0, "\(export.output)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: bytes, as: UTF8.self)
        // RFC 5545 3.1: every line, the last included, ends with CRLF; no bare LF or CR.
        #expect(text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let lines = text.components(separatedBy: "\r\n").dropLast()
        #expect(lines.allSatisfy { $0.utf8.count <= 75 })
        #expect(lines.filter { $0 == "BEGIN:VTIMEZONE" }.count == 1)
        #expect(lines.contains("DTSTART;TZID=Europe/Amsterdam:20261124T100000"), "\(text)")
        #expect(lines.contains("DUE;VALUE=DATE:20261205"))
        #expect(lines.filter { $0.hasPrefix("DTSTAMP:") }.allSatisfy { $0.hasSuffix("Z") })

        // Each parser prints one JSON line per component: the start on its own clock, the start
        // in UTC, the zone's name and the description.
        let icalendar = """
            import sys, json, icalendar, datetime
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            for c in cal.walk():
                if c.name == 'VEVENT':
                    start = c.decoded('DTSTART')
                    print(json.dumps({'uid': str(c.get('UID')), 'local': start.strftime('%Y-%m-%dT%H:%M:%S%z'),
                                      'utc': start.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'),
                                      'tz': str(c.get('DTSTART').params.get('TZID')),
                                      'end': c.decoded('DTEND').astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'),
                                      'description': str(c.get('DESCRIPTION', ''))}))
                elif c.name == 'VTODO':
                    due = c.decoded('DUE')
                    print(json.dumps({'uid': str(c.get('UID')), 'due': due.isoformat(), 'date': type(due) is datetime.date}))
            """
        let vobject = """
            import sys, json, vobject, datetime
            cal = vobject.readOne(open(sys.argv[1], encoding='utf-8').read())
            for c in cal.getChildren():
                if c.name == 'VEVENT':
                    start = c.dtstart.value
                    print(json.dumps({'uid': c.uid.value, 'local': start.strftime('%Y-%m-%dT%H:%M:%S%z'),
                                      'utc': start.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'),
                                      'tz': c.dtstart.params.get('X-VOBJ-ORIGINAL-TZID', c.dtstart.params.get('TZID', ['']))[0],
                                      'zone': repr(start.tzinfo),
                                      'end': c.dtend.value.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'),
                                      'description': c.description.value if hasattr(c, 'description') else ''}))
                elif c.name == 'VTODO':
                    due = c.due.value
                    print(json.dumps({'uid': c.uid.value, 'due': due.isoformat(), 'date': type(due) is datetime.date}))
            """
        for (parser, script) in [("icalendar", icalendar), ("vobject", vobject)] {
            let child = try ChildProcess(["/usr/bin/env", "python3", "-c", script, path])
            #expect(try child.wait() == 0, "\(parser): \(child.output)")
            let parsed = try child.output.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            let events = Dictionary(uniqueKeysWithValues: parsed.compactMap { entry in (entry["uid"] as? String).map { ($0, entry) } })
            #expect(events.count == 6, "\(parser): \(child.output)")
            for (index, (local, utc)) in meetings.enumerated() {
                let event = try #require(events["meeting-\(ids[index])@verbinder.vng.nl"], "\(parser)")
                let offset = utc.hasPrefix("2026-03-28") || utc.hasPrefix("2026-10-26") || utc.hasPrefix("2026-11") ? "+0100" : "+0200"
                #expect(event["local"] as? String == local + ":00" + offset, "\(parser): \(event)")
                #expect(event["utc"] as? String == utc, "\(parser): \(event)")
                #expect(event["tz"] as? String == "Europe/Amsterdam", "\(parser): \(event)")
            }
            if parser == "vobject" {
                // vobject's zone is built from the file's own VTIMEZONE, so its rules are checked too.
                #expect(events.values.filter { $0["zone"] != nil }.allSatisfy { ($0["zone"] as? String)?.contains("tzicalvtz") == true }, "\(parsed)")
            }
            // 90 minutes after the start, across the October change too.
            #expect(events["meeting-\(ids[3])@verbinder.vng.nl"]?["end"] as? String == "2026-10-26T10:30:00", "\(parser)")
            let held = events["meeting-\(ids[3])@verbinder.vng.nl"]?["description"] as? String ?? ""
            #expect(held == "Traject: cd-sudwest\nUitkomst: Afspraak: startnotitie, in december\nNotities: Provincie doet mee; VWS nog vragen",
                    "\(parser): \(held)")
            let todo = try #require(parsed.first { ($0["uid"] as? String)?.hasPrefix("milestone-") == true }, "\(parser)")
            #expect(todo["due"] as? String == "2026-12-05" && todo["date"] as? Bool == true, "\(parser): \(todo)")
        }
        #expect(try daemon.stop() == 0)
    }

    @Test func reportMatchesIndependentFigures() throws {
        let (daemon, client, db) = try fresh("report")
        let now = try today(db)
        #expect(try client.request("TRAJECTORY ADD rep \"Rapportage\" kind=kansenagenda lead=GM0153 region=CR12").status.hasPrefix("OK"))
        #expect(try client.request("TRAJECTORY ADD rep2 \"Rapportage 2\" kind=kansenagenda lead=GM0014 region=CR12").status.hasPrefix("OK"))
        var generator = SplitMix(seed: 7)
        let municipalities = try db.query("SELECT key FROM nodes WHERE kind = 'municipality' ORDER BY key").all.map { try $0.string(0) }
        let from = -330, to = 0
        // Expected figures, computed here from what we insert.
        var held: [String: Int] = [:], tri: [String: Int] = [:], heldPerMonth: [String: Int] = [:]
        var onTime: [String: Int] = [:], late: [String: Int] = [:]
        var verticalMunicipalities: Set<String> = []
        for _ in 0..<600 {
            let offset = -Int(generator.next() % 400)
            let status = ["held", "held", "planned", "cancelled"][Int(generator.next() % 4)]
            var participants = [municipalities[Int(generator.next() % UInt64(municipalities.count))]]
            let shape = generator.next() % 3 // 0: two municipalities, 1: + province, 2: + province + ministry
            participants.append(shape == 0 ? municipalities[Int(generator.next() % UInt64(municipalities.count))] : "PV23")
            if shape == 2 { participants.append("vws") }
            participants = Array(Set(participants)).sorted()
            let axis = shape == 0 ? "horizontal" : "vertical"
            let isTri = shape == 2
            let date = day(now, offset)
            let id = try db.query("""
                INSERT INTO meetings (trajectory, starts_at, duration_minutes, status, axis, tripartite)
                VALUES ('rep', ($1::date + time '10:00') AT TIME ZONE 'Europe/Amsterdam', 60, $2, $3, $4::boolean) RETURNING id
                """, [date, status, axis, isTri ? "true" : "false"])[0].int(0)
            for key in participants { try db.query("INSERT INTO meeting_participants VALUES ($1, $2)", [String(id), key]) }
            if status == "held", offset >= from, offset <= to {
                let month = String(date.prefix(7))
                held["\(month)|\(axis)", default: 0] += 1
                heldPerMonth[month, default: 0] += 1
                if isTri { tri[month, default: 0] += 1 }
                if axis == "vertical" { verticalMunicipalities.formUnion(participants.filter { $0.hasPrefix("GM") }) }
            }
        }
        var overdue = 0
        for _ in 0..<1_100 {
            let dueOffset = -Int(generator.next() % 380) + 30
            let kind = generator.next() % 3 // 0 open, 1 done on time, 2 done late
            let due = day(now, dueOffset)
            if kind == 0 {
                try db.query("INSERT INTO milestones (trajectory, title, due) VALUES ('rep', 'm', $1::date)", [due])
                if dueOffset < 0 { overdue += 1 }
            } else {
                let doneOffset = min(0, kind == 1 ? dueOffset - Int(generator.next() % 10) : dueOffset + 1 + Int(generator.next() % 10))
                let effectiveLate = doneOffset > dueOffset
                try db.query("INSERT INTO milestones (trajectory, title, due, status, done_on) VALUES ('rep', 'm', $1::date, 'done', $2::date)",
                             [due, day(now, doneOffset)])
                if doneOffset >= from, doneOffset <= to {
                    let month = String(day(now, doneOffset).prefix(7))
                    if effectiveLate { late[month, default: 0] += 1 } else { onTime[month, default: 0] += 1 }
                }
            }
        }
        var signals: [String: Int] = [:]
        for n in 0..<60 {
            let kind = ["problem", "solution", "example", "need"][n % 4], theme = ["healthcare", "mobility", "housing"][n % 3]
            try db.query("INSERT INTO signals (node_key, kind, theme, text) VALUES ('GM0153', $1, $2, 'x')", [kind, theme])
            signals["\(kind)|\(theme)", default: 0] += 1
        }

        let (lines, status) = try client.request("REPORT from=\(day(now, from)) to=\(day(now, to))")
        #expect(status.hasPrefix("OK metrics="))
        var got: [String: String] = [:]
        for record in try lines.map(parseRecord) {
            let f = record.fields
            let key = [f["name"], f["month"], f["axis"], f["kind"], f["theme"], f["province"], f["region_type"]].compactMap { $0 }.joined(separator: "|")
            got[key] = f["value"]
        }
        for (key, count) in held {
            let parts = key.split(separator: "|")
            #expect(got["meetings_held|\(parts[0])|\(parts[1])"] == String(count), "meetings_held \(key)")
        }
        #expect(got.keys.filter { $0.hasPrefix("meetings_held|") }.count == held.count)
        for (month, total) in heldPerMonth {
            let share = Double(tri[month] ?? 0) / Double(total)
            #expect(abs(Double(got["tripartite_share|\(month)"] ?? "-1")! - share) < 0.001, "tripartite_share \(month)")
        }
        for (month, count) in onTime { #expect(got["milestones_done_on_time|\(month)"] == String(count), "on time \(month)") }
        for (month, count) in late { #expect(got["milestones_done_late|\(month)"] == String(count), "late \(month)") }
        #expect(got["milestones_open_overdue"] == String(overdue))
        #expect(got["regions_with_kansenagenda"] == "1")
        #expect(got["regions_with_kansenagenda|corop"] == "1")
        // Safety regions are no kansenagenda regions: not in the denominator either.
        let regions = try db.query("SELECT count(*) FROM nodes WHERE kind = 'region' AND region_type <> 'veiligheidsregio'")[0].int(0)
        #expect(abs(Double(got["regions_with_kansenagenda_share"]!)! - 1.0 / Double(regions)) < 0.0001)
        // Both kansenagendas are for CR12: its 14 municipalities are covered, all in Overijssel,
        // and rep2's lead Groningen (GM0014), a stakeholder with role lead.
        #expect(got["municipalities_covered_by_kansenagenda"] == "15")
        #expect(got["municipalities_covered_by_kansenagenda|PV23"] == "14")
        #expect(got["municipalities_covered_by_kansenagenda|PV20"] == "1")
        #expect(got["municipalities_without_vertical_meeting"] == String(municipalities.count - verticalMunicipalities.count))
        let unaffiliated = Set(try client.request("GAPS unaffiliated").lines.map { try parseRecord($0).fields["key"]! })
        #expect(got["municipalities_without_vertical_meeting_unaffiliated"]
                == String(Set(municipalities).subtracting(verticalMunicipalities).intersection(unaffiliated).count))
        for (key, count) in signals { #expect(got["signals|\(key)"] == String(count), "signals \(key)") }
        #expect(try daemon.stop() == 0)
    }
}

/// A small deterministic generator for reproducible test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
