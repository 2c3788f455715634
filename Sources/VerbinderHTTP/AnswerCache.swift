import NIOConcurrencyHelpers
import VerbinderServer

/// Pages and feeds as they were last built, kept while nothing has changed: the daemon's data
/// version (``GraphSync/dataVersion``: every write of its own, every change of the others it
/// has read) and the Amsterdam date (overdue marks) are the same as when the answer was built.
/// A poll or a page view then costs no database round trip. A write made here is seen by the
/// next request; one made through another daemon once this one has read it (a second at most).
final class AnswerCache<Value: Sendable>: Sendable {
    private struct Entry {
        var version: UInt64
        var today: String
        var value: Value
    }
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The kept answer for `key` if it was built at `version` on `today`.
    func value(_ key: String, version: UInt64, today: String) -> Value? {
        entries.withLockedValue { entries in
            guard let entry = entries[key], entry.version == version, entry.today == today else { return nil }
            return entry.value
        }
    }

    /// Keeps an answer built from data read at `version` (read *before* building it, so an
    /// answer that raced a write is kept under the older version and never served after it).
    func keep(_ key: String, version: UInt64, today: String, _ value: Value) {
        entries.withLockedValue { entries in
            // Full: start again rather than track ages; the pages people use come back at once.
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(version: version, today: today, value: value)
        }
    }
}

extension Services {
    /// What a kept answer is checked against: the data version, then today's date.
    var answerStamp: (version: UInt64, today: String) { (sync.dataVersion, Today.amsterdam()) }
}
