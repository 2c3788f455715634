import Foundation
import Testing

/// Clients that do not read, and clients that send slowly (issue 14, findings 2 and 7):
/// back-pressure on every connection, the line timeout, the idle timeout from the last
/// complete request, and the per-address cap.
@Suite("Slow clients")
struct SlowClientTests {
    /// Under AddressSanitizer freed memory sits in quarantine, so RSS says nothing there.
    var measuresMemory: Bool { ProcessInfo.processInfo.environment["VERBINDER_SANITIZER"] == nil }

    @Test func nonReadingPipelinersKeepTheDaemonsMemoryBounded() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("nonreading"))
        let pid = daemon.process.pid
        let normal = try daemon.connect()
        _ = try normal.readLine()
        let show = try normal.request("SHOW vng")
        #expect(show.status.hasPrefix("OK links="))
        let answerBytes = show.lines.reduce(show.status.utf8.count + 1) { $0 + $1.utf8.count + 1 }
        for _ in 0..<20 { _ = try normal.request("SHOW vng") }
        usleep(300_000)
        let before = try rss(pid)

        // Ten clients pipeline 100,000 `SHOW vng` each and read nothing; twice, to see that
        // what the first ten cost is given back rather than piling up.
        for round in 1...2 {
            let requests = 100_000
            let payload = Array(String(repeating: "SHOW vng\n", count: requests).utf8)
            var clients: [LineClient] = []
            for _ in 0..<10 {
                let client = try daemon.connect()
                _ = try client.readLine()
                clients.append(client)
            }
            var sent = Array(repeating: 0, count: clients.count)
            var peak = before
            let sendDeadline = Date().addingTimeInterval(15)
            while Date() < sendDeadline, sent.contains(where: { $0 < payload.count }) {
                for index in clients.indices where sent[index] < payload.count {
                    sent[index] += clients[index].sendWithoutWaiting(payload[sent[index]...])
                }
                peak = max(peak, try rss(pid))
                usleep(20_000)
            }
            // They keep waiting without reading; the daemon holds only what back-pressure allows.
            for _ in 0..<20 {
                peak = max(peak, try rss(pid))
                usleep(100_000)
            }
            // Another client is served meanwhile.
            let started = Date()
            #expect(try normal.request("PING").status == "OK pong")
            let pingMilliseconds = Int(Date().timeIntervalSince(started) * 1000)

            clients.removeAll()  // closes them, with their answers unread
            var after = try rss(pid)
            let settle = Date().addingTimeInterval(5)
            while after > before + 8 << 20, Date() < settle {
                usleep(200_000)
                after = try rss(pid)
            }
            let linesSent = sent.reduce(0, +) / 9
            print("""
                round \(round), 10 non-reading clients: \(linesSent) of \(10 * requests) SHOW vng sent (\(answerBytes) bytes of \
                answer each, \((linesSent * answerBytes) >> 20) MiB if all were answered); daemon RSS \(before >> 10) KiB before, \
                peak \(peak >> 10) KiB (+\((peak - before) >> 10) KiB), \(after >> 10) KiB after they closed \
                (+\((after - before) >> 10) KiB); PING meanwhile \(pingMilliseconds) ms
                """)
            // The clients did get their requests to the daemon's door: far more than it could hold answers for.
            #expect(linesSent * answerBytes > 1 << 30)
            if measuresMemory {
                #expect(peak - before <= 64 << 20, "RSS grew by \((peak - before) >> 10) KiB while the clients did not read")
                // Near, not at, the start: 1 to 7 MiB stay (malloc_trim(0) did not change that), not more after each round.
                #expect(after - before <= 16 << 20, "RSS \(after >> 10) KiB after the clients closed, \(before >> 10) KiB before")
            }
        }
        #expect(try normal.request("PING").status == "OK pong")
        #expect(try daemon.stop() == 0)
    }

    @Test func aPipelinedClientThatReadsGetsEveryAnswerInOrder() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("pipelined"))
        let client = Shared(try daemon.connect())
        _ = try client.value.readLine()
        let links = try client.value.request("SHOW vng").status
        #expect(links.hasPrefix("OK links="))
        // Memory answers, database answers (FIND), large answers (SHOW vng, past the high-water
        // mark many times over) and errors, pipelined; each status tells which request it answers.
        let count = 20_000
        var requests: [String] = []
        var expected: [String] = []
        for index in 0..<count {
            switch index % 5 {
            case 0, 2:
                requests.append("PING")
                expected.append("OK pong")
            case 1:
                requests.append("FIND drenthe limit=\(1 + index % 7)")
                expected.append("OK rows=\(1 + index % 7)")
            case 3:
                requests.append(index % 20 == 3 ? "SHOW vng" : "SHOW GM1731")
                expected.append(index % 20 == 3 ? links : "OK links=")
            default:
                requests.append("SHOW \"unclosed")
                expected.append("ERR SYNTAX")
            }
        }
        let bytes = Array((requests.joined(separator: "\n") + "\n").utf8)
        let writer = Thread {
            try? client.value.send(bytes)
            client.value.shutdownWrite()  // as `nc -N`: everything received must still be answered
        }
        writer.start()
        var statuses: [String] = []
        var dataBytes = 0
        while let line = try client.value.readLine() {
            if line.hasPrefix("OK") || line.hasPrefix("ERR") { statuses.append(line) } else { dataBytes += line.utf8.count + 1 }
        }
        print("pipelined: \(statuses.count) answers in order, \(dataBytes >> 20) MiB of records, read while sending")
        #expect(statuses.count == count)
        let mismatch = zip(statuses, expected).enumerated().first { !$0.element.0.hasPrefix($0.element.1) || ($0.element.1 == links && $0.element.0 != links) }
        #expect(mismatch == nil, "answer \(mismatch?.offset ?? -1) to \(mismatch.map { requests[$0.offset] } ?? ""): \(mismatch?.element.0 ?? "")")
        #expect(try daemon.stop() == 0)
    }

    @Test func aLineTricklingOneByteASecondIsClosedWithinTheLineTimeout() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("loris"), extraArguments: ["--line-timeout", "2"])
        let client = try LineClient(port: daemon.port, timeout: 1)
        _ = try client.readLine()
        // A line that ends within the limit is served.
        try client.send("PI")
        usleep(1_000_000)
        try client.send("NG\n")
        #expect(try client.readResponse().status == "OK pong")
        // One byte a second: the line never ends in time.
        let started = Date()
        let closedAfter = try Self.secondsUntilClosed(client, sending: Array("SHOW GM1731".utf8), every: 1, within: 8)
        print("a line trickling one byte a second was closed after \(closedAfter.map { String(format: "%.2f", $0) } ?? "-") s (--line-timeout 2)")
        let seconds = try #require(closedAfter)
        #expect(seconds >= 1.8 && seconds <= 3.5, "closed \(seconds) s after the line started")
        _ = started
        #expect(daemon.process.output.contains("line timeout"))
        let fresh = try daemon.connect()
        _ = try fresh.readLine()
        #expect(try fresh.request("PING").status == "OK pong")
        #expect(try daemon.stop() == 0)
    }

    @Test func theIdleTimeoutCountsFromTheLastCompleteRequest() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("idle"), extraArguments: ["--idle-timeout", "2", "--line-timeout", "60"])
        // Complete requests every second keep a connection open past the idle timeout.
        let busy = try LineClient(port: daemon.port, timeout: 3)
        _ = try busy.readLine()
        for _ in 0..<4 {
            #expect(try busy.request("PING").status == "OK pong")
            usleep(1_000_000)
        }
        // A trickle of bytes without a newline does not: closed 2 s after the last complete request.
        let trickler = try LineClient(port: daemon.port, timeout: 1)
        _ = try trickler.readLine()
        #expect(try trickler.request("PING").status == "OK pong")
        let closedAfter = try Self.secondsUntilClosed(trickler, sending: Array("FIND drenthe limit=1".utf8), every: 0.5, within: 8)
        print("an idle connection trickling bytes was closed \(closedAfter.map { String(format: "%.2f", $0) } ?? "-") s after its last complete request (--idle-timeout 2)")
        let seconds = try #require(closedAfter)
        #expect(seconds >= 1.8 && seconds <= 3.5, "closed \(seconds) s after the last complete request")
        // The busy connection has had nothing to do since: it is idle too.
        #expect(try !busy.isOpen(waitingAtMost: 3))
        #expect(try daemon.stop() == 0)
    }

    @Test func aClientThatReadsNoneOfItsAnswersIsClosedAfterTheIdleTimeout() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("unread"), extraArguments: ["--idle-timeout", "2"])
        let stalled = try daemon.connect()
        _ = try stalled.readLine()
        // Requests enough to fill every buffer on the way back, and nothing read.
        let payload = Array(String(repeating: "SHOW vng\n", count: 20_000).utf8)
        let started = Date()
        _ = stalled.send(payload, until: started.addingTimeInterval(1))
        var closedAfter: Double?
        while closedAfter == nil, Date().timeIntervalSince(started) < 8 {
            usleep(100_000)
            if daemon.process.output.contains("the client read none of its answers") { closedAfter = Date().timeIntervalSince(started) }
        }
        print("a client that read none of its answers was closed after \(closedAfter.map { String(format: "%.2f", $0) } ?? "-") s (--idle-timeout 2)")
        let seconds = try #require(closedAfter)
        #expect(seconds >= 1.8 && seconds <= 4.5)
        let probe = try daemon.connect()
        _ = try probe.readLine()
        #expect(try probe.request("INFO").lines.contains("stat name=connections value=1"))
        #expect(try daemon.stop() == 0)
    }

    @Test func slowLorisConnectionsFillTheirAddressCapOnlyUntilTheLineTimeout() throws {
        let daemon = try Daemon(conninfo: try seededDatabase("cap"), extraArguments: ["--line-timeout", "2", "--max-per-address", "20"])
        var loris: [LineClient] = []
        for _ in 0..<20 {
            let client = try daemon.connect()
            #expect(try client.readLine()?.hasPrefix("OK verbinder") == true)
            try client.send("FIND dren")
            loris.append(client)
        }
        // The cap is per address: while the 20 are open, the next client of that address is refused.
        let refused = try daemon.connect()
        #expect(try refused.readLine()?.hasPrefix("ERR BUSY too many connections from 127.0.0.1 (20)") == true)
        // Their lines never end, so the line timeout closes them and the address is served again.
        let started = Date()
        var served: Double?
        while served == nil, Date().timeIntervalSince(started) < 8 {
            usleep(250_000)
            let client = try daemon.connect()
            if try client.readLine()?.hasPrefix("OK verbinder") == true, try client.request("PING").status == "OK pong" {
                served = Date().timeIntervalSince(started)
            }
        }
        print("20 slow-loris connections held the address cap for \(served.map { String(format: "%.2f", $0) } ?? "-") s (--line-timeout 2)")
        let seconds = try #require(served)
        #expect(seconds <= 4)
        for client in loris { #expect(try client.readLine() == nil) }
        #expect(try daemon.stop() == 0)
    }

    /// Sends `bytes` one at a time, `every` seconds, until the daemon closes the connection;
    /// returns the seconds from the first byte to the close, or nil if it stayed open `within` seconds.
    static func secondsUntilClosed(_ client: LineClient, sending bytes: [UInt8], every interval: Double, within limit: Double) throws -> Double? {
        let started = Date()
        var next = 0
        while Date().timeIntervalSince(started) < limit {
            if next < bytes.count {
                _ = client.sendWithoutWaiting([bytes[next]][...])
                next += 1
            }
            let waitUntil = started.addingTimeInterval(Double(next) * interval)
            while Date() < waitUntil {
                if try !client.isOpen(waitingAtMost: waitUntil.timeIntervalSinceNow) { return Date().timeIntervalSince(started) }
            }
        }
        return nil
    }
}

/// A value handed to another thread on purpose (a blocking client, one writer and one reader).
final class Shared<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
