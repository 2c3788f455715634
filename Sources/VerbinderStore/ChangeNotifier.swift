import Foundation
import Logging
import NIOConcurrencyHelpers
import PQ

/// Sends this daemon's change notices to the other daemons, many per transaction.
///
/// A `NOTIFY` inside a write's own transaction makes PostgreSQL commit those transactions one
/// at a time (the notification queue is locked across each commit's flush), which capped
/// writes at about a tenth of the database's insert rate. So writes commit without it, and
/// this notifier announces whatever has accumulated in one small transaction of its own:
/// under load, hundreds of changes share one flush. Notices are idempotent ("re-read this
/// key"), so sending one twice is harmless; should this daemon die between a commit and its
/// notice, the other daemons' reconciliation (GraphSync) notices the difference and reloads.
public final class ChangeNotifier: Sendable {
    private let conninfo: String
    private let channel: String
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let condition = ConditionLock(value: 0)

    private struct State {
        var pending: [String] = []
        var stopped = false
    }

    /// Largest payload PostgreSQL accepts is 8000 bytes; stay well below.
    static let payloadLimit = 7_000

    /// How long the notifier waits after a wake-up for more notices: far below what another
    /// daemon would notice (its reads follow within a second), long enough that a steady stream
    /// of writes costs the database a hundred notify transactions a second at most.
    static let coalescingMicroseconds: UInt32 = 10_000

    public init(conninfo: String, channel: String, logger: Logger) {
        self.conninfo = conninfo
        self.channel = channel
        self.logger = logger
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "verbinder-notify"
        thread.start()
    }

    public func stop() {
        state.withLockedValue { $0.stopped = true }
        condition.lock()
        condition.unlock(withValue: 1)
    }

    /// Queues notices; they go out shortly, in order, several per message.
    public func enqueue(_ payloads: [String]) {
        guard !payloads.isEmpty else { return }
        state.withLockedValue { $0.pending += payloads }
        condition.lock()
        condition.unlock(withValue: 1)
    }

    private func run() {
        var connection: Connection?
        while true {
            condition.lock(whenValue: 1)
            condition.unlock(withValue: 0)
            // Let the notices of writes committing right now join this message: one notify
            // transaction (a commit, a WAL flush, a wake-up of every listening daemon) per
            // burst instead of one per group of writes.
            if !state.withLockedValue({ $0.stopped }) { usleep(ChangeNotifier.coalescingMicroseconds) }
            let (batch, stopped) = state.withLockedValue { state -> ([String], Bool) in
                defer { state.pending = [] }
                return (state.pending, state.stopped)
            }
            if !batch.isEmpty {
                var attempts = 0
                while true {
                    do {
                        let live = try connection ?? Connection(conninfo)
                        connection = live
                        try send(batch, on: live)
                        break
                    } catch {
                        connection?.close()
                        connection = nil
                        attempts += 1
                        if attempts >= 20 || state.withLockedValue({ $0.stopped }) {
                            logger.warning("could not announce \(batch.count) change(s) to other daemons: \(error)")
                            break
                        }
                        usleep(100_000)
                    }
                }
            }
            if stopped { break }
        }
        connection?.close()
    }

    /// One statement (atomic by itself, one round trip), one or more notifications of
    /// `;`-joined notices, in order.
    private func send(_ batch: [String], on connection: Connection) throws {
        var messages: [String] = []
        var current = ""
        for payload in batch {
            if !current.isEmpty, current.utf8.count + payload.utf8.count + 1 > ChangeNotifier.payloadLimit {
                messages.append(current)
                current = ""
            }
            current += current.isEmpty ? payload : ";" + payload
        }
        if !current.isEmpty { messages.append(current) }
        if messages.count == 1 {
            try connection.queryPrepared("SELECT pg_notify($1, $2)", [channel, messages[0]])
        } else {
            try connection.queryPrepared("SELECT pg_notify($1, m) FROM unnest($2::text[]) WITH ORDINALITY AS u(m, i) ORDER BY i",
                                         [channel, PostgresArray.literal(messages)])
        }
    }
}
