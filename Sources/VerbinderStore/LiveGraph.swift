import NIOConcurrencyHelpers
import VerbinderGraph

/// The daemon's current graph: readers take a snapshot, writers swap in a changed one.
///
/// A snapshot is a `Graph` value (copy-on-write), so a reader holding one is never
/// affected by later writes and never sees half of one; the lock is held only for the
/// pointer-sized copy or the apply.
public final class LiveGraph: Sendable {
    private let current: NIOLockedValueBox<Graph>

    public init(_ graph: Graph = Graph()) {
        current = NIOLockedValueBox(graph)
    }

    /// The graph as it is now.
    public var snapshot: Graph { current.withLockedValue { $0 } }

    /// Replaces the whole graph (initial load, reload after a lost connection).
    public func replace(with graph: Graph) { current.withLockedValue { $0 = graph } }

    /// Applies a change that PostgreSQL has committed.
    public func apply(_ change: (inout Graph) -> Void) { current.withLockedValue { change(&$0) } }
}
