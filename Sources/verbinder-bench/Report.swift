#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram
import Synchronization

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
