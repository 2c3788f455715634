// verbinder-bench: a closed-loop load generator for line protocols (Verbinder, Redis inline).
//
// One thread per core (or --threads), each driving its share of the connections with poll(2) on
// non-blocking sockets (Glibc's module map has no epoll; at a few hundred sockets per thread poll is as good). Every connection keeps `-P` requests in flight: each time responses
// arrive it tops the pipeline up again with one write. Latency is measured per request, from the
// moment its bytes are handed to the kernel to the moment its complete response has been read,
// and recorded in an HdrHistogram (nanoseconds, 3 significant digits).
//
// Request lines come from `--request LINE` or `--file FILE` (one request per line); the lines are
// handed out round-robin from one counter shared by all connections, so with `--requests N` at
// most the file's length every line is sent exactly once (what a write benchmark of new pairs needs).
//
// Only ever point it at a server on this machine (127.0.0.1 is the default).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram
import Synchronization

// MARK: - Options

struct Options {
    var host = "127.0.0.1"
    var port = 7411
    var connections = 1
    var pipeline = 1
    var threads = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    var duration: Double? = nil
    var requests: Int? = nil
    var warmup: Double = 0
    var lines: [String] = []
    var greeting = false
    var protocolKind = ProtocolKind.verbinder
    var json = false
    var label = ""
    var idleHold: Double? = nil
    var drainTimeout: Double = 10

    enum ProtocolKind: String { case verbinder, redis }

    static let usage = """
    usage: verbinder-bench [--host H] [--port P] [-c CONNECTIONS] [-P DEPTH] [--threads T]
                           (--duration S | --requests N) [--warmup S]
                           (--request LINE | --file FILE) [--greeting] [--protocol verbinder|redis]
                           [--json] [--label TEXT]
           verbinder-bench --idle-hold S -c N [--host H] [--port P] [--greeting] [--json]

      -c N            connections (default 1), spread over the threads
      -P DEPTH        requests in flight per connection (default 1)
      --threads T     event-loop threads (default: the number of cores)
      --duration S    run for S seconds (default 10 when --requests is not given)
      --requests N    stop after N responses in all
      --warmup S      run S seconds before measuring (not with --requests)
      --request LINE  the request line to send (repeatable: lines used round-robin)
      --file FILE     request lines, one per line, used round-robin across all connections
      --greeting      the server sends one status line first (Verbinder: OK verbinder ... ready)
      --protocol P    verbinder (default): a response ends at a line that is OK, starts with
                      "OK " or "ERR "; redis: RESP replies (+, -, :, $ bulk, * arrays)
      --json          print one JSON object instead of the human summary
      --idle-hold S   open -c connections, read the greetings, print "holding N" on stderr,
                      keep them idle for S seconds, close them and report
    """

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ name: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(name) needs a value") }
            return arguments[index]
        }
        func number(_ name: String) -> Double {
            let text = value(name)
            guard let number = Double(text), number >= 0 else { fail("\(name): not a number: \(text)") }
            return number
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--host": options.host = value(argument)
            case "--port", "-p": options.port = Int(number(argument))
            case "-c", "--connections": options.connections = max(1, Int(number(argument)))
            case "-P", "--pipeline": options.pipeline = max(1, Int(number(argument)))
            case "--threads", "-t": options.threads = max(1, Int(number(argument)))
            case "--duration", "-d": options.duration = number(argument)
            case "--requests", "-n": options.requests = max(1, Int(number(argument)))
            case "--warmup": options.warmup = number(argument)
            case "--request": options.lines.append(value(argument))
            case "--file", "-f":
                let path = value(argument)
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
                options.lines += text.split(separator: "\n").map { line in
                    line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
                }.filter { !$0.isEmpty }
            case "--greeting": options.greeting = true
            case "--protocol":
                let text = value(argument)
                guard let kind = ProtocolKind(rawValue: text) else { fail("--protocol: verbinder or redis") }
                options.protocolKind = kind
            case "--json": options.json = true
            case "--label": options.label = value(argument)
            case "--idle-hold": options.idleHold = number(argument)
            case "--drain-timeout": options.drainTimeout = number(argument)
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown argument \(argument)\n\(usage)")
            }
            index += 1
        }
        if options.idleHold == nil {
            guard !options.lines.isEmpty else { fail("give --request LINE or --file FILE") }
            if options.duration == nil && options.requests == nil { options.duration = 10 }
            if options.requests != nil { options.warmup = 0 }
        }
        options.threads = min(options.threads, options.connections)
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("verbinder-bench: " + message + "\n").utf8))
    exit(2)
}

