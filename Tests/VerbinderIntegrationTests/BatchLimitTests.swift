import Foundation
import NIOCore
import NIOPosix
import PQ
import Testing

/// Open batches hold pooled connections: they may not starve every other command.
@Suite("Batches and the pool")
struct BatchLimitTests {
    @Test func sixteenIdleBatchesLeaveTheDaemonServing() throws {
        let (daemon, client, _) = try freshSeededDaemon("batch-cap")
        // The default pool has 16 connections; at most 12 batches may hold one.
        let holders = try (0..<16).map { _ -> LineClient in
            let holder = try daemon.connect()
            _ = try holder.readLine()
            return holder
        }
        let answers = try holders.map { try $0.request("BEGIN").status }
        #expect(answers.filter { $0 == "OK batch=open" }.count == 12)
        #expect(answers.filter { $0.hasPrefix("ERR BUSY") }.count == 4)
        #expect(try client.request("BEGIN").status.hasPrefix("ERR BUSY 12 batches are open"))

        // Everything else still works, at once.
        var started = Date()
        #expect(try client.request("FIND drenthe").status.hasPrefix("OK rows="))
        #expect(try client.request("ADD partner \"Tijdens twaalf batches\"").status.hasPrefix("OK key="))
        #expect(try client.request("TRAJECTORIES").status.hasPrefix("OK rows="))
        #expect(Date().timeIntervalSince(started) < 2)
        started = Date()
        let info = try client.request("INFO")
        #expect(Date().timeIntervalSince(started) < 0.5)
        #expect(info.lines.contains("stat name=database value=up"))
        #expect(info.lines.contains("stat name=batches value=12"))

        // A closed batch makes room for another.
        #expect(try holders[0].request("ROLLBACK").status == "OK")
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ROLLBACK").status == "OK")
        #expect(try daemon.stop() == 0)
    }

    @Test func anIdleBatchIsRolledBackAndItsConnectionToldSo() throws {
        let conninfo = try SharedCluster.freshDatabase("batch-idle")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--batch-idle-timeout", "1"])
        let client = try daemon.connect()
        _ = try client.readLine()
        let db = try Connection(conninfo)

        // A batch that keeps working is not idle.
        #expect(try client.request("BEGIN").status == "OK batch=open")
        for n in 0..<5 {
            #expect(try client.request("ADD partner \"Bezig \(n)\"").status.hasPrefix("OK key="))
            usleep(500_000)
        }
        #expect(try client.request("COMMIT").status == "OK applied=5")
        #expect(try db.query("SELECT count(*) FROM nodes WHERE name LIKE 'Bezig %'")[0].int(0) == 5)

        // One that waits past the limit is rolled back; the next command hears why.
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner \"Vergeten\"").status.hasPrefix("OK key="))
        usleep(2_500_000)
        #expect(try client.request("ADD partner \"Te laat\"").status == "ERR CONFLICT batch rolled back after 1 s idle; nothing was written")
        #expect(try db.query("SELECT count(*) FROM nodes WHERE name IN ('Vergeten', 'Te laat')")[0].int(0) == 0)
        #expect(try client.request("COMMIT").status.hasPrefix("ERR CONFLICT no batch is open"))
        #expect(try client.request("PING").status == "OK pong")
        #expect(try client.request("INFO").lines.contains("stat name=batches value=0"))
        #expect(try client.request("ADD partner \"Daarna\"").status.hasPrefix("OK key="))
        #expect(try db.query("SELECT count(*) FROM nodes WHERE name = 'Daarna'")[0].int(0) == 1)
        #expect(try daemon.stop() == 0)
    }

    /// Waiting for a pooled connection has a deadline.
    @Test func waitingForAPooledConnectionEnds() throws {
        let conninfo = try SharedCluster.freshDatabase("pool-wait")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let pool = ConnectionPool(conninfo: conninfo, maxConnections: 1, eventLoopGroup: group, maximumWait: .milliseconds(300))
        let loop = group.next()
        let held = try pool.checkout(on: loop).wait()
        let started = Date()
        do {
            _ = try pool.withConnection(on: loop) { try $0.query("SELECT 1") }.wait()
            Issue.record("a job got a connection that was held")
        } catch let error as PQError {
            #expect(error.kind == .poolExhausted)
        }
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.25 && waited < 2, "waited \(waited) s")
        pool.checkin(held)
        #expect(try pool.withConnection(on: loop) { try $0.query("SELECT 1").count }.wait() == 1)
        let shutdown = DispatchSemaphore(value: 0)
        Task { await pool.shutdown(); shutdown.signal() }
        shutdown.wait()
    }
}
