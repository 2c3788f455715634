import Glibc
import VerbinderGraph

/// The daemon's current graph behind a reader-writer lock.
///
/// Many readers at once; a writer holds the lock only to apply a change that PostgreSQL
/// has already committed (microseconds), so a reader never waits on a database write and
/// never sees half of one. The graph is mutated in place: no copy per write, whatever its size.
public final class LiveGraph: @unchecked Sendable {
    private var graph: Graph
    /// Bumped whenever the whole graph is replaced (a reload): node versions
    /// (`Graph.version(of:)`) only compare within one epoch.
    private var epoch: UInt64 = 0
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    public init(_ graph: Graph = Graph()) {
        self.graph = graph
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the graph under the read lock. Keep it short and do no IO inside.
    public func read<T>(_ body: (borrowing Graph) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(graph)
    }

    /// Applies a committed change under the write lock.
    @discardableResult
    public func write<T>(_ body: (inout Graph) throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&graph)
    }

    /// ``read(_:)`` that also gets the graph's epoch (changed when the whole graph is replaced).
    public func read<T>(_ body: (borrowing Graph, _ epoch: UInt64) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(graph, epoch)
    }

    /// A copy of the graph for long computations outside the lock (CENTRAL): copying is O(1);
    /// the next write pays for one copy of what it changes, and writers never wait on the reader.
    public func snapshot() -> Graph { read { copy $0 } }

    /// Replaces the whole graph (initial load, reload after a lost connection).
    public func replace(with fresh: Graph) {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        graph = fresh
        epoch &+= 1
    }


    /// Counts without holding the lock for long.
    public var counts: (nodes: Int, relations: Int) { read { ($0.nodeCount, $0.relationCount) } }
}