@inline(__always) func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

// MARK: - Shared state

/// What all worker threads share: the line counter, the phase and the clock marks.
final class Shared: Sendable {
    let nextLine = Atomic<Int>(0)
    let issued = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    /// 0: connecting, 1: warm-up, 2: measuring, 3: stop issuing.
    let phase = Atomic<Int>(0)
    let readyWorkers = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let requestQuota: Int
    init(requestQuota: Int) { self.requestQuota = requestQuota }
}

/// The request lines, pre-encoded, and the verb of each (for per-verb statistics).
struct Workload: @unchecked Sendable {
    let payloads: [[UInt8]]
    let verbIndex: [Int]
    let verbs: [String]

    init(lines: [String], redis: Bool) {
        var verbs: [String] = []
        var verbIndex: [Int] = []
        var payloads: [[UInt8]] = []
        for line in lines {
            let verb = String(line.split(separator: " ", maxSplits: 1).first ?? "").uppercased()
            if let found = verbs.firstIndex(of: verb) { verbIndex.append(found) } else {
                verbs.append(verb)
                verbIndex.append(verbs.count - 1)
            }
            payloads.append(Array((line + (redis ? "\r\n" : "\n")).utf8))
        }
        self.payloads = payloads
        self.verbIndex = verbIndex
        self.verbs = verbs
    }
}

// MARK: - Connections

func connectTCP(host: String, port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { close(fd); return nil }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else { close(fd); return nil }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return fd
}

/// One connection's buffers and the requests it has in flight.
final class Conn {
    let fd: Int32
    var input: UnsafeMutablePointer<UInt8>
    var capacity = 64 * 1024
    var start = 0   // first unparsed byte
    var end = 0     // one past the last byte read
    var output: [UInt8] = []
    var outputSent = 0
    var wantsWrite = false
    // in-flight ring: send time and verb of each outstanding request, oldest first
    var sentAt: [UInt64]
    var verbOf: [Int]
    var head = 0
    var inFlight = 0
    var awaitingGreeting: Bool
    var closed = false

    init(fd: Int32, depth: Int, greeting: Bool) {
        self.fd = fd
        input = .allocate(capacity: capacity)
        sentAt = Array(repeating: 0, count: depth)
        verbOf = Array(repeating: 0, count: depth)
        awaitingGreeting = greeting
    }

    deinit { input.deallocate() }

    /// Makes room for at least `want` more bytes after `end`.
    func reserve(_ want: Int) {
        if start > 0 && (start == end || capacity - end < want) {
            let live = end - start
            if live > 0 { memmove(input, input + start, live) }
            start = 0
            end = live
        }
        if capacity - end < want {
            var newCapacity = capacity * 2
            while newCapacity - end < want { newCapacity *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            bigger.update(from: input, count: end)
            input.deallocate()
            input = bigger
            capacity = newCapacity
        }
    }
}

/// Scans one complete response from `buffer[from..<to]`. Returns the index after it, or nil when
/// the response is not complete yet; `isError` tells whether it was an error status.
@inline(__always)
func scanVerbinder(_ buffer: UnsafeMutablePointer<UInt8>, from: Int, to: Int, isError: inout Bool, errorLine: inout (Int, Int)?) -> Int? {
    var lineStart = from
    while lineStart < to {
        guard let found = memchr(buffer + lineStart, 0x0A, to - lineStart) else { return nil }
        let newline = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self))
        var lineEnd = newline
        if lineEnd > lineStart && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let length = lineEnd - lineStart
        let p = buffer + lineStart
        if length >= 2 && p[0] == 0x4F && p[1] == 0x4B && (length == 2 || p[2] == 0x20) {  // "OK", "OK ..."
            isError = false
            return newline + 1
        }
        if length >= 4 && p[0] == 0x45 && p[1] == 0x52 && p[2] == 0x52 && p[3] == 0x20 {  // "ERR "
            isError = true
            errorLine = (lineStart, lineEnd)
            return newline + 1
        }
        lineStart = newline + 1
    }
    return nil
}

