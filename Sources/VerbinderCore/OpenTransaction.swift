import NIOConcurrencyHelpers
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// An open `BEGIN … COMMIT`: one database transaction on a connection of its own. Its writes'
/// in-memory changes wait until it commits (``WriteCoordinator/commit(_:idempotency:format:completion:)``),
/// so other clients see all of it or none of it.
///
/// Only one of its writes runs at a time (a connection answers in order), but they run on the
/// pool's threads while the connection's event loop reads the state, hence the lock.
public final class OpenTransaction: Sendable {
    struct Pending {
        var applies: [@Sendable (inout Graph) -> Void] = []
        var keys: [String] = []
        /// Changes to announce to other daemons once the transaction has committed.
        var announcements: [GraphSync.Change] = []
        /// The write ids of its audit rows: after a connection lost during COMMIT, any one of
        /// them tells whether the transaction committed.
        var writeIDs: [String] = []
        /// Set by the first failing command: the transaction can no longer commit.
        var failure: ProtocolError?
        /// The connection went back to the pool (committed, rolled back, or abandoned).
        var released = false
    }

    let connection: Connection
    private let state = NIOLockedValueBox(Pending())
    /// `BEGIN errors=all`: a failed write does not stop the ones after it (each runs in a
    /// savepoint, so the database transaction survives the failure) and every write answers
    /// for itself, so an import learns of every bad row at once; COMMIT still writes nothing.
    public let reportsEveryError: Bool

    init(connection: Connection, reportsEveryError: Bool = false) {
        self.connection = connection
        self.reportsEveryError = reportsEveryError
    }

    /// Why it can no longer commit (the first error of one of its commands), if it cannot.
    public var failure: ProtocolError? { state.withLockedValue { $0.failure } }

    /// Marks it aborted by `error` unless an earlier error did: COMMIT will write nothing.
    public func abort(_ error: ProtocolError) {
        state.withLockedValue { if $0.failure == nil { $0.failure = error } }
    }

    var pending: Pending { state.withLockedValue { $0 } }

    func add(writeID: String) { state.withLockedValue { $0.writeIDs.append(writeID) } }

    func record(apply: @escaping @Sendable (inout Graph) -> Void, announce: [GraphSync.Change], keys: [String]) {
        state.withLockedValue {
            $0.applies.append(apply)
            $0.announcements += announce
            $0.keys += keys
        }
    }

    /// Marks it released; false when it was already (the connection goes back once).
    func markReleased() -> Bool {
        state.withLockedValue { state in
            defer { state.released = true }
            return !state.released
        }
    }

    public var isReleased: Bool { state.withLockedValue { $0.released } }
}
