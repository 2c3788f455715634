import Foundation
import Testing

/// Clients that do not read (issue 14, finding 2): back-pressure on every connection.
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
                // Near, not at, the start: 4 to 7 MiB stay (malloc_trim(0) did not change that), the same after every round.
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
}

/// A value handed to another thread on purpose (a blocking client, one writer and one reader).
final class Shared<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
