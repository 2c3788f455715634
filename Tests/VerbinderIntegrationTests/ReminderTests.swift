import Foundation
import PQ
import Testing

/// Reminders for cron: leases, acknowledgements, nothing lost, nothing sent twice.
@Suite("Milestone reminders")
struct ReminderTests {
    func fresh(_ label: String) throws -> (Daemon, LineClient, Connection, String) {
        let (daemon, client, db) = try freshSeededDaemon(label)
        #expect(try client.request("TRAJECTORY ADD tr \"Traject\" kind=codesign lead=GM0153").status.hasPrefix("OK"))
        #expect(try client.request("CONTACT ADD GM0153 \"Jan Jansen\" jan@enschede.nl").status.hasPrefix("OK id="))
        return (daemon, client, db, daemon.conninfo)
    }

    func day(_ db: Connection, _ offset: Int) throws -> String {
        try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + $1::int)::text", [String(offset)])[0].string(0)
    }

    /// Milestones due in two days: each has exactly one occurrence due now (its 3d reminder).
    func addDue(_ client: LineClient, _ db: Connection, count: Int) throws {
        let due = try day(db, 2)
        try client.send((0..<count).map { "MILESTONE ADD tr \(due) \"Mijlpaal \($0)\" owner=GM0153\n" }.joined())
        for _ in 0..<count { #expect(try client.readResponse().status.hasPrefix("OK id=")) }
    }

    func claim(_ client: LineClient, _ worker: String, limit: Int = 10) throws -> [[String: String]] {
        let (lines, status) = try client.request("REMINDERS CLAIM \(worker) limit=\(limit)")
        #expect(status.hasPrefix("OK claimed="))
        return try lines.map { try parseRecord($0).fields }
    }

    @Test func concurrentWorkersDeliverEachOccurrenceOnce() throws {
        let (daemon, client, db, _) = try fresh("remconc")
        try addDue(client, db, count: 1000)
        let port = daemon.port
        let delivered = try onThreads(8) { worker -> [String] in
            let client = try LineClient(port: port)
            _ = try client.readLine()
            var keys: [String] = []
            while true {
                let (lines, _) = try client.request("REMINDERS CLAIM w\(worker) limit=25")
                if lines.isEmpty { break }
                for record in try lines.map({ try parseRecord($0).fields }) {
                    #expect(record["to"] == "jan@enschede.nl" && record["late"] == "yes" && record["rule"] == "3d")
                    #expect(try client.request("REMINDERS ACK \(record["id"]!) \(record["token"]!)").status.hasPrefix("OK"))
                    keys.append(record["idempotency_key"]!)
                }
            }
            return keys
        }.flatMap { $0 }
        #expect(delivered.count == 1000)
        #expect(Set(delivered).count == 1000)
        #expect(try db.query("SELECT count(*) FROM reminders WHERE state = 'sent'")[0].int(0) == 1000)
        // The 14d occurrences (past, with the 3d one due too) were dropped on the way, each once,
        // by claims whose window grew past the backlog; the 0d ones are not due yet.
        #expect(try db.query("SELECT count(*) FROM reminders WHERE state = 'expired' AND rule = '14d'")[0].int(0) == 1000)
        #expect(try db.query("SELECT count(*) FROM reminders WHERE state = 'pending' AND rule = '0d'")[0].int(0) == 1000)
        #expect(try daemon.stop() == 0)
    }

    @Test func droppedWorkerLeasesComeBackWithAttemptTwo() throws {
        let (daemon, client, db, _) = try fresh("remdrop")
        try addDue(client, db, count: 3)
        var first: [[String: String]] = []
        do {
            let worker = try daemon.connect()
            _ = try worker.readLine()
            first = try claim(worker, "doomed")
            #expect(first.count == 3)
        } // the worker's connection closes here, as if it were killed
        var again: [[String: String]] = []
        let deadline = Date().addingTimeInterval(5)
        while again.count < 3, Date() < deadline {
            again += try claim(client, "rescuer")
            if again.count < 3 { usleep(50_000) }
        }
        #expect(Set(again.map { $0["id"]! }) == Set(first.map { $0["id"]! }))
        #expect(again.allSatisfy { $0["attempt"] == "2" })
        // The old tokens are worthless now; the new holder's are not.
        let stale = first[0], current = again.first { $0["id"] == stale["id"] }!
        #expect(try client.request("REMINDERS ACK \(stale["id"]!) \(stale["token"]!)").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("REMINDERS ACK \(current["id"]!) \(current["token"]!)").status.hasPrefix("OK"))
        #expect(try client.request("REMINDERS ACK \(current["id"]!) \(current["token"]!)").status.hasPrefix("ERR CONFLICT"))
        #expect(try daemon.stop() == 0)
    }

    @Test func foreignOrExpiredTokenIsConflictAndTheHolderKeepsIt() throws {
        let (daemon, client, db, _) = try fresh("remtoken")
        try addDue(client, db, count: 1)
        let held = try claim(client, "holder")[0]
        #expect(try client.request("REMINDERS ACK \(held["id"]!) 0123456789abcdef0123456789abcdef").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("REMINDERS TOUCH \(held["id"]!) \(held["token"]!) lease=10m").status.hasPrefix("OK"))
        #expect(try db.query("SELECT state, lease_token FROM reminders WHERE id = $1", [held["id"]!])[0].values == ["leased", held["token"]])
        // Let the lease end: the token is no longer accepted.
        try db.query("UPDATE reminders SET lease_until = now() - interval '1 second' WHERE id = $1", [held["id"]!])
        #expect(try client.request("REMINDERS ACK \(held["id"]!) \(held["token"]!)").status.hasPrefix("ERR CONFLICT"))
        #expect(try daemon.stop() == 0)
    }

    @Test func failingDeliveryEndsDeadAfterFiveAttemptsAndOthersAreSent() throws {
        let (daemon, client, db, _) = try fresh("remdead")
        try addDue(client, db, count: 4)
        var failing: String?
        for _ in 0..<12 {
            for record in try claim(client, "w") {
                if failing == nil { failing = record["id"] }
                if record["id"] == failing {
                    #expect(try client.request("REMINDERS RELEASE \(record["id"]!) \(record["token"]!) retry=0m error=\"550 mailbox unavailable\"").status.hasPrefix("OK"))
                } else {
                    #expect(try client.request("REMINDERS ACK \(record["id"]!) \(record["token"]!)").status.hasPrefix("OK"))
                }
            }
        }
        let states = try db.query("SELECT id::text, state, attempts FROM reminders WHERE state IN ('sent','dead') ORDER BY id").all
        #expect(states.filter { $0.values[1] == "sent" }.count == 3)
        let dead = try #require(states.first { $0.values[1] == "dead" })
        #expect(dead.values[0] == failing && dead.values[2] == "5")
        #expect(try client.request("REMINDERS state=dead").lines.count == 1)
        #expect(try client.request("REMINDERS RETRY \(failing!)").status.hasPrefix("OK"))
        #expect(try claim(client, "w").map { $0["id"] } == [failing])
        #expect(try daemon.stop() == 0)
    }

    @Test func movingReplansAndDoneCancels() throws {
        let (daemon, client, db, _) = try fresh("remmove")
        let status = try client.request("MILESTONE ADD tr \(try day(db, 30)) Verplaatsbaar").status
        let id = String(status.dropFirst("OK id=".count))
        #expect(try client.request("MILESTONE MOVE \(id) \(try day(db, 40)) reason=later").status.hasPrefix("OK"))
        #expect(try client.request("MILESTONE MOVE \(id) \(try day(db, 50)) reason=\"even later\"").status.hasPrefix("OK"))
        let pending = try db.query("""
            SELECT rule, (fire_at AT TIME ZONE 'Europe/Amsterdam')::date::text FROM reminders WHERE milestone = $1 AND state = 'pending' ORDER BY rule
            """, [id]).all.map { $0.values.compactMap { $0 } }
        #expect(pending == [["0d", try day(db, 50)], ["14d", try day(db, 36)], ["3d", try day(db, 47)], ["overdue", try day(db, 51)]])
        #expect(try db.query("SELECT count(*) FROM reminders WHERE milestone = $1 AND state = 'superseded'", [id])[0].int(0) == 8)
        #expect(try client.request("MILESTONE DONE \(id)").status.hasPrefix("OK"))
        #expect(try db.query("SELECT count(*) FROM reminders WHERE milestone = $1 AND state = 'pending'", [id])[0].int(0) == 0)
        #expect(try db.query("SELECT count(*) FROM reminders WHERE milestone = $1 AND state = 'cancelled'", [id])[0].int(0) == 4)
        #expect(try daemon.stop() == 0)
    }

    @Test func missedDaysDeliverLateOnceAndExpireWhatNoLongerMakesSense() throws {
        let (daemon, client, db, _) = try fresh("remmissed")
        // Due tomorrow: 14d and 3d both fired while cron was away; only the 3d makes sense now.
        let soon = String(try client.request("MILESTONE ADD tr \(try day(db, 1)) Morgen").status.dropFirst("OK id=".count))
        // Due two days ago: the offset ones are past the due date; the overdue one replaces them.
        let past = String(try client.request("MILESTONE ADD tr \(try day(db, -2)) Gisteren").status.dropFirst("OK id=".count))
        let claimed = try claim(client, "after-holiday", limit: 100)
        #expect(Set(claimed.map { "\($0["milestone"]!)|\($0["rule"]!)" }) == ["\(soon)|3d", "\(past)|overdue"])
        #expect(claimed.allSatisfy { $0["late"] == "yes" })
        let expired = try db.query("SELECT milestone::text || '|' || rule FROM reminders WHERE state = 'expired' ORDER BY 1").all.map { try $0.string(0) }
        #expect(Set(expired) == ["\(soon)|14d", "\(past)|14d", "\(past)|3d", "\(past)|0d"])
        for record in claimed { #expect(try client.request("REMINDERS ACK \(record["id"]!) \(record["token"]!)").status.hasPrefix("OK")) }
        #expect(try claim(client, "again", limit: 100).isEmpty)
        // The leases are audited (a CLAIM that leased nothing is not), never with their tokens.
        let audit = try db.query("SELECT command || ' ' || changes::text FROM audit WHERE command LIKE 'REMINDERS %'").all.map { try $0.string(0) }
        #expect(audit.filter { $0.hasPrefix("REMINDERS CLAIM after-holiday") }.count == 1)
        #expect(audit.filter { $0.hasPrefix("REMINDERS CLAIM again") }.isEmpty)
        #expect(Set(audit.filter { $0.hasPrefix("REMINDERS ACK ") }.map { $0.split(separator: " ")[2] }) == Set(claimed.map { Substring($0["id"]!) }))
        #expect(!claimed.contains { record in audit.contains { $0.contains(record["token"]!) } })
        // The weekly overdue reminder of the open milestone is planned a week after the one just
        // sent, in the future. (Not "more than 6 days from now": that depends on the time of day.)
        #expect(try db.query("""
            SELECT count(*) FROM reminders n JOIN reminders s ON s.milestone = n.milestone AND s.rule = 'overdue' AND s.state = 'sent'
            WHERE n.milestone = $1 AND n.rule = 'overdue' AND n.state = 'pending'
              AND n.fire_at = s.fire_at + interval '7 days' AND n.fire_at > now()
            """, [past])[0].int(0) == 1)
        #expect(try daemon.stop() == 0)
    }

    @Test func aClaimStillFillsItsLimitWhenTheFirstOccurrencesExpire() throws {
        let (daemon, client, db, _) = try fresh("remfill")
        // Three milestones due tomorrow: each has a 14d occurrence (first in claim order, no
        // longer worth sending) and a 3d one due. limit=2 must still lease two 3d ones.
        var ids: [String] = []
        for n in 0..<3 { ids.append(String(try client.request("MILESTONE ADD tr \(try day(db, 1)) \"Morgen \(n)\"").status.dropFirst("OK id=".count))) }
        let first = try claim(client, "w", limit: 2)
        #expect(first.count == 2)
        #expect(first.allSatisfy { $0["rule"] == "3d" })
        let second = try claim(client, "w", limit: 2)
        #expect(second.map { $0["rule"] } == ["3d"])
        #expect(Set((first + second).map { $0["milestone"]! }) == Set(ids))
        #expect(try db.query("SELECT count(*) FROM reminders WHERE state = 'expired' AND rule = '14d'")[0].int(0) == 3)
        #expect(try claim(client, "w", limit: 2).isEmpty)
        #expect(try daemon.stop() == 0)
    }

    @Test func threeDayReminderKeepsWallClockTimeAcrossDaylightSaving() throws {
        let (daemon, client, db, _) = try fresh("remdst")
        // 2030-10-28 is the Monday after daylight saving ends (27 October 2030); 2030-06-17 is a Monday in summer.
        let winter = String(try client.request("MILESTONE ADD tr 2030-10-28 Winter").status.dropFirst("OK id=".count))
        let summer = String(try client.request("MILESTONE ADD tr 2030-06-17 Zomer").status.dropFirst("OK id=".count))
        let fire = { (id: String) in
            try db.query("""
                SELECT to_char(fire_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD HH24:MI'), to_char(fire_at AT TIME ZONE 'UTC', 'HH24:MI')
                FROM reminders WHERE milestone = $1 AND rule = '3d' AND state = 'pending'
                """, [id])[0].values
        }
        #expect(try fire(winter) == ["2030-10-25 09:00", "07:00"]) // still summer time (UTC+2) on the Friday before
        #expect(try fire(summer) == ["2030-06-14 09:00", "07:00"])
        let zeroDay = try db.query("SELECT to_char(fire_at AT TIME ZONE 'Europe/Amsterdam', 'HH24:MI'), to_char(fire_at AT TIME ZONE 'UTC', 'HH24:MI') FROM reminders WHERE milestone = $1 AND rule = '0d'", [winter])[0].values
        #expect(zeroDay == ["09:00", "08:00"]) // winter time (UTC+1) on the Monday: same wall clock
        #expect(try daemon.stop() == 0)
    }

    @Test func daemonKilledMidClaimsLosesNothingAndResendsNothingAcknowledged() throws {
        let (daemon, client, db, conninfo) = try fresh("remkill")
        try addDue(client, db, count: 200)
        var acknowledged: Set<String> = []
        for _ in 0..<5 {
            for record in try claim(client, "before", limit: 20) {
                if try client.request("REMINDERS ACK \(record["id"]!) \(record["token"]!)").status.hasPrefix("OK") { acknowledged.insert(record["id"]!) }
            }
        }
        // Claimed but not acknowledged when the daemon dies.
        let inFlight = try claim(client, "before", limit: 20)
        #expect(inFlight.count == 20)
        daemon.process.signal(SIGKILL)
        _ = try daemon.process.wait()
        // The leases of a killed daemon end with their time; make that now instead of in 5 minutes.
        try db.query("UPDATE reminders SET lease_until = now() - interval '1 second' WHERE state = 'leased'")
        let restarted = try Daemon(conninfo: conninfo)
        let after = try restarted.connect()
        _ = try after.readLine()
        var redelivered: Set<String> = []
        while true {
            let batch = try claim(after, "after", limit: 50)
            if batch.isEmpty { break }
            for record in batch {
                #expect(!acknowledged.contains(record["id"]!), "acknowledged reminder \(record["id"]!) was delivered again")
                redelivered.insert(record["id"]!)
                #expect(try after.request("REMINDERS ACK \(record["id"]!) \(record["token"]!)").status.hasPrefix("OK"))
            }
        }
        #expect(Set(inFlight.map { $0["id"]! }).isSubset(of: redelivered))
        #expect(acknowledged.count + redelivered.count == 200)
        #expect(try db.query("SELECT count(*) FROM reminders WHERE state = 'sent' AND rule = '3d'")[0].int(0) == 200)
        #expect(try restarted.stop() == 0)
    }

    @Test func trajectoryOffsetsApplyUnlessTheMilestoneSaysOtherwise() throws {
        let (daemon, client, db, _) = try fresh("remtraj")
        #expect(try client.request("TRAJECTORY ADD wekelijks \"Wekelijks\" kind=programme lead=GM0153 remind=7d,1d").status.hasPrefix("OK"))
        let id = String(try client.request("MILESTONE ADD wekelijks \(try day(db, 30)) Standaard").status.dropFirst("OK id=".count))
        let own = String(try client.request("MILESTONE ADD wekelijks \(try day(db, 30)) Eigen remind=2d").status.dropFirst("OK id=".count))
        let rules = { (id: String) in try db.query("SELECT string_agg(rule, ',' ORDER BY rule) FROM reminders WHERE milestone = $1", [id])[0].string(0) }
        #expect(try rules(id) == "1d,7d,overdue")
        #expect(try rules(own) == "2d,overdue")
        #expect(try client.request("TRAJECTORY SET wekelijks remind=3d").status.hasPrefix("OK"))
        let later = String(try client.request("MILESTONE ADD wekelijks \(try day(db, 30)) Later").status.dropFirst("OK id=".count))
        #expect(try rules(later) == "3d,overdue")
        #expect(try client.request("TRAJECTORY SET wekelijks remind=soon").status.hasPrefix("ERR INVALID"))
        #expect(try daemon.stop() == 0)
    }

    @Test func forgetErasesAPersonButNotTheFactInTheAudit() throws {
        let (daemon, client, db, _) = try fresh("remforget")
        #expect(try client.request("CONTACTS GM0153").lines.count == 1)
        #expect(try client.request("CONTACT FORGET JAN@enschede.nl").status == "OK removed=1")
        #expect(try client.request("CONTACTS GM0153").lines.isEmpty)
        let audit = try db.query("SELECT command || changes::text FROM audit").all.map { try $0.string(0) }
        #expect(audit.contains { $0.hasPrefix("CONTACT FORGET") })
        #expect(!audit.contains { $0.lowercased().contains("jan@enschede.nl") })
        #expect(try daemon.stop() == 0)
    }
}
