import Foundation
import Logging
import NIOConcurrencyHelpers
import PQ

/// The index of the nodes each audit row mentions (`audit_mentions`), which `AUDIT node=`
/// reads, kept up to date in batches by the database's `audit_mentions_catch_up()`
/// (migration 21) rather than in every write.
public enum AuditMentions {
    /// Indexes the settled rows after the index's end, `batch` ids at most, and returns its new
    /// end (nil: another session is indexing now). Runs as its own transaction: call it on a
    /// connection outside one.
    @discardableResult
    public static func catchUp(_ connection: Connection, batch: Int = 20_000) throws -> Int64? {
        let row = try connection.query("SELECT audit_mentions_catch_up($1::bigint)::text", [String(batch)])[0]
        return row.optionalString(0).flatMap { Int64($0) }
    }
}

/// Runs ``AuditMentions/catchUp(_:batch:)`` once a second on a connection of its own, so a
/// row is in the index a second or two after it commits. Every daemon of a database runs one;
/// they take turns on the index without waiting for each other. When far behind (after a bulk
/// load without its index) it indexes batch after batch for a quarter of a second per turn, so
/// a turn stays short and the database is not monopolised.
public final class AuditMentionIndexer: Sendable {
    private let conninfo: String
    private let logger: Logger
    private let interval: TimeInterval
    private let stopping = NIOLockedValueBox(false)
    private let finished = ConditionLock(value: 0)

    public init(conninfo: String, logger: Logger, interval: TimeInterval = 1) {
        self.conninfo = conninfo
        self.logger = logger
        self.interval = interval
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "verbinder-audit-index"
        thread.start()
    }

    /// Asks the thread to stop and waits (a few seconds at most) until it has closed its connection.
    public func stop() {
        stopping.withLockedValue { $0 = true }
        if finished.lock(whenValue: 1, timeoutSeconds: 5) { finished.unlock() }
    }

    private func run() {
        let batch = 20_000
        var connection: Connection?
        var end: Int64?  // where the index ended after the last call
        var failing = false  // said once, at warning level, until a turn succeeds again
        while !stopping.withLockedValue({ $0 }) {
            do {
                if connection == nil || connection?.checkAlive() != true {
                    connection?.close()
                    connection = try Connection(conninfo)
                }
                let turn = ContinuousClock.now
                while true {
                    let before = end
                    end = try AuditMentions.catchUp(connection!, batch: batch)
                    // Less than a whole batch: the index has reached what is settled.
                    guard let after = end, after - (before ?? 0) >= Int64(batch),
                          ContinuousClock.now - turn < .milliseconds(250), !stopping.withLockedValue({ $0 }) else { break }
                }
                if failing { logger.notice("audit mention index: catching up again") }
                failing = false
            } catch {
                connection?.close()
                connection = nil
                // Until it works again, AUDIT node= reads the newer rows by their text: slower, still complete.
                if failing {
                    logger.debug("audit mention index: \(error)")
                } else {
                    logger.warning("audit mention index: \(error); AUDIT node= reads the rows after it by their text until it works again")
                }
                failing = true
            }
            var slept = 0.0
            while slept < interval, !stopping.withLockedValue({ $0 }) {
                usleep(50_000)
                slept += 0.05
            }
        }
        connection?.close()
        finished.lock()
        finished.unlock(withValue: 1)
    }
}
