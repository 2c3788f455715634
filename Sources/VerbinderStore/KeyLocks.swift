import NIOConcurrencyHelpers
import VerbinderGraph

/// Striped locks by node key, held from before a write's transaction until its change is in
/// memory, so two writes touching the same node apply in memory in the order they committed.
/// Writes to unrelated nodes never wait for each other.
public final class KeyLocks: Sendable {
    private let stripes: [NIOLock]

    public init(stripes: Int = 4096) {
        self.stripes = (0..<stripes).map { _ in NIOLock() }
    }

    /// Runs `body` holding the stripes of every key (taken in a fixed order: no deadlock).
    public func withLocks<T>(_ keys: [String], _ body: () throws -> T) rethrows -> T {
        let indices = Set(keys.map { stripe(for: $0) }).sorted()
        for index in indices { stripes[index].lock() }
        defer { for index in indices.reversed() { stripes[index].unlock() } }
        return try body()
    }

    /// Runs `body` holding every stripe: no write is between its commit and its change in
    /// memory meanwhile (a reload of the whole graph takes this).
    public func withAllLocks<T>(_ body: () throws -> T) rethrows -> T {
        for stripe in stripes { stripe.lock() }
        defer { for stripe in stripes.reversed() { stripe.unlock() } }
        return try body()
    }

    private func stripe(for key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(Keys.fold(key))
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(stripes.count))
    }
}