/// RESP: one reply from `buffer[from..<to]`, or nil when incomplete.
func scanRedis(_ buffer: UnsafeMutablePointer<UInt8>, from: Int, to: Int, isError: inout Bool, errorLine: inout (Int, Int)?) -> Int? {
    guard from < to else { return nil }
    guard let found = memchr(buffer + from, 0x0A, to - from) else { return nil }
    let newline = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self))
    let type = buffer[from]
    func integer() -> Int {
        var value = 0
        var negative = false
        var i = from + 1
        if i < newline && buffer[i] == 0x2D { negative = true; i += 1 }
        while i < newline, buffer[i] >= 0x30, buffer[i] <= 0x39 {
            value = value * 10 + Int(buffer[i] - 0x30)
            i += 1
        }
        return negative ? -value : value
    }
    switch type {
    case 0x2B, 0x3A:  // + :
        return newline + 1
    case 0x2D:  // -
        isError = true
        errorLine = (from, newline > from && buffer[newline - 1] == 0x0D ? newline - 1 : newline)
        return newline + 1
    case 0x24:  // $
        let length = integer()
        if length < 0 { return newline + 1 }
        let after = newline + 1 + length + 2
        return after <= to ? after : nil
    case 0x2A:  // *
        let count = integer()
        var position = newline + 1
        if count <= 0 { return position }
        for _ in 0..<count {
            var ignored = false
            var ignoredLine: (Int, Int)? = nil
            guard let next = scanRedis(buffer, from: position, to: to, isError: &ignored, errorLine: &ignoredLine) else { return nil }
            position = next
        }
        return position
    default:
        // Not RESP: treat the line as a reply so the run does not hang.
        isError = true
        errorLine = (from, newline)
        return newline + 1
    }
}

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

// MARK: - Reports

func resourceSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func latencySummary(_ h: Histogram<UInt64>) -> [String: Any] {
    func us(_ value: UInt64) -> Double { (Double(value) / 1000.0 * 10).rounded() / 10 }
    guard h.totalCount > 0 else { return ["count": 0] }
    return [
        "count": Int(h.totalCount),
        "p50_us": us(h.valueAtPercentile(50)),
        "p90_us": us(h.valueAtPercentile(90)),
        "p99_us": us(h.valueAtPercentile(99)),
        "p999_us": us(h.valueAtPercentile(99.9)),
        "max_us": us(h.max),
        "mean_us": (h.mean / 100.0).rounded() / 10,
    ]
}

