import Foundation
import PQ
import Testing
import VerbinderCluster

/// Failover to a real streaming standby (issue 14): PostgreSQL's replication does the work,
/// the daemons only follow a multi-host URL with `target_session_attrs=read-write`.
@Suite("Failover")
struct FailoverTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var promoted: Date?
        var promotedAt: Date? {
            get { lock.withLock { promoted } }
            set { lock.withLock { promoted = newValue } }
        }
    }

    /// A primary with a synchronous standby built by `pg_basebackup`, two daemons on the
    /// multi-host URL, four writers. The primary is killed (immediate stop, as a lost machine)
    /// and the standby promoted: within 10 s every daemon writes again, without a restart;
    /// every acknowledged write is on the new primary, and no write answered
    /// `ERR UNAVAILABLE` is.
    @Test func writesMoveToThePromotedStandbyAndNoAcknowledgedWriteIsLost() throws {
        let base = NSTemporaryDirectory() + "verbinder-failover-\(getpid())"
        let primary = PostgresCluster(directory: base + "/primary")
        let standby = PostgresCluster(directory: base + "/standby")
        defer {
            standby.destroy()
            primary.destroy()
            try? FileManager.default.removeItem(atPath: base)
        }
        try primary.createIfNeeded()
        #expect(try runVerbinderd(["seed", "--database-url", primary.conninfo]).0 == 0)
        try standby.createStandby(of: primary, name: "standby1")
        try standby.start()
        let admin = try Connection(primary.conninfo)
        // Synchronous replication: a commit returns only once the standby has it.
        try admin.query("ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        try admin.query("SELECT pg_reload_conf()")
        let deadline = Date().addingTimeInterval(30)
        while try admin.query("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'standby1' AND sync_state = 'sync'")[0].int(0) == 0 {
            guard Date() < deadline else { throw HarnessError("the standby did not become synchronous") }
            usleep(100_000)
        }
        admin.close()

        let url = "host=\(primary.socketDirectory),\(standby.socketDirectory) port=\(primary.port),\(standby.port) "
            + "dbname=verbinder user=postgres target_session_attrs=read-write connect_timeout=2"
        let daemons = try (0..<2).map { _ in try Daemon(conninfo: url) }
        let ports = daemons.map(\.port)
        let clock = Clock()
        let started = Date()
        let controller = Thread {
            Thread.sleep(forTimeInterval: 2)
            try? primary.kill()
            Thread.sleep(forTimeInterval: 0.5)
            try? standby.promote()
            clock.promotedAt = Date()
        }
        controller.start()
        struct Outcome: Sendable {
            var ok: [String] = [], unavailable: [String] = [], other: [String] = []
            var lastFailure: Date?
            var okAfterPromotion = 0
            /// The longest a request took: one that spanned the outage waited for the new primary.
            var longest: TimeInterval = 0
        }
        let results = try onThreads(4) { worker -> Outcome in
            let client = try LineClient(port: ports[worker % 2])
            _ = try client.readLine()
            var outcome = Outcome()
            var n = 0
            while true {
                if let promoted = clock.promotedAt, Date().timeIntervalSince(promoted) > 12 { break }
                if Date().timeIntervalSince(started) > 90 { break }
                let key = "fo-\(worker)-\(n)"
                let sent = Date()
                let status = try client.request("ADD partner \"Failover \(worker) \(n)\" key=\(key)").status
                outcome.longest = max(outcome.longest, Date().timeIntervalSince(sent))
                if status.hasPrefix("OK") {
                    outcome.ok.append(key)
                    if let promoted = clock.promotedAt, Date() > promoted { outcome.okAfterPromotion += 1 }
                } else {
                    outcome.lastFailure = Date()
                    if status.hasPrefix("ERR UNAVAILABLE") { outcome.unavailable.append(key) } else { outcome.other.append(status) }
                    usleep(50_000)
                }
                n += 1
            }
            return outcome
        }
        let promoted = try #require(clock.promotedAt)
        #expect(results.allSatisfy { $0.other.isEmpty }, "\(results.flatMap(\.other).prefix(5))")
        // The writers saw the primary go: a write was refused, or one waited across the outage
        // (the primary was down 0.5 s before the promotion) and was served by the new primary.
        #expect(results.reduce(0) { $0 + $1.unavailable.count } > 0 || results.contains { $0.longest > 0.4 },
                "the writers never saw the primary go")
        for (worker, result) in results.enumerated() {
            #expect(result.okAfterPromotion > 0, "writer \(worker) never wrote to the new primary")
            if let last = result.lastFailure {
                #expect(last.timeIntervalSince(promoted) < 10, "writer \(worker) failed \(last.timeIntervalSince(promoted)) s after the promotion")
            }
        }
        let gaps = results.compactMap { $0.lastFailure.map { $0.timeIntervalSince(promoted) } }
        print("failover: writes served again \(String(format: "%.2f", gaps.max() ?? 0)) s after the promotion; "
              + "\(results.reduce(0) { $0 + $1.ok.count }) OK, \(results.reduce(0) { $0 + $1.unavailable.count }) ERR UNAVAILABLE")
        let db = try Connection(standby.conninfo)
        #expect(try db.query("SELECT pg_is_in_recovery()")[0].bool(0) == false)
        let stored = Set(try db.query("SELECT key FROM nodes WHERE key LIKE 'fo-%'").all.map { try $0.string(0) })
        let acknowledged = results.flatMap(\.ok)
        #expect(Set(acknowledged).isSubset(of: stored), "lost: \(Set(acknowledged).subtracting(stored).sorted().prefix(5))")
        #expect(stored.isDisjoint(with: results.flatMap(\.unavailable)))
        // Both daemons' memories agree with the new primary.
        for daemon in daemons {
            let client = try daemon.connect()
            _ = try client.readLine()
            for key in acknowledged.suffix(5) {
                // Written by either daemon: the other one has it once its change feed has read it.
                let until = Date().addingTimeInterval(5)
                var status = try client.request("SHOW \(key)").status
                while !status.hasPrefix("OK"), Date() < until {
                    usleep(100_000)
                    status = try client.request("SHOW \(key)").status
                }
                #expect(status.hasPrefix("OK"), "\(key): \(status)")
            }
            #expect(try daemon.stop() == 0)
        }
    }
}
