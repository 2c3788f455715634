import Foundation
import Logging
import NIOConcurrencyHelpers
import VerbinderCore
import Synchronization
import VerbinderProtocol
import VerbinderText
import VerbinderStore

/// Limits and identity of a running server (all configurable from `verbinderd serve`).
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// A request line longer than this gets `ERR TOOLONG`.
    public var maxLineLength: Int
    /// One more connection than this gets `ERR BUSY` and is closed.
    public var maxConnections: Int
    /// A connection with nothing to do is closed this long after its last complete request
    /// (bytes of an unfinished line do not count), or after its answers have waited this long
    /// for the client to read them.
    public var idleTimeoutSeconds: Int64
    /// Open batches at most (each holds a pooled connection); kept below the pool's size.
    public var maxBatches = 12
    /// Seconds a batch may sit without a command before it is rolled back.
    public var batchIdleTimeoutSeconds: Int64 = 30
    /// A request line that has started must end within this time, or the connection is closed.
    public var lineTimeoutSeconds: Int64 = 10
    /// How long a write whose database connection broke while it committed may try to find
    /// out whether it did, before it answers `ERR INDOUBT`.
    public var outcomeWaitMilliseconds: Int64 = 10_000
    /// Connections from one remote address at once (loopback and Unix sockets included).
    public var maxConnectionsPerAddress: Int = 256
    /// `unix:/path` to listen on a Unix domain socket (mode 0660) instead of TCP.
    public var unixSocketPath: String?
    /// PEM files for TLS (`--tls-cert`, `--tls-key`); with both, every connection speaks TLS.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The language of texts for people on a new connection (`LANG` changes it per connection).
    public var language: Language = .nl
    public var version: String

    public init(host: String = "127.0.0.1", port: Int = 7411, maxLineLength: Int = 8192,
                maxConnections: Int = 1024, idleTimeoutSeconds: Int64 = 300, version: String = Version.current) {
        self.host = host
        self.port = port
        self.maxLineLength = maxLineLength
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.version = version
    }
}

/// The daemon's version, shown in the greeting, `INFO` and `--version`.
public enum Version {
    public static let current = "0.1.0"
}

/// Counters for `INFO`. Atomics, because every event loop updates them.
public final class Stats: Sendable {
    public let startedAt = ContinuousClock.now
    let connections = Atomic<Int>(0)
    let connectionsTotal = Atomic<Int>(0)
    let commands = Atomic<Int>(0)
    let nextConnectionID = Atomic<UInt64>(0)

    public init() {}

    public var openConnections: Int { connections.load(ordering: .relaxed) }
    public var commandsServed: Int { commands.load(ordering: .relaxed) }
    public var uptimeSeconds: Int { Int((ContinuousClock.now - startedAt).components.seconds) }
}

/// Everything a command handler may use, shared by all connections: the use cases, and what
/// the transport keeps itself (limits, counters, the per-address count, rendered answers).
public final class Services: Sendable {
    public let configuration: ServerConfiguration
    public let core: UseCases
    public let stats: Stats
    /// Counters and latencies for Prometheus.
    public let metrics: ServerMetrics
    public let logger: Logger
    /// Open connections per remote address, for the per-address cap.
    let perAddress = NIOLockedValueBox<[String: Int]>([:])
    /// Rendered answers of the commonest reads, kept per node version.
    let renderCache = RenderCache()

    public var graph: LiveGraph { core.graph }
    public var sync: GraphSync { core.sync }
    public var access: AccessControl { core.access }

    public init(configuration: ServerConfiguration, core: UseCases, stats: Stats = Stats(), metrics: ServerMetrics = ServerMetrics(), logger: Logger) {
        self.configuration = configuration
        self.core = core
        self.stats = stats
        self.metrics = metrics
        self.logger = logger
    }
}
