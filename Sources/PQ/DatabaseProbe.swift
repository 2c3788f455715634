import Foundation
import NIOConcurrencyHelpers

/// Keeps asking the database `SELECT 1` on a connection of its own, once a second, so that a
/// health question (`INFO`) is answered at once from the last answer instead of waiting for a
/// pooled connection or for a database that does not respond.
public final class DatabaseProbe: Sendable {
    /// What the probe knows.
    public struct Reading: Sendable, Equatable {
        /// PostgreSQL answered the last probe, and that answer is recent.
        public var up: Bool
        /// Seconds since the database last answered (nil: never).
        public var secondsSinceAnswer: Int?
    }

    private let conninfo: String
    private let interval: TimeInterval
    private struct State {
        var lastAnswer: Date?
        var lastFailure: Date?
        var stopped = false
    }
    private let state = NIOLockedValueBox(State())

    public init(conninfo: String, interval: TimeInterval = 1) {
        self.conninfo = conninfo
        self.interval = interval
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "verbinder-probe"
        thread.start()
    }

    public func stop() { state.withLockedValue { $0.stopped = true } }

    /// The database is up when it answered within the last three intervals and nothing failed
    /// since: not the probe, and not the work that `otherFailure` reports (a pool's last lost
    /// connection). A probe that hangs therefore reads as down after three seconds, and a
    /// command that just met a dead database makes it read down at once.
    public func reading(otherFailure: Date? = nil) -> Reading {
        state.withLockedValue { state in
            let now = Date()
            let age = state.lastAnswer.map { Int(now.timeIntervalSince($0)) }
            let recent = state.lastAnswer.map { now.timeIntervalSince($0) <= interval * 3 } ?? false
            let failure = max(state.lastFailure ?? .distantPast, otherFailure ?? .distantPast)
            return Reading(up: recent && failure <= (state.lastAnswer ?? .distantPast), secondsSinceAnswer: age)
        }
    }

    /// Waits (blocking, at most `timeout` seconds) for the first answer: at start-up, so the
    /// first `INFO` already knows.
    public func waitForFirstAnswer(timeout: TimeInterval) {
        let deadline = Date().addingTimeInterval(timeout)
        while state.withLockedValue({ $0.lastAnswer == nil && $0.lastFailure == nil }), Date() < deadline {
            usleep(10_000)
        }
    }

    private func run() {
        var connection: Connection?
        while !state.withLockedValue({ $0.stopped }) {
            do {
                if connection == nil || connection?.checkAlive() != true {
                    connection?.close()
                    connection = try Connection(conninfo)
                }
                try connection!.query("SELECT 1")
                state.withLockedValue { $0.lastAnswer = Date() }
            } catch {
                connection?.close()
                connection = nil
                state.withLockedValue { $0.lastFailure = Date() }
            }
            Thread.sleep(forTimeInterval: interval)
        }
        connection?.close()
    }
}
