import Foundation
import Testing
import VerbinderProtocol

/// The line protocol over a real socket, against a real daemon on a seeded PostgreSQL.
@Suite("Line protocol over TCP")
struct LineProtocolTests {
    @Test func greetingPingQuit() throws {
        let client = try SeededDaemon.get().connect()
        let greeting = try #require(try client.readLine())
        #expect(greeting.hasPrefix("OK verbinder ") && greeting.hasSuffix(" ready protected=yes"))
        #expect(try client.request("PING").status == "OK pong")
        #expect(try client.request("ping").status == "OK pong")
        #expect(try client.request("QUIT").status == "OK bye")
        #expect(try client.readLine() == nil)
    }

    @Test func helpListsEveryCommandWithUsage() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("HELP")
        let records = try lines.map(parseRecord)
        let names = Set(records.map { $0.fields["name"] ?? "" })
        for verb in ["PING", "HELP", "QUIT", "FORMAT", "INFO", "FIND", "SHOW"] { #expect(names.contains(verb)) }
        #expect(records.allSatisfy { $0.type == "command" && $0.fields["usage"] != nil && $0.fields["summary"] != nil })
        #expect(status == "OK commands=\(records.count)")
        let one = try client.request("HELP find")
        #expect(one.lines.count == 1 && one.lines[0].contains("usage=\"FIND <text>"))
        #expect(try client.request("HELP NOSUCH").status.hasPrefix("ERR UNKNOWN"))
    }

    @Test func formatJSONThenText() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        #expect(try client.request("FORMAT json").status == "OK format=json")
        let (lines, status) = try client.request("FIND sudwest")
        #expect(status == "OK rows=1")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["type"] as? String == "node")
        #expect(object["key"] as? String == "GM1900")
        #expect(object["name"] as? String == "Súdwest-Fryslân")
        #expect(try client.request("FORMAT text").status == "OK format=text")
        #expect(try client.request("FIND sudwest").lines[0].hasPrefix("node key=GM1900"))
        #expect(try client.request("FORMAT xml").status.hasPrefix("ERR USAGE"))
    }

    @Test func infoReportsStats() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("INFO")
        #expect(status.hasPrefix("OK"))
        var stats: [String: String] = [:]
        for line in lines {
            let record = try parseRecord(line)
            #expect(record.type == "stat")
            stats[record.fields["name"]!] = record.fields["value"]
        }
        #expect(stats["version"] != nil)
        #expect(Int(stats["uptime_s"] ?? "") != nil)
        #expect(Int(stats["connections"] ?? "0")! >= 1)
        #expect(Int(stats["commands"] ?? "0")! >= 1)
        #expect(stats["database"] == "up")
        #expect(Int(stats["nodes"] ?? "0")! > 342)
        #expect(Int(stats["relations"] ?? "0")! > 342)
    }

    @Test func halfClosedClientGetsEveryResponse() throws {
        let client = try SeededDaemon.get().connect()
        try client.send("PING\nFIND drenthe\n")
        client.shutdownWrite()
        let lines = try client.readToEnd()
        #expect(lines.first?.hasPrefix("OK verbinder") == true)
        #expect(lines[1] == "OK pong")
        #expect(lines.contains { $0.contains("key=GM1731") && $0.contains("name=Midden-Drenthe") })
        #expect(lines.last?.hasPrefix("OK rows=") == true)
    }

    @Test func lastLineWithoutNewlineIsARequest() throws {
        let client = try SeededDaemon.get().connect()
        try client.send("PING\nPING")
        client.shutdownWrite()
        let lines = try client.readToEnd()
        #expect(lines.count == 3 && lines.first?.hasPrefix("OK verbinder") == true)
        #expect(Array(lines.dropFirst()) == ["OK pong", "OK pong"])
    }

    @Test func thousandPipelinedPingsInOneWrite() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        try client.send(String(repeating: "PING\n", count: 1000))
        for _ in 0..<1000 { #expect(try client.readLine() == "OK pong") }
        #expect(try client.request("PING").status == "OK pong")
    }

    @Test func responsesKeepOrderAcrossDatabaseAndMemoryCommands() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        try client.send("FIND drenthe limit=1\nPING\nSHOW GM1731\nPING\n")
        #expect(try client.readResponse().status == "OK rows=1")
        #expect(try client.readResponse().status == "OK pong")
        #expect(try client.readResponse().lines.first?.hasPrefix("node key=GM1731") == true)
        #expect(try client.readResponse().status == "OK pong")
    }

    @Test func overlongLineThenPing() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        try client.send(Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + [0x0A])
        #expect(try client.readResponse().status.hasPrefix("ERR TOOLONG"))
        #expect(try client.request("PING").status == "OK pong")
    }

    @Test func badInputGetsErrorsAndTheConnectionStays() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        #expect(try client.request("SHOW \"unbalanced").status.hasPrefix("ERR SYNTAX"))
        try client.send(Array("FIND ".utf8) + [0xC3, 0x28, 0x0A])
        #expect(try client.readResponse().status.hasPrefix("ERR SYNTAX"))
        #expect(try client.request("FROBNICATE now").status.hasPrefix("ERR UNKNOWN"))
        #expect(try client.request("FIND").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("FIND x bogus=1").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("FIND x limit=zero").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("FIND x kind=planet").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("SHOW GM9999").status.hasPrefix("ERR NOTFOUND"))
        try client.send("\n# comment\n   \nPING\r\n")
        #expect(try client.readResponse().status == "OK pong")
    }

    @Test func ambiguousNameListsCandidates() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("SHOW Groningen")
        #expect(status.hasPrefix("ERR AMBIGUOUS"))
        let keys = Set(try lines.map { try parseRecord($0).fields["key"] ?? "" })
        #expect(keys.isSuperset(of: ["GM0014", "PV20"]))
    }
}

