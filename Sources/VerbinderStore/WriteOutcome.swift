import Foundation
import PQ

/// Finds out whether writes whose connection broke while they committed did commit.
///
/// A write's audit row carries its write id and commits with it. Once the session that sent
/// the write is gone from the server, its transaction has ended one way or the other for good,
/// and the audit row is there or it is not. So: open a new connection, wait until the old
/// backend has left `pg_stat_activity` (ending it if it lingers), and look the ids up.
/// Blocking: call it on a database thread, never on an event loop.
public enum WriteOutcome {
    /// How long a lingering old session may keep running before it is ended.
    static let lingerLimit: TimeInterval = 2

    /// The ids among `writeIDs` that committed, or nil when the database could not be asked
    /// before `deadline` (then nobody can tell yet: the answer is "in doubt").
    public static func committed(_ writeIDs: [String], lostBackend pid: Int32, conninfo: String,
                                 deadline: Date) -> Set<String>? {
        let started = Date()
        var terminated = false
        while Date() < deadline {
            do {
                let connection = try Connection(conninfo)
                defer { connection.close() }
                // After a restart or a failover the old session cannot be there any more, and a
                // new one with the same pid is not ours: in recovery or not, it is asked the same.
                while pid > 0, try connection.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [String(pid)]).count > 0 {
                    if Date() >= deadline { return nil }
                    if !terminated, Date().timeIntervalSince(started) > lingerLimit {
                        _ = try? connection.query("SELECT pg_terminate_backend($1)", [String(pid)])
                        terminated = true
                    }
                    usleep(20_000)
                }
                let rows = try connection.query("""
                    SELECT write_id FROM audit
                    WHERE at > now() - interval '1 hour' AND write_id = ANY($1::text[])
                    """, [PostgresArray.literal(writeIDs)])
                return Set(try rows.all.map { try $0.string(0) })
            } catch let error as PQError where error.isUnavailable {
                usleep(100_000)
            } catch {
                return nil
            }
        }
        return nil
    }
}

/// The answers kept for `idem=` keys (table `idempotency_keys`, kept 24 hours).
public enum Idempotency {
    /// A kept answer: the request it answered (canonical form) and the answer in both formats.
    public struct Kept: Sendable, Equatable {
        public var request: String
        public var text: String
        public var json: String

        public init(request: String, text: String, json: String) {
            self.request = request
            self.text = text
            self.json = json
        }
    }

    /// How long a key holds.
    public static let lifetime = "24 hours"

    /// The answer kept for `key` of `actor`, if one younger than 24 hours is there.
    public static func lookup(_ connection: Connection, actor: String, key: String) throws -> Kept? {
        let rows = try connection.query("""
            SELECT request, answer_text, answer_json FROM idempotency_keys
            WHERE actor = $1 AND key = $2 AND created_at > now() - interval '\(lifetime)'
            """, [actor, key])
        guard let row = rows.all.first else { return nil }
        return Kept(request: try row.string(0), text: try row.string(1), json: try row.string(2))
    }

    /// Keeps an answer, in the write's own transaction. Returns false when a live answer for the
    /// key is there already (a concurrent request with the same key committed first): the
    /// caller rolls back. An expired one is replaced.
    public static func keep(_ tx: Connection, actor: String, key: String, answer: Kept) throws -> Bool {
        try tx.query("""
            INSERT INTO idempotency_keys (actor, key, request, answer_text, answer_json) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (actor, key) DO UPDATE
               SET request = excluded.request, answer_text = excluded.answer_text,
                   answer_json = excluded.answer_json, created_at = now()
             WHERE idempotency_keys.created_at <= now() - interval '\(lifetime)'
            """, [actor, key, answer.request, answer.text, answer.json]).affectedRows == 1
    }

    /// Deletes expired keys; returns how many.
    @discardableResult
    public static func purge(_ connection: Connection) throws -> Int {
        try connection.query("DELETE FROM idempotency_keys WHERE created_at <= now() - interval '\(lifetime)'").affectedRows
    }
}
