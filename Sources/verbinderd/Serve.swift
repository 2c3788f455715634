import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PQ
import VerbinderCore
import VerbinderHTTP
import VerbinderServer
import VerbinderStore
import VerbinderText

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (the default sub-command).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "HOST:PORT to listen on (also VERBINDER_LISTEN; default 127.0.0.1:7411).")
    var listen: String?

    @Option(name: .customLong("http"), help: "HOST:PORT for the read-only HTTP side: calendar feeds, /healthz, /metrics, the dashboard (also VERBINDER_HTTP; off unless given).")
    var http: String?

    @Option(name: .customLong("max-connections"), help: "Connections served at once; the next gets ERR BUSY.")
    var maxConnections: Int = 1024

    @Option(name: .customLong("max-line"), help: "Longest request line in bytes; longer gets ERR TOOLONG.")
    var maxLine: Int = 8192

    @Option(name: .customLong("idle-timeout"), help: "Seconds after the last complete request before an idle connection is closed.")
    var idleTimeout: Int = 300

    @Option(name: .customLong("lang"), help: "The language of texts for people on a new connection: nl or en (default: VERBINDER_LANG, else nl; LANG changes it per connection).")
    var language: String?

    @Option(name: .customLong("line-timeout"), help: "Seconds within which a started request line must end, or the connection is closed.")
    var lineTimeout: Int = 10

    @Option(name: .customLong("pool-size"), help: "PostgreSQL connections (and threads) for commands.")
    var poolSize: Int = 16

    @Option(name: .customLong("max-per-address"), help: "Connections from one remote address at once.")
    var maxPerAddress: Int = 256

    @Option(name: .customLong("statement-timeout"), help: "Longest a query may run, in milliseconds; a slower one is ERR UNAVAILABLE timeout.")
    var statementTimeout: Int = 15_000

    @Option(name: .customLong("pool-wait"), help: "Longest a command waits for a free database connection, in milliseconds; then ERR BUSY.")
    var poolWait: Int = 5_000

    @Option(name: .customLong("outcome-wait"), help: "Longest a write whose database connection broke while it committed tries to learn whether it did, in milliseconds; then ERR INDOUBT.")
    var outcomeWait: Int = 10_000

    @Option(name: .customLong("max-batches"), help: "Batches (BEGIN) open at once, below --pool-size (default: three quarters of it).")
    var maxBatches: Int?

    @Option(name: .customLong("batch-idle-timeout"), help: "Seconds a batch may wait for its next command before it is rolled back.")
    var batchIdleTimeout: Int = 30

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve TLS (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Flag(name: .customLong("insecure-open"), help: "Serve non-loopback clients even when no token exists (not recommended).")
    var insecureOpen = false

    func validate() throws {
        guard idleTimeout > 0, lineTimeout > 0 else { throw ValidationError("--idle-timeout and --line-timeout must be at least 1 second") }
        guard outcomeWait > 0 else { throw ValidationError("--outcome-wait must be at least 1 millisecond") }
    }

    func run() async throws {
        // Caught from the start: a SIGTERM that arrives while the daemon is still starting
        // (even just after it logged `listening`) is kept and stops it cleanly once it is up.
        let termination = TerminationSignal()
        let logger = database.makeLogger()
        let listenText = listen ?? database.environment["VERBINDER_LISTEN"] ?? "127.0.0.1:7411"
        let unixPath: String? = listenText.hasPrefix("unix:") ? String(listenText.dropFirst(5)) : nil
        let (host, port) = unixPath == nil ? try Serve.parseListen(listenText) : ("unix", 0)
        let (conninfo, cluster, created) = try database.resolveDatabase(logger: logger)
        let (sql, applied) = try database.migrate(conninfo: conninfo, logger: logger)
        // The embedded cluster is the seed's home: loaded when created, and brought up to date
        // when this version's migrations were applied to it (the seed changes with the schema).
        if created || (database.explicitURL == nil && !applied.isEmpty) {
            _ = try database.seed(conninfo: conninfo, sqlDirectory: sql, logger: logger)
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let timeout = statementTimeout
        guard poolWait > 0, batchIdleTimeout > 0 else { throw ValidationError("--pool-wait and --batch-idle-timeout must be positive") }
        // Batches hold pooled connections: at most three quarters of the pool, so other commands keep some.
        let batches = maxBatches ?? max(1, poolSize - max(1, poolSize / 4))
        guard batches >= 1, batches < poolSize || poolSize == 1 && batches == 1 else {
            throw ValidationError("--max-batches must be from 1 to --pool-size minus one (\(poolSize - 1))")
        }
        let pool = ConnectionPool(conninfo: conninfo, maxConnections: poolSize, eventLoopGroup: group,
                                  maximumWait: .milliseconds(Int64(poolWait))) { connection in
            // Every query of a command is bounded: a slow one ends as ERR UNAVAILABLE timeout, never a hung connection.
            try connection.query("SELECT set_config('statement_timeout', $1, false)", ["\(timeout)ms"])
        }
        let access = AccessControl(insecureOpen: insecureOpen)
        access.reload(conninfo: conninfo)
        let loopbackOnly = unixPath != nil || Serve.isLoopbackHost(host)
        let httpText = http ?? database.environment["VERBINDER_HTTP"].flatMap { $0.isEmpty ? nil : $0 }
        let httpAddress = try httpText.map(Serve.parseListen)
        if access.isProtected {
            if !loopbackOnly && !insecureOpen {
                throw ValidationError("protected mode: no access token exists, so verbinderd will not listen on \(host); create one with `verbinderd token add NAME --role admin`, or pass --insecure-open")
            }
            if let httpAddress, !Serve.isLoopbackHost(httpAddress.0), !insecureOpen {
                throw ValidationError("protected mode: no access token exists, so verbinderd will not serve HTTP on \(httpAddress.0); create one with `verbinderd token add NAME --role admin`, or pass --insecure-open")
            }
            logger.notice("protected mode: no access token exists; serving loopback clients only, with full rights")
        }
        let graph = LiveGraph()
        let sync = GraphSync(graph: graph, conninfo: conninfo, locks: KeyLocks(), logger: logger,
                             onTokensChanged: { access.reload(conninfo: conninfo) })
        // Listen first, then load: a change committed in between is not missed.
        try sync.start()
        let auditIndex = AuditMentionIndexer(conninfo: conninfo, logger: logger)
        auditIndex.start()

        var configuration = ServerConfiguration(host: host, port: port, maxLineLength: maxLine,
                                                maxConnections: maxConnections, idleTimeoutSeconds: Int64(idleTimeout))
        configuration.maxConnectionsPerAddress = maxPerAddress
        configuration.maxBatches = batches
        configuration.batchIdleTimeoutSeconds = Int64(batchIdleTimeout)
        configuration.lineTimeoutSeconds = Int64(lineTimeout)
        configuration.outcomeWaitMilliseconds = Int64(outcomeWait)
        configuration.unixSocketPath = unixPath
        let chosen = language ?? ProcessInfo.processInfo.environment["VERBINDER_LANG"].flatMap { $0.isEmpty ? nil : $0 } ?? "nl"
        guard let language = Language(rawValue: chosen.lowercased()) else { throw ValidationError("--lang (or VERBINDER_LANG) is nl or en") }
        configuration.language = language
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        configuration.tlsCertificatePath = tlsCertificate
        configuration.tlsKeyPath = tlsKey
        let probe = DatabaseProbe(conninfo: conninfo)
        probe.start()
        probe.waitForFirstAnswer(timeout: 2)
        let core = UseCases(pool: pool, graph: graph, sync: sync, access: access, probe: probe,
                            outcomeWait: .milliseconds(Int64(outcomeWait)))
        let services = Services(configuration: configuration, core: core, logger: logger)
        let server = VerbinderServer(services: services, group: group)
        try await server.start()
        let web = httpAddress.map { _ in WebServer(services: services, group: group) }
        if let web, let httpAddress { try await web.start(host: httpAddress.0, port: httpAddress.1) }

        let signal = await termination.wait()
        logger.info("received \(signal), shutting down")
        await web?.shutdown()
        await server.shutdown()
        sync.stop()
        auditIndex.stop()
        probe.stop()
        await pool.shutdown()
        try? await group.shutdownGracefully()
        if let cluster {
            do { try cluster.stop() } catch { logger.error("stopping the embedded PostgreSQL failed: \(error)") }
        }
        logger.info("stopped")
    }

    /// Whether a listening host is this machine only.
    static func isLoopbackHost(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }

    /// Splits `HOST:PORT` (`[::1]:7411` for IPv6).
    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen wants HOST:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// SIGTERM and SIGINT, caught from the moment this is made until the process ends. The first
/// one is kept, so ``wait()`` returns at once if it came before anyone waited.
final class TerminationSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var received: String?
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "verbinderd.signals")
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in deliver(name) }
            source.resume()
            sources.append(source)
        }
    }

    private func deliver(_ name: String) {
        lock.lock()
        if received == nil { received = name }
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(returning: name)
    }

    /// Suspends until SIGTERM or SIGINT has arrived; returns its name.
    func wait() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            lock.lock()
            if let received {
                lock.unlock()
                continuation.resume(returning: received)
                return
            }
            self.continuation = continuation
            lock.unlock()
        }
    }
}

