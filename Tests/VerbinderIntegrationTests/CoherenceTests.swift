import Foundation
import PQ
import Testing
import VerbinderCluster

/// The in-memory copy never lies: after a storm of writes across a PostgreSQL restart, what
/// every daemon shows is what PostgreSQL holds, node by node.
@Suite("Memory and database agree")
struct CoherenceTests {
    @Test func aSetStormAcrossADatabaseRestartLeavesEveryDaemonEqualToSQL() throws {
        let cluster = PostgresCluster(directory: NSTemporaryDirectory() + "verbinder-coherence-\(getpid())")
        defer { cluster.destroy() }
        try cluster.createIfNeeded()
        // A graph large enough that reloading it takes a while, as in production.
        let directory = NSTemporaryDirectory() + "verbinder-coherence-graph-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let make = try ChildProcess(["/usr/bin/env", "python3", Paths.repository + "/scripts/make-synthetic-graph", directory,
                                     "--nodes", "20000", "--relations", "200000", "--seed", "11"])
        #expect(try make.wait(timeout: 120) == 0, "\(make.output)")
        let (code, output) = try runVerbinderd(["seed", "--database-url", cluster.conninfo, "--seed-dir", directory])
        #expect(code == 0, "\(output)")
        let writer = try Daemon(conninfo: cluster.conninfo)
        let other = try Daemon(conninfo: cluster.conninfo)
        let db = try Connection(cluster.conninfo)
        let keys = try db.query("SELECT key FROM nodes WHERE kind = 'municipality' ORDER BY key LIMIT 320").all.map { try $0.string(0) }
        db.close()

        let started = Date()
        let controller = Thread {
            Thread.sleep(forTimeInterval: 1.5)
            try? cluster.stop()
            Thread.sleep(forTimeInterval: 1.5)
            try? cluster.start()
        }
        controller.start()
        // Eight clients, each renaming its own forty municipalities over and over.
        let port = writer.port
        _ = try onThreads(8) { worker -> Int in
            let client = try LineClient(port: port)
            _ = try client.readLine()
            let mine = keys.enumerated().filter { $0.offset % 8 == worker }.map(\.element)
            var round = 0, ok = 0
            while Date().timeIntervalSince(started) < 7 {
                for key in mine {
                    let status = try client.request("SET \(key) name=\"Storm \(key) \(round)\"").status
                    if status.hasPrefix("OK") { ok += 1 } else { usleep(20_000) }
                }
                round += 1
            }
            return ok
        }
        controller.join()

        // Give the other daemon a moment to apply the last notices, then compare.
        let check = try Connection(cluster.conninfo)
        let stored = Dictionary(uniqueKeysWithValues: try check.query("SELECT key, name FROM nodes WHERE key = ANY($1::text[])",
                                                                      [PostgresArray.literal(keys)]).all.map { (try $0.string(0), try $0.string(1)) })
        for daemon in [writer, other] {
            let client = try daemon.connect()
            _ = try client.readLine()
            var differing: [String] = []
            let deadline = Date().addingTimeInterval(10)
            repeat {
                differing = try keys.filter { key in
                    let line = try client.request("SHOW \(key)").lines.first ?? ""
                    return try parseRecord(line).fields["name"] != stored[key]
                }
                if differing.isEmpty { break }
                usleep(200_000)
            } while Date() < deadline
            #expect(differing.isEmpty, "daemon on port \(daemon.port): \(differing.count) nodes differ from SQL, e.g. \(differing.prefix(3))")
        }
        #expect(try writer.stop() == 0)
        #expect(try other.stop() == 0)
    }
}

extension Thread {
    /// Waits until the thread has finished (polling; tests only).
    func join() { while !isFinished { usleep(10_000) } }
}
