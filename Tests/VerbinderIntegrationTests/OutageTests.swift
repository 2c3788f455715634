import Foundation
import Testing
import VerbinderCluster

/// The daemon survives a database restart without being restarted itself.
@Suite("Database outage")
struct OutageTests {
    /// A private cluster (the test stops and starts it), created and loaded with the seed.
    func seededCluster(_ label: String) throws -> PostgresCluster {
        let cluster = PostgresCluster(directory: NSTemporaryDirectory() + "verbinder-\(label)-\(getpid())")
        try cluster.createIfNeeded()
        let (code, output) = try runVerbinderd(["seed", "--database-url", cluster.conninfo])
        guard code == 0 else { throw HarnessError("seed failed: \(output)") }
        return cluster
    }

    @Test func findFailsWhileDatabaseIsDownAndWorksAfter() throws {
        let cluster = try seededCluster("outage")
        defer { cluster.destroy() }
        let daemon = try Daemon(conninfo: cluster.conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("FIND drenthe").status.hasPrefix("OK rows="))

        try cluster.stop()
        #expect(try client.request("FIND drenthe").status.hasPrefix("ERR UNAVAILABLE"))
        #expect(try client.request("PING").status == "OK pong")
        let info = try client.request("INFO")
        #expect(info.lines.contains("stat name=database value=down"))

        try cluster.start()
        #expect(try client.request("FIND drenthe").status.hasPrefix("OK rows="))
        #expect(try daemon.stop() == 0)
    }

    /// Every pooled connection was open and idle when PostgreSQL restarted: the first commands
    /// after it is back, reads and writes, work (the broken connections are replaced first).
    @Test func theFirstCommandsAfterARestartWork() throws {
        let cluster = try seededCluster("restart")
        defer { cluster.destroy() }
        let daemon = try Daemon(conninfo: cluster.conninfo, extraArguments: ["--pool-size", "4"])
        // Fill the pool: four connections in use at once, then idle.
        let clients = try (0..<4).map { _ in try daemon.connect() }
        for client in clients { _ = try client.readLine() }
        for client in clients { try client.send("FIND drenthe\nTRAJECTORIES\n") }
        for client in clients {
            #expect(try client.readResponse().status.hasPrefix("OK rows="))
            #expect(try client.readResponse().status.hasPrefix("OK rows="))
        }
        try cluster.stop()
        try cluster.start()
        // No command ran while the database was away: every pooled connection is stale now.
        for (index, client) in clients.enumerated() {
            #expect(try client.request("FIND drenthe").status.hasPrefix("OK rows="), "client \(index)")
            #expect(try client.request("ADD partner \"Na herstart \(index)\"").status.hasPrefix("OK key="), "client \(index)")
            #expect(try client.request("TRAJECTORIES").status.hasPrefix("OK rows="), "client \(index)")
        }
        #expect(try daemon.stop() == 0)
    }
}
