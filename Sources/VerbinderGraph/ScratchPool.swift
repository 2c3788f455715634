import Glibc

/// A bounded stack of reusable scratch objects, shared by every thread that searches.
///
/// Guarded by a pthread mutex rather than `Synchronization.Mutex`: on Linux the latter waits
/// on a futex inside the uninstrumented Swift runtime, so ThreadSanitizer cannot see the order
/// it imposes and reports the scratch's reuse on another thread as a race.
final class ScratchPool<Element: AnyObject>: @unchecked Sendable {
    private var items: [Element] = []
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let limit: Int

    init(limit: Int = 64) {
        self.limit = limit
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A pooled object, or nil when the pool is empty.
    func take() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return items.popLast()
    }

    /// Returns `item` for reuse; dropped when the pool already holds `limit`.
    func give(_ item: Element) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if items.count < limit { items.append(item) }
    }
}
