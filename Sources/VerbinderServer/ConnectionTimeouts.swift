import NIOCore
import VerbinderCore

/// The three clocks that may close a connection, as a value: the idle time since the last
/// complete request, a request line that does not end, and answers the client does not read.
/// The connection's state machine records what happens; this says when to look again and whether a
/// rule has run out. No channel and no timer, so the rules are tested alone.
struct ConnectionTimeouts {
    let idleSeconds: Int64
    let lineSeconds: Int64
    /// The last complete request, or the end of the last answer that took time.
    var lastActivity: NIODeadline
    /// Since when a started line has been waiting for its end (only while the daemon waits for the client).
    var partialSince: NIODeadline?
    /// Since when answers have been waiting for the client to read them (the channel is not writable).
    var blockedSince: NIODeadline?

    init(idleSeconds: Int64, lineSeconds: Int64, now: NIODeadline = .now()) {
        self.idleSeconds = idleSeconds
        self.lineSeconds = lineSeconds
        self.lastActivity = now
    }

    /// The next moment a rule may close the connection, or nil if none applies now. A
    /// connection busy with a command is not idle; one whose answers wait is judged by them.
    func nextDeadline(busy: Bool) -> NIODeadline? {
        var next: NIODeadline?
        if !busy, blockedSince == nil { next = lastActivity + .seconds(idleSeconds) }
        if let since = blockedSince { next = min(next ?? .distantFuture, since + .seconds(idleSeconds)) }
        if let since = partialSince { next = min(next ?? .distantFuture, since + .seconds(lineSeconds)) }
        return next
    }

    /// Why the connection is to be closed at `now` (for the log), or nil while no rule has run out.
    func expiry(at now: NIODeadline, busy: Bool) -> String? {
        if let since = partialSince, now >= since + .seconds(lineSeconds) {
            return "line timeout: a request line was not completed within \(lineSeconds) s"
        }
        if let since = blockedSince, now >= since + .seconds(idleSeconds) {
            return "idle timeout: the client read none of its answers for \(idleSeconds) s"
        }
        if !busy, blockedSince == nil, now >= lastActivity + .seconds(idleSeconds) {
            return "idle timeout"
        }
        return nil
    }
}
