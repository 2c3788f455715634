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
        for (label, daemon) in [("the writing daemon", writer), ("the other daemon", other)] {
            let client = try daemon.connect()
            _ = try client.readLine()
            var differing: [String] = []
            var shownNames: [String: String] = [:]
            let deadline = Date().addingTimeInterval(10)
            repeat {
                differing = try keys.filter { key in
                    let line = try client.request("SHOW \(key)").lines.first ?? ""
                    shownNames[key] = try parseRecord(line).fields["name"]
                    return shownNames[key] != stored[key]
                }
                if differing.isEmpty { break }
                usleep(200_000)
            } while Date() < deadline
            #expect(differing.isEmpty, "\(label): \(differing.count) nodes differ from SQL, e.g. \(differing.prefix(3).map { "\($0) shows \(shownNames[$0] ?? "?"), SQL \(stored[$0] ?? "?")" })")
        }
        #expect(try writer.stop() == 0)
        #expect(try other.stop() == 0)
    }
}

extension CoherenceTests {
    /// A change whose notice never came (its daemon died between the commit and the notice, or
    /// the listening connection was down): the daemons read it from the audit trail within
    /// about a second, also when it changes no count (a rename).
    @Test func aChangeWithoutANoticeArrivesThroughTheAuditTrail() throws {
        let (daemon, client, db) = try freshSeededDaemon("feed-no-notice")
        try db.executeScript("""
            BEGIN;
            UPDATE nodes SET name = 'Midden-Drenthe (zonder bericht)', search_name = 'midden-drenthe (zonder bericht)' WHERE key = 'GM1731';
            INSERT INTO audit (actor, command, changes, daemon)
              VALUES ('connector-2', 'SET GM1731 name=...', '{"node": "GM1731", "action": "set"}', 'gone-daemon');
            INSERT INTO relations (from_key, relation, to_key) VALUES ('GM1730', 'works_with', 'GM1731');
            INSERT INTO audit (actor, command, changes, daemon)
              VALUES ('connector-2', 'LINK GM1731 works_with GM1730', '{"from": "GM1730", "relation": "works_with", "to": "GM1731", "action": "link"}', 'gone-daemon');
            COMMIT;
            """)
        var name = "", linked = false
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let shown = try client.request("SHOW GM1731").lines
            name = try parseRecord(shown.first ?? "").fields["name"] ?? ""
            linked = shown.contains { $0.contains("relation=works_with") && $0.contains("GM1730") }
            if name.hasSuffix("(zonder bericht)") && linked { break }
            usleep(100_000)
        } while Date() < deadline
        #expect(name == "Midden-Drenthe (zonder bericht)")
        #expect(linked)
        #expect(try daemon.stop() == 0)
    }
}

extension Thread {
    /// Waits until the thread has finished (polling; tests only).
    func join() { while !isFinished { usleep(10_000) } }
}
