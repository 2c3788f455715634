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

// MARK: - Main

signal(SIGPIPE, SIG_IGN)
let options: Options
do {
    options = try Options(BenchArguments.parseOrExit())
} catch {
    BenchArguments.exit(withError: error)
}
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