func printJSON(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

// MARK: - Idle connections

func holdIdle(_ options: Options, seconds: Double) -> Never {
    var fds: [Int32] = []
    var greeted = 0
    for _ in 0..<options.connections {
        guard let fd = connectTCP(host: options.host, port: options.port) else { break }
        fds.append(fd)
    }
    if options.greeting {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        var buffer = [UInt8](repeating: 0, count: 256)
        for fd in fds {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let n = read(fd, &buffer, buffer.count)
            if n > 2 && buffer[0] == 0x4F && buffer[1] == 0x4B { greeted += 1 }
        }
    }
    FileHandle.standardError.write(Data("holding \(fds.count) connections (\(greeted) greeted)\n".utf8))
    usleep(UInt32(seconds * 1_000_000))
    for fd in fds { close(fd) }
    let report: [String: Any] = ["label": options.label, "mode": "idle", "requested": options.connections,
                                 "connected": fds.count, "greeted": greeted, "held_s": seconds]
    if options.json { printJSON(report) } else {
        print("idle: \(fds.count) of \(options.connections) connected, \(greeted) greeted, held \(seconds) s")
    }
    exit(fds.count == options.connections ? 0 : 1)
}

// MARK: - Main

signal(SIGPIPE, SIG_IGN)
let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if let seconds = options.idleHold { holdIdle(options, seconds: seconds) }

let workload = Workload(lines: options.lines, redis: options.protocolKind == .redis)
let shared = Shared(requestQuota: options.requests ?? 0)
let workers = (0..<options.threads).map { Worker(id: $0, options: options, shared: shared, workload: workload) }
let threads: [Thread] = workers.map { worker in
    let thread = Thread { worker.run() }
    thread.stackSize = 1 << 20
    return thread
}
for thread in threads { thread.start() }
let connectDeadline = now() + 15_000_000_000
while shared.readyWorkers.load(ordering: .acquiring) < workers.count {
    if now() > connectDeadline { fail("connections were not ready within 15 s") }
    usleep(500)
}
if shared.failed.load(ordering: .relaxed) == options.connections { fail("could not connect to \(options.host):\(options.port)") }

var cpuAtStart = resourceSeconds()
var startTime = now()
if options.warmup > 0 {
    shared.phase.store(1, ordering: .releasing)
    usleep(UInt32(options.warmup * 1_000_000))
}
cpuAtStart = resourceSeconds()
startTime = now()
shared.phase.store(2, ordering: .releasing)
var endTime: UInt64 = 0
if let quota = options.requests {
    while shared.completed.load(ordering: .relaxed) < quota {
        usleep(200)
        // A request count can never be reached if every connection died.
        if workers.allSatisfy({ $0.conns.allSatisfy(\.closed) }) { break }
    }
    endTime = now()
    shared.phase.store(3, ordering: .releasing)
} else {
    let deadline = startTime + UInt64(options.duration! * 1e9)
    while now() < deadline { usleep(1000) }
    endTime = now()
    shared.phase.store(3, ordering: .releasing)
}
// Let what is in flight arrive (it is counted in the latencies, not in the time).
let drainDeadline = now() + UInt64(options.drainTimeout * 1e9)
var joined = false
while !joined {
    joined = threads.allSatisfy(\.isFinished)
    if !joined {
        if now() > drainDeadline { shared.phase.store(4, ordering: .releasing) }
        usleep(1000)
    }
}
let cpuUsed = resourceSeconds() - cpuAtStart
let elapsed = Double(endTime - startTime) / 1e9

var total = workers[0].histogram
var perVerb = workers[0].perVerb
var perVerbErrors = workers[0].perVerbErrors
var errorSamples: [String: Int] = [:]
var completed = 0, errors = 0, bytesIn = 0, bytesOut = 0, closed = 0, connectFailures = 0
for (n, worker) in workers.enumerated() {
    if n > 0 {
        total.add(worker.histogram)
        for v in 0..<perVerb.count {
            perVerb[v].add(worker.perVerb[v])
            perVerbErrors[v] += worker.perVerbErrors[v]
        }
    }
    completed += worker.measuredCompleted
    errors += worker.errors
    bytesIn += worker.bytesIn
    bytesOut += worker.bytesOut
    closed += worker.closedByPeer
    connectFailures += worker.connectFailures
    for (key, count) in worker.errorSamples { errorSamples[key, default: 0] += count }
}
let throughput = elapsed > 0 ? Double(completed) / elapsed : 0
var verbs: [String: Any] = [:]
for (v, name) in workload.verbs.enumerated() where perVerb[v].totalCount > 0 {
    var summary = latencySummary(perVerb[v])
    summary["rps"] = (Double(perVerb[v].totalCount) / elapsed).rounded()
    summary["errors"] = perVerbErrors[v]
    verbs[name] = summary
}
var report: [String: Any] = [
    "label": options.label,
    "protocol": options.protocolKind.rawValue,
    "host": options.host, "port": options.port,
    "connections": options.connections, "pipeline": options.pipeline, "threads": options.threads,
    "elapsed_s": (elapsed * 1000).rounded() / 1000,
    "completed": completed, "errors": errors,
    "rps": throughput.rounded(),
    "latency": latencySummary(total),
    "verbs": verbs,
    "bytes_in": bytesIn, "bytes_out": bytesOut,
    "closed_by_peer": closed, "connect_failures": connectFailures,
    "client_cpu_s": (cpuUsed * 1000).rounded() / 1000,
    "client_cpu_share": elapsed > 0 ? ((cpuUsed / elapsed) * 1000).rounded() / 1000 : 0,
]
if !errorSamples.isEmpty { report["error_samples"] = errorSamples }
if options.json {
    printJSON(report)
} else {
    let l = latencySummary(total)
    print("""
    \(options.label.isEmpty ? "" : options.label + ": ")\(completed) responses in \(String(format: "%.2f", elapsed)) s = \
    \(Int(throughput)) req/s  (c=\(options.connections) P=\(options.pipeline) threads=\(options.threads), errors \(errors))
    latency us: p50 \(l["p50_us"] ?? 0)  p90 \(l["p90_us"] ?? 0)  p99 \(l["p99_us"] ?? 0)  max \(l["max_us"] ?? 0)
    client cpu: \(String(format: "%.2f", cpuUsed)) s (\(String(format: "%.0f", elapsed > 0 ? 100 * cpuUsed / elapsed : 0)) % of one core)
    """)
    if workload.verbs.count > 1 {
        for (name, value) in verbs.sorted(by: { $0.key < $1.key }) {
            let s = value as! [String: Any]
            print("  \(name): \(s["count"] ?? 0) (\(s["rps"] ?? 0)/s, errors \(s["errors"] ?? 0)) p50 \(s["p50_us"] ?? 0) p99 \(s["p99_us"] ?? 0) us")
        }
    }
    if !errorSamples.isEmpty { print("errors: \(errorSamples)") }
}
exit(completed > 0 ? 0 : 1)
