#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import VerbinderGraph

/// Striped locks by node key, held from before a write's transaction until its change is in
/// memory, so two writes touching the same node apply in memory in the order they committed.
/// Writes to unrelated nodes never wait for each other.
///
/// Every holder of stripes also holds a gate, shared; ``withAllLocks(_:)`` takes the gate
/// alone, so while it runs no write is between its commit and its change in memory. (A gate
/// rather than all 4096 stripes: a thread holding thousands of mutexes at once is what
/// ThreadSanitizer's deadlock detector, with its 128 locks a thread, cannot follow.)
public final class KeyLocks: @unchecked Sendable {
    private let stripes: [NIOLock]
    private let gate: UnsafeMutablePointer<pthread_rwlock_t>

    public init(stripes: Int = 4096) {
        self.stripes = (0..<stripes).map { _ in NIOLock() }
        gate = .allocate(capacity: 1)
        pthread_rwlock_init(gate, nil)
    }

    deinit {
        pthread_rwlock_destroy(gate)
        gate.deallocate()
    }

    /// Runs `body` holding the stripes of every key (taken in a fixed order: no deadlock).
    public func withLocks<T>(_ keys: [String], _ body: () throws -> T) rethrows -> T {
        let indices = Set(keys.map { stripe(for: $0) }).sorted()
        pthread_rwlock_rdlock(gate)
        defer { pthread_rwlock_unlock(gate) }
        for index in indices { stripes[index].lock() }
        defer { for index in indices.reversed() { stripes[index].unlock() } }
        return try body()
    }

    /// Runs `body` while no key is locked: no write is between its commit and its change in
    /// memory meanwhile (a reload of the whole graph takes this).
    public func withAllLocks<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(gate)
        defer { pthread_rwlock_unlock(gate) }
        return try body()
    }

    private func stripe(for key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(Keys.fold(key))
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(stripes.count))
    }
}
