#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram
import Synchronization

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
