import Foundation
import Testing
import VerbinderClient

/// The client library (`VerbinderClient`) against a real daemon: what `verbinder` is built on.
@Suite("Client library")
struct ClientLibraryTests {
    @Test func pipelinedRequestsComeBackInOrderToTheirStatusLines() throws {
        let daemon = try SeededDaemon.get()
        let connection = try Connection(address: .tcp(host: "127.0.0.1", port: daemon.port))
        let greeting = try #require(try connection.readLine())
        #expect(greeting.text.hasPrefix("OK verbinder"))
        // 500 requests written before any answer is read: SHOW answers with data lines, PING without.
        for index in 0..<500 { connection.queue(index % 2 == 0 ? "SHOW GM0153" : "PING") }
        try connection.flush()
        for index in 0..<500 {
            var data: [[UInt8]] = []
            let status = try connection.readResponse { data.append($0) }
            if index % 2 == 0 {
                #expect(status.text == "OK links=\(data.count - 1)")
                #expect(data.first?.text.hasPrefix("node key=GM0153") == true)
            } else {
                #expect(status.text == "OK pong" && data.isEmpty)
            }
        }
        let (data, status) = try connection.request("FIND \"'s-Hertogenbosch\"")
        #expect(isStatusLine(status) && !isErrorLine(status))
        #expect(data.contains { $0.text.contains("key=GM0796") })
    }

    @Test func addressesParseAndBadOnesAreRefused() throws {
        #expect(try Address.parse("db1.example.nl:7412") == .tcp(host: "db1.example.nl", port: 7412))
        #expect(try Address.parse("[::1]:7411") == .tcp(host: "::1", port: 7411))
        #expect(try Address.parse("unix:/run/verbinder.sock") == .unix(path: "/run/verbinder.sock"))
        #expect(throws: ClientFailure.self) { try Address.parse("host:99999") }
        #expect(throws: ClientFailure.self) { try Connection(address: .unix(path: "/nonexistent/socket"), timeoutSeconds: 1) }
    }
}

/// The command table on the wire: each form's arguments and options, and its usage in the error.
@Suite("Forms on the wire")
struct FormTests {
    @Test func aSubVerbTakesOnlyItsOwnOptionsAndArgumentCount() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        #expect(try client.request("MILESTONE DONE 4 reason=x").status == "ERR USAGE unknown option reason=; usage: MILESTONE DONE <id> [note=...]")
        #expect(try client.request("MILESTONE DONE").status == "ERR USAGE usage: MILESTONE DONE <id> [note=...]")
        #expect(try client.request("milestone history 1 2").status == "ERR USAGE usage: MILESTONE HISTORY <id>")
        #expect(try client.request("TRAJECTORY ADD x \"X\" kind=codesign lead=GM0153 status=done").status.hasPrefix("ERR USAGE unknown option status="))
        #expect(try client.request("REMINDERS ACK 1 t lease=5m").status.hasPrefix("ERR USAGE unknown option lease="))
        #expect(try client.request("MILESTONE FROB 1").status == "ERR USAGE usage: MILESTONE ADD|DONE|REOPEN|MOVE|CANCEL|HISTORY ...")
        #expect(try client.request("SHOW").status == "ERR USAGE usage: SHOW <node>")
        #expect(try client.request("PING").status == "OK pong")
    }
}
