import Logging
import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderText

/// Per-connection state. Lives on the connection's event loop only.
public final class Session {
    public let id: UInt64
    public let remote: String
    public var format: OutputFormat = .text
    /// The language of texts for people (`LANG nl|en`): messages, evidence, HELP summaries.
    public var language: Language
    /// Who this connection writes as in the audit (a token's name once tokens exist).
    public var actorName = "local"
    /// The open `BEGIN … COMMIT`, if any.
    var batch: Batch?
    /// Why the batch of this connection was rolled back by the daemon (it sat idle too long):
    /// told to the next command, which does not run.
    var expiredBatch: Message?
    /// Whether this connection ever claimed reminders (its leases are released when it closes).
    var holdsLeases = false
    /// The token this connection authenticated with, and its role.
    public var tokenName: String?
    public var role: Role?
    var authFailures = 0
    /// Whether the client connected over loopback or a Unix socket.
    var isLoopback = false

    init(id: UInt64, remote: String, language: Language = .nl) {
        self.id = id
        self.remote = remote
        self.language = language
    }
}

extension Session {
    /// The connection closed: an open batch is rolled back and its database connection
    /// returned; reminder leases it holds are released.
    func end(services: Services, eventLoop: any EventLoop, logger: Logger) {
        if let batch {
            self.batch = nil
            BatchCommands.abandon(batch, services: services)
        }
        if holdsLeases {
            ReminderCommands.releaseLeases(of: self, services: services, logger: logger)
        }
    }
}
