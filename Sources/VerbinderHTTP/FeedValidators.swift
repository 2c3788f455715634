import Foundation
import NIOConcurrencyHelpers
import VerbinderProtocol

/// `ETag` and `Last-Modified` of the calendar feeds, so calendar clients poll cheaply. The ETag
/// is a hash of the body, so it changes exactly when the feed does. Last-Modified is when this
/// daemon first served that body for that URL (on first sight: the newest change the feed
/// holds), so a meeting removed, which leaves no newer stamp behind, still moves it.
final class FeedValidators: Sendable {
    private struct Seen {
        var etag: String
        var modified: Date
    }
    private let seen = NIOLockedValueBox<[String: Seen]>([:])
    /// Feeds remembered at most; past that the memory starts again (a client then sees one
    /// Last-Modified move without a change, and fetches the feed once more).
    static let capacity = 10_000

    /// The entity tag of a body: a hash of it, so it changes exactly when the body does.
    static func etag(_ body: [UInt8]) -> String { "\"" + SHA256.hex(body).prefix(32) + "\"" }

    /// The validators of `body` served at `key` (the URL and what the reader may see).
    func validators(key: String, body: [UInt8], newestStamp: Date?) -> (etag: String, modified: Date) {
        validators(key: key, etag: Self.etag(body), newestStamp: newestStamp)
    }

    /// The validators of a body whose entity tag is `etag`, served at `key`.
    func validators(key: String, etag: String, newestStamp: Date?) -> (etag: String, modified: Date) {
        seen.withLockedValue { seen in
            if let known = seen[key], known.etag == etag { return (etag, known.modified) }
            let now = Date()
            // Whole seconds: If-Modified-Since comes back at a second's precision.
            let modified = Date(timeIntervalSince1970: (seen[key] == nil ? min(newestStamp ?? now, now) : now).timeIntervalSince1970.rounded(.down))
            if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
            seen[key] = Seen(etag: etag, modified: modified)
            return (etag, modified)
        }
    }

    /// Whether the client's copy is current: `If-None-Match` decides when present (RFC 9110
    /// 13.1.3), otherwise `If-Modified-Since`.
    static func notModified(ifNoneMatch: String?, ifModifiedSince: String?, etag: String, modified: Date) -> Bool {
        if let ifNoneMatch {
            return ifNoneMatch.split(separator: ",").contains { tag in
                let tag = tag.trimmingSpaces()
                return tag == "*" || tag == etag || tag == "W/" + etag
            }
        }
        if let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince) { return modified <= since }
        return false
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only date form HTTP/1.1 servers send.
enum HTTPDate {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
    private static let lock = NIOLock()

    static func format(_ date: Date) -> String { lock.withLock { formatter.string(from: date) } }
    static func parse(_ text: String) -> Date? { lock.withLock { formatter.date(from: text) } }
}
