import Foundation
import PQ
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `verbinder reminders send`, the cron side of the reminders, against a real daemon.
@Suite("verbinder reminders send")
struct CronTests {
    /// A seeded database and daemon, a trajectory led by GM0153 and one contact there.
    func fresh(_ label: String) throws -> (Daemon, LineClient, Connection) {
        let (daemon, client, db) = try freshSeededDaemon(label)
        #expect(try client.request("TRAJECTORY ADD tr \"Traject\" kind=codesign lead=GM0153").status.hasPrefix("OK"))
        #expect(try client.request("CONTACT ADD GM0153 \"Jan Jansen\" jan@enschede.nl").status.hasPrefix("OK id="))
        return (daemon, client, db)
    }

    /// Milestones due in two days: each has exactly one occurrence due now (its 3d reminder).
    func addDue(_ client: LineClient, _ db: Connection, count: Int, title: String = "Mijlpaal", owner: String = "GM0153") throws {
        let due = try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + 2)::text")[0].string(0)
        try client.send((0..<count).map { "MILESTONE ADD tr \(due) \"\(title) \($0)\" owner=\(owner)\n" }.joined())
        for _ in 0..<count { #expect(try client.readResponse().status.hasPrefix("OK id=")) }
    }

    func states(_ db: Connection) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        // The 3d occurrences: the ones due now (the 14d ones of milestones due in two days are expired by CLAIM).
        for row in try db.query("SELECT state, count(*) FROM reminders WHERE rule = '3d' GROUP BY state").all {
            counts[try row.string(0)] = try row.int(1)
        }
        return counts
    }

    @Test func eightConcurrentWorkersSendEachOfAThousandOnce() throws {
        let (daemon, client, db) = try fresh("cronconc")
        try addDue(client, db, count: 1000)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/sent.log"
        // One line per message: its Message-ID header and the key the environment gives scripts.
        let via = try script(directory, "via.sh", """
            #!/bin/sh
            id=$(grep -m1 '^Message-ID:')
            printf '%s %s\\n' "$id" "$VERBINDER_IDEMPOTENCY_KEY" >> '\(log)'
            """)
        let workers = try (0..<8).map { index in
            try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", via, "--worker", "w\(index)"],
                             environment: cleanEnvironment(directory))
        }
        var sentBySummary = 0
        for worker in workers {
            #expect(try worker.wait(timeout: 300) == 0, "\(worker.output)")
            let summary = worker.output.split(separator: "\n").map { logMessage(String($0)) }.last { $0.hasPrefix("sent ") } ?? ""
            sentBySummary += Int(summary.dropFirst("sent ".count).prefix { $0.isNumber }) ?? -1_000_000
            #expect(summary.hasSuffix(", failed 0"), "\(worker.output)")
        }
        #expect(sentBySummary == 1000)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 1000)
        let ids = lines.map { String($0.split(separator: " ")[1]) }
        #expect(Set(ids).count == 1000)
        // Message-ID: <key>, the key as VERBINDER_IDEMPOTENCY_KEY.
        #expect(lines.allSatisfy { line in
            let parts = line.split(separator: " ")
            return parts.count == 3 && parts[0] == "Message-ID:" && parts[1] == "<\(parts[2])>" && parts[2].hasPrefix("reminder-")
        }, "\(lines.prefix(3))")
        #expect(try states(db) == ["sent": 1000])
        #expect(try daemon.stop() == 0)
    }

    /// At least once, never from a lease that is gone: the worker renews a reminder's lease
    /// before it hands the mail over, for the whole send timeout, and sends nothing whose lease
    /// it lost (another worker may have that one).
    @Test func aMailIsHandedOverOnlyUnderALeaseThatOutlastsTheSend() throws {
        let (daemon, client, db) = try fresh("cronlease")
        try addDue(client, db, count: 2)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/sent.log"
        // Records the lease left while sending, and takes the other claimed reminder's lease away
        // (as a stall past its end would): the worker must then not send that one.
        let via = try script(directory, "via.sh", """
            #!/bin/sh
            cat > /dev/null
            left=$(psql -XAtq "$TEST_CONNINFO" -c "SELECT floor(extract(epoch FROM lease_until - now())) FROM reminders WHERE id = $VERBINDER_REMINDER_ID")
            psql -XAtq "$TEST_CONNINFO" -c "UPDATE reminders SET lease_until = now() - interval '1 second' WHERE state = 'leased' AND id <> $VERBINDER_REMINDER_ID" > /dev/null
            printf '%s %s\n' "$VERBINDER_REMINDER_ID" "$left" >> '\(log)'
            """)
        var environment = cleanEnvironment(directory)
        environment["TEST_CONNINFO"] = daemon.conninfo
        let first = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", via,
                                      "--lease", "1m", "--timeout", "3m", "--worker", "stalls"], environment: environment)
        // The one whose lease was gone is not sent; claimed again in the same run, under a new
        // lease, it is.
        #expect(try first.wait(timeout: 60) == 1, "\(first.output)")
        #expect(first.output.contains("its lease ended before it was sent; not sent"), "\(first.output)")
        #expect(first.output.contains("sent 2, failed 1"), "\(first.output)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.count == 2 && Set(lines.map { $0[0] }).count == 2, "\(lines)")
        // Claimed with a lease of 1 minute; renewed to the 3-minute send timeout plus one before sending.
        #expect(lines.allSatisfy { (Int($0.last ?? "") ?? 0) >= 180 }, "\(lines)")
        let second = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", via],
                                      environment: environment)
        #expect(try second.wait(timeout: 60) == 0, "\(second.output)")
        #expect(second.output.contains("sent 0, failed 0"), "\(second.output)")
        #expect(try states(db) == ["sent": 2])
        #expect(try daemon.stop() == 0)
    }

    @Test func aFailingRecipientEndsDeadAfterFiveRunsAndTheOthersAreSent() throws {
        let (daemon, client, db) = try fresh("crondead")
        try addDue(client, db, count: 4)
        #expect(try client.request("CONTACT ADD GM0164 \"Bea Bad\" bad@example.org").status.hasPrefix("OK id="))
        try addDue(client, db, count: 1, title: "Hengelo", owner: "GM0164")
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/sent.log"
        let via = try script(directory, "via.sh", """
            #!/bin/sh
            message=$(cat)
            if printf '%s\\n' "$message" | grep -q '^To:.*bad@'; then
                echo '550 5.1.1 <bad@example.org>: mailbox unavailable' >&2
                echo 'second line' >&2
                exit 1
            fi
            printf '%s\\n' "$message" | grep -m1 '^Message-ID:' >> '\(log)'
            """)
        let run = { () throws -> ChildProcess in
            let child = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", via, "--retry", "0m"],
                                         environment: cleanEnvironment(directory))
            _ = try child.wait(timeout: 60)
            return child
        }
        let bad = try db.query("""
            SELECT r.id::text FROM reminders r JOIN milestones m ON m.id = r.milestone
            WHERE m.title = 'Hengelo 0' AND r.rule = '3d'
            """)[0].string(0)
        for attempt in 1...5 {
            let child = try run()
            #expect(child.exitStatus == 1, "run \(attempt): \(child.output)")
            #expect(child.output.contains("reminder \(bad) (attempt \(attempt))"), "run \(attempt): \(child.output)")
            #expect(child.output.contains("exit 1: 550 5.1.1 <bad@example.org>: mailbox unavailable"), "\(child.output)")
            #expect(child.output.contains(attempt == 1 ? "sent 4, failed 1" : "sent 0, failed 1"), "run \(attempt): \(child.output)")
            if attempt == 5 { #expect(child.output.contains("reminder \(bad) is dead"), "\(child.output)") }
        }
        let after = try run()
        #expect(after.exitStatus == 0, "\(after.output)")
        #expect(after.output.contains("sent 0, failed 0"))
        #expect(try states(db) == ["sent": 4, "dead": 1])
        let dead = try db.query("SELECT id::text, attempts::text, last_error FROM reminders WHERE state = 'dead'")[0].values
        #expect(dead == [bad, "5", "exit 1: 550 5.1.1 <bad@example.org>: mailbox unavailable"])
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4 && Set(lines).count == 4)
        #expect(try daemon.stop() == 0)
    }

    @Test func anUnreachableDaemonIsExitTwoAndUsageErrorsAre64() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try unusedPort()
        let unreachable = try ChildProcess([Paths.verbinder, "--port", "\(port)", "reminders", "send", "--via", "cat"],
                                           environment: cleanEnvironment(directory))
        #expect(try unreachable.wait() == 2, "\(unreachable.output)")
        #expect(unreachable.output.contains("cannot connect"))
        for arguments in [["reminders", "send"], ["reminders"], ["reminders", "send", "--via", "cat", "--lease", "5s"],
                          ["reminders", "send", "--via", "cat", "--limit", "0"]] {
            let usage = try ChildProcess([Paths.verbinder, "--port", "\(port)"] + arguments, environment: cleanEnvironment(directory))
            #expect(try usage.wait() == 64, "\(arguments): \(usage.output)")
        }
    }

    @Test func dryRunPrintsTheMessagesAndLeavesEverythingPending() throws {
        let (daemon, client, db) = try fresh("crondry")
        try addDue(client, db, count: 2)
        try addDue(client, db, count: 1, title: "Überleg über Zorg & Welzijn: één café")
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let child = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--dry-run"],
                                     environment: cleanEnvironment(directory).merging(["VERBINDER_MAIL_FROM": "VNG Verbinder <verbinder@vng.example>"]) { $1 })
        #expect(try child.wait() == 0, "\(child.output)")
        let output = child.output
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.filter { $0.hasPrefix("From verbinder@localhost ") }.count == 3)
        #expect(lines.filter { $0.hasPrefix("Message-ID: <reminder-") && $0.hasSuffix("@verbinder.vng.nl>") }.count == 3)
        #expect(lines.filter { $0 == "From: VNG Verbinder <verbinder@vng.example>" }.count == 3)
        #expect(lines.filter { $0 == "To: jan@enschede.nl" }.count == 3)
        #expect(lines.filter { $0 == "Content-Type: text/plain; charset=utf-8" }.count == 3)
        #expect(lines.filter { $0 == "MIME-Version: 1.0" }.count == 3)
        #expect(lines.filter { $0 == "Content-Transfer-Encoding: 8bit" }.count == 3)
        #expect(lines.filter { $0.hasPrefix("X-Verbinder-Reminder: id=") && $0.contains("attempt=1; rule=3d; late=yes") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("Traject: Traject (tr) | mijlpaal: ") && $0.hasSuffix(" | herinnering: 3 dagen vooraf") }, "\(output)")
        // Dates in RFC 5322 form: "Mon, 02 Mar 2026 10:00:00 +0100".
        let dates = lines.filter { $0.hasPrefix("Date: ") }
        #expect(dates.count == 3)
        #expect(dates.allSatisfy { $0.range(of: #"^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"#, options: .regularExpression) != nil }, "\(dates)")
        // The non-ASCII subject as RFC 2047 encoded words (folded), decoding to the daemon's subject.
        let start = try #require(lines.firstIndex { $0.hasPrefix("Subject: =?UTF-8?B?") }, "\(output)")
        var subject = String(lines[start].dropFirst("Subject: ".count))
        var next = start + 1
        while lines[next].hasPrefix(" ") { subject += lines[next]; next += 1 }
        let decoded = subject.split(separator: " ").map { word -> String in
            #expect(word.count <= 75 && word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded.hasPrefix("Herinnering: Überleg über Zorg & Welzijn: één café 0 (Traject) op "), "\(decoded)")
        // Header lines are folded at 78; body lines (the text and the reference line) are not.
        #expect(lines.filter { $0.utf8.count > 78 && !$0.hasPrefix("De mijlpaal") && !$0.hasPrefix("Traject: ") }.isEmpty)
        #expect(output.contains("sent 0, failed 0 (dry run: 3 shown and released)"))
        #expect(try states(db) == ["pending": 3])
        // A second dry run shows them again.
        let again = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--dry-run"],
                                     environment: cleanEnvironment(directory))
        #expect(try again.wait() == 0)
        #expect(again.output.contains("dry run: 3 shown and released"), "\(again.output)")
        #expect(try states(db) == ["pending": 3])
        // A look is not an attempt: the real send afterwards is attempt 1, and no error was recorded.
        #expect(try db.query("SELECT max(attempts), count(last_error) FROM reminders WHERE state = 'pending'")[0].values == ["0", "0"])
        // As the man page says (it used to say attempt 2): the header and the command's
        // VERBINDER_ATTEMPT both say 1.
        let log = directory + "/attempts.log"
        let via = try script(directory, "via.sh", """
            #!/bin/sh
            printf '%s %s\\n' "$VERBINDER_ATTEMPT" "$(grep -m1 '^X-Verbinder-Reminder:' | sed 's/.*attempt=\\([0-9]*\\);.*/\\1/')" >> '\(log)'
            """)
        let send = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", via],
                                    environment: cleanEnvironment(directory))
        #expect(try send.wait() == 0, "\(send.output)")
        let attempts = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(attempts == ["1 1", "1 1", "1 1"], "\(attempts)")
        #expect(try states(db) == ["sent": 3])
        #expect(try daemon.stop() == 0)
    }

    /// The man page says what a dry run does to the attempts: nothing (it gives the lease back
    /// with undo=yes), so the next real send is attempt 1. It used to say attempt 2.
    @Test func theManPageSaysADryRunLeavesTheAttempts() throws {
        let page = try String(contentsOfFile: Paths.repository + "/docs/verbinder.1", encoding: .utf8)
        let dryRun = try #require(page.range(of: ".B \\-\\-dry\\-run\nDo not run a command"))
        let section = String(page[dryRun.lowerBound...]).components(separatedBy: ".SH")[0]
        #expect(section.contains("undo=yes"), "\(section)")
        #expect(section.contains("the real send that follows is attempt 1"), "\(section)")
        #expect(!page.contains("attempt=2"))
        #expect(!page.contains("counts every claim as an attempt, so a"))
    }

    /// The mail is Dutch by default (the client's language, whatever the daemon's default) and
    /// English with --lang en; the trajectory goes by its name, its key in parentheses.
    @Test func theMailIsInTheClientsLanguageAndNamesTheTrajectory() throws {
        let (daemon, client, db) = try freshSeededDaemon("cronlang")
        #expect(try client.request("TRAJECTORY ADD cd-sudwest \"Co-design Súdwest-Fryslân\" kind=codesign lead=GM1900").status.hasPrefix("OK"))
        #expect(try client.request("CONTACT ADD GM1900 \"Sjoukje de Vries\" s.devries@sudwestfryslan.nl").status.hasPrefix("OK id="))
        let today = try db.query("SELECT (now() AT TIME ZONE 'Europe/Amsterdam')::date::text")[0].string(0)
        // Its 14d reminder fell due yesterday at 09:00; the other one is overdue since yesterday.
        let soon = try db.query("SELECT ($1::date + 13)::text", [today])[0].string(0)
        let late = try db.query("SELECT ($1::date - 2)::text", [today])[0].string(0)
        #expect(try client.request("MILESTONE ADD cd-sudwest \(soon) \"Concept probleemanalyse\" remind=14d").status.hasPrefix("OK id="))
        #expect(try client.request("MILESTONE ADD cd-sudwest \(late) Startnotitie remind=14d").status.hasPrefix("OK id="))
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func dryRun(_ arguments: [String], _ environment: [String: String]) throws -> (body: [String], subjects: [String]) {
            let child = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)"] + arguments + ["reminders", "send", "--dry-run"],
                                         environment: cleanEnvironment(directory).merging(environment) { $1 })
            #expect(try child.wait() == 0, "\(child.output)")
            let lines = child.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let body = lines.filter { line in ["De mijlpaal", "The milestone", "Traject: ", "Trajectory: "].contains { line.hasPrefix($0) } }
            #expect(body.count == 4, "\(child.output)")
            return (body, decodedSubjects(lines))
        }
        let dutch = try dryRun([], [:])
        #expect(dutch.subjects.sorted() == ["Herinnering: Concept probleemanalyse (Co-design Súdwest-Fryslân) op \(soon)",
                                            "Verlopen mijlpaal: Startnotitie (Co-design Súdwest-Fryslân)"], "\(dutch)")
        #expect(dutch.body.contains("De mijlpaal \"Concept probleemanalyse\" van traject Co-design Súdwest-Fryslân moet op \(soon) klaar zijn; deze herinnering komt 14 dagen vooraf."), "\(dutch)")
        #expect(dutch.body.contains("De mijlpaal \"Startnotitie\" van traject Co-design Súdwest-Fryslân had op \(late) klaar moeten zijn en staat nog open."), "\(dutch)")
        #expect(dutch.body.contains { $0.hasPrefix("Traject: Co-design Súdwest-Fryslân (cd-sudwest) | mijlpaal: ") && $0.hasSuffix(" | datum: \(soon) | herinnering: 14 dagen vooraf") }, "\(dutch)")
        #expect(dutch.body.contains { $0.hasPrefix("Traject: Co-design Súdwest-Fryslân (cd-sudwest) | mijlpaal: ") && $0.hasSuffix(" | datum: \(late) | herinnering: verlopen") }, "\(dutch)")
        let dutchText = (dutch.body + dutch.subjects).joined(separator: "\n")
        for english in ["overdue", "14d", "reminder", "Reminder", "due"] { #expect(!dutchText.contains(english), "\(english) in \(dutchText)") }
        // LANG chooses too, and --lang wins over it.
        #expect(try dryRun([], ["LANG": "nl_NL.UTF-8"]).subjects == dutch.subjects)
        let english = try dryRun(["--lang", "en"], ["LANG": "nl_NL.UTF-8"])
        #expect(english.subjects.sorted() == ["Overdue milestone: Startnotitie (Co-design Súdwest-Fryslân)",
                                              "Reminder: Concept probleemanalyse (Co-design Súdwest-Fryslân) due \(soon)"], "\(english)")
        #expect(english.body.contains("The milestone \"Concept probleemanalyse\" of trajectory Co-design Súdwest-Fryslân is due on \(soon); this reminder comes 14 days before."), "\(english)")
        #expect(english.body.contains { $0.hasPrefix("Trajectory: Co-design Súdwest-Fryslân (cd-sudwest) | milestone: ") && $0.hasSuffix(" | date: \(late) | reminder: overdue") }, "\(english)")
        #expect(try dryRun([], ["LANG": "en_GB.UTF-8"]).subjects.sorted() == english.subjects.sorted())
        #expect(try daemon.stop() == 0)
    }

    @Test func noRecipientsIsReleasedAndLimitStopsEarly() throws {
        let (daemon, client, db) = try fresh("cronnone")
        // A trajectory whose lead has no contacts: its reminder has an empty to=.
        #expect(try client.request("TRAJECTORY ADD leeg \"Zonder contact\" kind=codesign lead=GM0200").status.hasPrefix("OK"))
        let due = try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + 2)::text")[0].string(0)
        #expect(try client.request("MILESTONE ADD leeg \(due) Niemand").status.hasPrefix("OK id="))
        try addDue(client, db, count: 3)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let limited = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", "cat >/dev/null", "--limit", "1"],
                                       environment: cleanEnvironment(directory))
        // The oldest due one comes first: it has no recipients, so it is released; the limit stops the run.
        #expect(try limited.wait() == 1, "\(limited.output)")
        #expect(limited.output.contains(": no recipients") && limited.output.contains("sent 0, failed 1"), "\(limited.output)")
        #expect(try states(db) == ["pending": 4])
        let rest = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", "cat >/dev/null"],
                                    environment: cleanEnvironment(directory))
        // The released one waits for its retry time (10m by default); the other three are sent.
        #expect(try rest.wait() == 0, "\(rest.output)")
        #expect(rest.output.contains("sent 3, failed 0"), "\(rest.output)")
        let empty = try db.query("""
            SELECT r.state, r.last_error FROM reminders r JOIN milestones m ON m.id = r.milestone WHERE m.title = 'Niemand' AND r.rule = '3d'
            """)[0].values
        #expect(empty == ["pending", "no recipients"])
        #expect(try states(db) == ["sent": 3, "pending": 1])
        // A contact now, and the retry time over: it is sent, and a sent reminder shows no error
        // from its failed attempt (it kept "no recipients").
        #expect(try client.request("CONTACT ADD GM0200 \"Piet Apeldoorn\" piet@apeldoorn.nl").status.hasPrefix("OK id="))
        try db.query("UPDATE reminders SET not_before = NULL")
        let last = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", "cat >/dev/null"],
                                    environment: cleanEnvironment(directory))
        #expect(try last.wait() == 0, "\(last.output)")
        let sent = try db.query("""
            SELECT r.id::text, r.state, r.last_error FROM reminders r JOIN milestones m ON m.id = r.milestone WHERE m.title = 'Niemand' AND r.rule = '3d'
            """)[0]
        #expect(Array(sent.values.dropFirst()) == ["sent", nil])
        let listed = try client.request("REMINDERS state=sent")
        #expect(listed.lines.contains { $0.hasPrefix("reminder id=\(sent.values[0] ?? "") ") && !$0.contains("last_error") }, "\(listed)")
        #expect(try states(db) == ["sent": 4])
        #expect(try daemon.stop() == 0)
    }

    /// Every line of a run's log starts with the local time, ISO 8601 with its offset, in the
    /// time zone TZ gives (cron mail and journald readers want to know when).
    @Test func logLinesCarryTheLocalTimeWithItsOffset() throws {
        let (daemon, client, db) = try fresh("cronlog")
        #expect(try client.request("TRAJECTORY ADD leeg \"Zonder contact\" kind=codesign lead=GM0200").status.hasPrefix("OK"))
        let due = try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + 2)::text")[0].string(0)
        #expect(try client.request("MILESTONE ADD leeg \(due) Niemand").status.hasPrefix("OK id="))
        try addDue(client, db, count: 1)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (zone, offset) in [("<+0530>-5:30", "+05:30"), ("UTC0", "+00:00"), ("<-0330>3:30", "-03:30")] {
            let before = Date()
            let run = try ChildProcess([Paths.verbinder, "--port", "\(daemon.port)", "reminders", "send", "--via", "cat >/dev/null", "--retry", "0m"],
                                       environment: cleanEnvironment(directory).merging(["TZ": zone]) { $1 })
            _ = try run.wait()
            let lines = run.output.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasSuffix(": no recipients") } && lines.contains { $0.contains(" sent ") }, "\(run.output)")
            for line in lines {
                let stamp = String(line.prefix(25))
                #expect(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"#, options: .regularExpression) != nil, "\(line)")
                #expect(stamp.hasSuffix(offset), "\(zone): \(line)")
                let formatter = ISO8601DateFormatter()
                let when = try #require(formatter.date(from: stamp), "\(line)")
                #expect(when.timeIntervalSince(before) > -2 && when.timeIntervalSince(before) < 60, "\(line)")
            }
        }
        // The failure to reach a daemon is logged with its time too.
        let unreachable = try ChildProcess([Paths.verbinder, "--port", "\(try unusedPort())", "reminders", "send", "--via", "cat"],
                                           environment: cleanEnvironment(directory).merging(["TZ": "UTC0"]) { $1 })
        #expect(try unreachable.wait() == 2)
        #expect(unreachable.output.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00 .*cannot connect"#, options: .regularExpression) != nil,
                "\(unreachable.output)")
        #expect(try daemon.stop() == 0)
    }
}

