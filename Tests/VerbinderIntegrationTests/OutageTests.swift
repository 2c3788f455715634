import Foundation
import Testing
import VerbinderCluster

/// The daemon survives a database restart without being restarted itself.
@Suite("Database outage")
struct OutageTests {
    @Test func findFailsWhileDatabaseIsDownAndWorksAfter() throws {
        let cluster = PostgresCluster(directory: NSTemporaryDirectory() + "verbinder-outage-\(getpid())")
        defer { cluster.destroy() }
        try cluster.createIfNeeded()
        let (code, output) = try runVerbinderd(["seed", "--database-url", cluster.conninfo])
        #expect(code == 0, "\(output)")
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
}
