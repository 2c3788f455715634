#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram
import Synchronization

// MARK: - Worker

final class Worker: @unchecked Sendable {
    let id: Int
    let options: Options
    let shared: Shared
    let workload: Workload
    var conns: [Conn] = []
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    var perVerb: [Histogram<UInt64>]
    var perVerbErrors: [Int]
    var errors = 0
    var errorSamples: [String: Int] = [:]
    var measuredCompleted = 0
    var bytesIn = 0
    var bytesOut = 0
    var pollfds: [pollfd] = []
    var connectFailures = 0
    var closedByPeer = 0

    init(id: Int, options: Options, shared: Shared, workload: Workload) {
        self.id = id
        self.options = options
        self.shared = shared
        self.workload = workload
        perVerb = workload.verbs.map { _ in
            Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
        }
        perVerbErrors = Array(repeating: 0, count: workload.verbs.count)
    }

    func connectionCount() -> Int {
        let total = options.connections, threads = options.threads
        return total / threads + (id < total % threads ? 1 : 0)
    }

    func run() {
        for _ in 0..<connectionCount() {
            guard let fd = connectTCP(host: options.host, port: options.port) else {
                connectFailures += 1
                continue
            }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let conn = Conn(fd: fd, depth: options.pipeline, greeting: options.greeting)
            conns.append(conn)
            pollfds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }
        if connectFailures > 0 { _ = shared.failed.add(connectFailures, ordering: .relaxed) }
        // Wait for the greetings of our connections, then for the other workers.
        let greetingDeadline = now() + 10_000_000_000
        while conns.contains(where: { $0.awaitingGreeting && !$0.closed }) && now() < greetingDeadline {
            pollOnce(timeout: 50)
        }
        _ = shared.readyWorkers.add(1, ordering: .acquiring)
        while shared.phase.load(ordering: .acquiring) == 0 { usleep(200) }
        for conn in conns where !conn.closed { topUp(conn) }
        while true {
            let phase = shared.phase.load(ordering: .relaxed)
            if phase >= 3 && conns.allSatisfy({ $0.inFlight == 0 || $0.closed }) { break }
            if phase >= 4 { break }  // drain timed out
            pollOnce(timeout: 5)
        }
        for conn in conns where !conn.closed { close(conn.fd) }
    }

    func pollOnce(timeout: Int32) {
        guard !pollfds.isEmpty else { usleep(UInt32(timeout) * 1000); return }
        let count = poll(&pollfds, nfds_t(pollfds.count), timeout)
        guard count > 0 else { return }
        for i in 0..<pollfds.count {
            let flags = Int32(pollfds[i].revents)
            if flags == 0 { continue }
            pollfds[i].revents = 0
            let conn = conns[i]
            if conn.closed { continue }
            if flags & Int32(POLLOUT) != 0 { flush(conn) }
            if flags & Int32(POLLIN | POLLHUP | POLLERR) != 0 { readAvailable(conn) }
        }
    }

    func readAvailable(_ conn: Conn) {
        while true {
            conn.reserve(16 * 1024)
            let n = read(conn.fd, conn.input + conn.end, conn.capacity - conn.end)
            if n > 0 {
                conn.end += n
                bytesIn += n
                if conn.capacity - conn.end > 0 { break }  // short read: drained
                continue
            }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                closedByPeer += 1
                conn.closed = true
                if let index = conns.firstIndex(where: { $0 === conn }) { pollfds[index].fd = -1 }
                close(conn.fd)
                // What it had in flight is lost: count those as errors so the run still ends.
                errors += conn.inFlight
                conn.inFlight = 0
                return
            }
            if errno == EINTR { continue }
            break
        }
        parse(conn)
        topUp(conn)
    }

    func parse(_ conn: Conn) {
        let redis = options.protocolKind == .redis
        var stamp: UInt64 = 0
        let phase = shared.phase.load(ordering: .relaxed)
        while conn.start < conn.end {
            var isError = false
            var errorLine: (Int, Int)? = nil
            let next = redis
                ? scanRedis(conn.input, from: conn.start, to: conn.end, isError: &isError, errorLine: &errorLine)
                : scanVerbinder(conn.input, from: conn.start, to: conn.end, isError: &isError, errorLine: &errorLine)
            guard let next else { break }
            conn.start = next
            if conn.awaitingGreeting {
                conn.awaitingGreeting = false
                continue
            }
            guard conn.inFlight > 0 else { continue }  // unsolicited (e.g. ERR BUSY): ignore
            if stamp == 0 { stamp = now() }
            let sent = conn.sentAt[conn.head]
            let verb = conn.verbOf[conn.head]
            conn.head = (conn.head + 1) % options.pipeline
            conn.inFlight -= 1
            if phase == 2 || phase == 3 {
                let latency = stamp > sent ? stamp - sent : 0
                histogram.record(latency)
                perVerb[verb].record(latency)
                measuredCompleted += 1
                if isError {
                    errors += 1
                    perVerbErrors[verb] += 1
                    if let (a, b) = errorLine, errorSamples.count < 8 || errorSamples[sample(conn, a, b)] != nil {
                        errorSamples[sample(conn, a, b), default: 0] += 1
                    }
                }
            }
            if options.requests != nil {
                _ = shared.completed.add(1, ordering: .relaxed)
            }
        }
    }

    func sample(_ conn: Conn, _ a: Int, _ b: Int) -> String {
        // The error code only (first two words), so distinct messages do not flood the report.
        let text = String(decoding: UnsafeBufferPointer(start: conn.input + a, count: min(b - a, 120)), as: UTF8.self)
        return text.split(separator: " ").prefix(2).joined(separator: " ")
    }

    func topUp(_ conn: Conn) {
        guard !conn.closed, !conn.awaitingGreeting else { return }
        let phase = shared.phase.load(ordering: .relaxed)
        guard phase >= 1 && phase <= 2 else { return }
        let missing = options.pipeline - conn.inFlight
        guard missing > 0 else { return }
        var added = 0
        let stamp = now()
        for _ in 0..<missing {
            if shared.requestQuota > 0 {
                let ticket = shared.issued.add(1, ordering: .relaxed).newValue
                if ticket > shared.requestQuota { break }
            }
            let index = shared.nextLine.add(1, ordering: .relaxed).oldValue % workload.payloads.count
            conn.output.append(contentsOf: workload.payloads[index])
            let slot = (conn.head + conn.inFlight) % options.pipeline
            conn.sentAt[slot] = stamp
            conn.verbOf[slot] = workload.verbIndex[index]
            conn.inFlight += 1
            added += 1
        }
        if added > 0 && !conn.wantsWrite { flush(conn) }
    }

    func flush(_ conn: Conn) {
        while conn.outputSent < conn.output.count {
            let n = conn.output.withUnsafeBytes { raw in
                write(conn.fd, raw.baseAddress! + conn.outputSent, raw.count - conn.outputSent)
            }
            if n > 0 {
                conn.outputSent += n
                bytesOut += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if !conn.wantsWrite {
                    conn.wantsWrite = true
                    setInterest(conn, write: true)
                }
                return
            }
            return  // an error: the read side will notice the close
        }
        conn.output.removeAll(keepingCapacity: true)
        conn.outputSent = 0
        if conn.wantsWrite {
            conn.wantsWrite = false
            setInterest(conn, write: false)
        }
    }

    func setInterest(_ conn: Conn, write: Bool) {
        guard let index = conns.firstIndex(where: { $0 === conn }) else { return }
        pollfds[index].events = Int16(POLLIN) | (write ? Int16(POLLOUT) : 0)
    }
}