// MARK: helpers (this file only)

/// The environment for a client run: no address or token from the caller, a private HOME.
private func cleanEnvironment(_ home: String) -> [String: String] {
    ["VERBINDER_ADDR": "", "VERBINDER_TOKEN": "", "HOME": home, "VERBINDER_MAIL_FROM": "", "LANG": ""]
}

/// A log line without its leading time stamp.
private func logMessage(_ line: String) -> String {
    guard line.first?.isNumber == true, let blank = line.firstIndex(of: " ") else { return line }
    return String(line[line.index(after: blank)...])
}

/// The Subject headers of mbox output, RFC 2047 words decoded and folds joined.
private func decodedSubjects(_ lines: [String]) -> [String] {
    var subjects: [String] = []
    for (index, line) in lines.enumerated() where line.hasPrefix("Subject: ") {
        var value = String(line.dropFirst("Subject: ".count))
        var next = index + 1
        while next < lines.count, lines[next].hasPrefix(" ") { value += lines[next]; next += 1 }
        guard value.hasPrefix("=?UTF-8?B?") else { subjects.append(value); continue }
        subjects.append(value.split(separator: " ").map { word -> String in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined())
    }
    return subjects
}

private func scratchDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "verbinder-cron-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// An executable shell script in `directory`.
private func script(_ directory: String, _ name: String, _ text: String) throws -> String {
    let path = directory + "/" + name
    try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}

/// A loopback port nobody listens on (bound, then closed).
private func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw HarnessError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
