import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What one run of the load generator does.
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

    enum ProtocolKind: String, ExpressibleByArgument { case verbinder, redis }

    init(_ arguments: BenchArguments) throws {
        host = arguments.host
        port = arguments.port
        connections = max(1, arguments.connections)
        pipeline = max(1, arguments.pipeline)
        threads = max(1, arguments.threads ?? threads)
        duration = arguments.duration
        requests = arguments.requests.map { max(1, $0) }
        warmup = arguments.warmup
        lines = arguments.request
        for path in arguments.file {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            lines += text.split(separator: "\n").map { line in
                line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            }.filter { !$0.isEmpty }
        }
        greeting = arguments.greeting
        protocolKind = arguments.protocolKind
        json = arguments.json
        label = arguments.label
        idleHold = arguments.idleHold
        drainTimeout = arguments.drainTimeout
        if idleHold == nil {
            guard !lines.isEmpty else { throw ValidationError("give --request LINE or --file FILE") }
            if duration == nil && requests == nil { duration = 10 }
            if requests != nil { warmup = 0 }
        }
        threads = min(threads, connections)
    }
}

/// The command line of `verbinder-bench`.
struct BenchArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbinder-bench",
        abstract: "A closed-loop load generator for line protocols (Verbinder, Redis inline).",
        discussion: """
            verbinder-bench --idle-hold S -c N opens N connections, reads the greetings, prints "holding N" \
            on stderr, keeps them idle for S seconds, closes them and reports.
            """)

    @Option(help: "The server's address (only ever one on this machine).")
    var host = "127.0.0.1"
    @Option(name: [.short, .long], help: "The server's port.")
    var port = 7411
    @Option(name: [.customShort("c"), .long], help: "Connections, spread over the threads.")
    var connections = 1
    @Option(name: [.customShort("P"), .long], help: "Requests in flight per connection.")
    var pipeline = 1
    @Option(name: [.short, .long], help: "Event-loop threads (default: the number of cores).")
    var threads: Int?
    @Option(name: [.short, .long], help: "Run for S seconds (default 10 when --requests is not given).")
    var duration: Double?
    @Option(name: [.customShort("n"), .long], help: "Stop after N responses in all.")
    var requests: Int?
    @Option(help: "Run S seconds before measuring (not with --requests).")
    var warmup: Double = 0
    @Option(help: "A request line to send (repeatable: lines used round-robin).")
    var request: [String] = []
    @Option(name: [.short, .long], help: "Request lines, one per line, used round-robin across all connections.")
    var file: [String] = []
    @Flag(help: "The server sends one status line first (Verbinder: OK verbinder ... ready).")
    var greeting = false
    @Option(name: .customLong("protocol"), help: "verbinder: a response ends at a line that is OK or starts with \"OK \" or \"ERR \"; redis: RESP replies.")
    var protocolKind: Options.ProtocolKind = .verbinder
    @Flag(help: "Print one JSON object instead of the human summary.")
    var json = false
    @Option(help: "A name for the run, in the JSON.")
    var label = ""
    @Option(name: .customLong("idle-hold"), help: "Hold -c idle connections for S seconds and report.")
    var idleHold: Double?
    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait for answers in flight at the end.")
    var drainTimeout: Double = 10

    mutating func validate() throws {
        for (name, value) in [("--duration", duration), ("--warmup", warmup), ("--idle-hold", idleHold), ("--drain-timeout", drainTimeout)] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative") }
        }
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
