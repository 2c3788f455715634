import PQ
import VerbinderProtocol

/// Access tokens. The token is random (256 bits), shown once; only its SHA-256 is stored.
public enum TokenStore {
    public static let channel = "verbinder_tokens"
    public static let roles = ["reader", "connector", "sender", "admin", "feed"]

    /// A fresh token: 32 random bytes from the system's CSPRNG, as hex.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    /// Creates a token and announces it; returns the token (the only time it is seen).
    public static func add(_ connection: Connection, name: String, role: String) throws -> String {
        let token = generate()
        try connection.transaction { tx in
            try tx.query("INSERT INTO tokens (name, role, hash) VALUES ($1, $2, $3)", [name, role, SHA256.hex(token)])
            try tx.query("INSERT INTO audit (actor, command, changes) VALUES ('verbinderd', 'token add', $1::jsonb)",
                         ["{\"token\":\(JSONText.string(name)),\"role\":\(JSONText.string(role))}"])
            try tx.query("SELECT pg_notify($1, $2)", [channel, name])
        }
        return token
    }

    public static func revoke(_ connection: Connection, name: String) throws -> Bool {
        try connection.transaction { tx in
            let changed = try tx.query("UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", [name]).affectedRows == 1
            if changed {
                try tx.query("INSERT INTO audit (actor, command, changes) VALUES ('verbinderd', 'token revoke', $1::jsonb)",
                             ["{\"token\":\(JSONText.string(name))}"])
                try tx.query("SELECT pg_notify($1, $2)", [channel, name])
            }
            return changed
        }
    }

    public static func list(_ connection: Connection) throws -> [(name: String, role: String, created: String, revoked: String?)] {
        try connection.query("""
            SELECT name, role, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SSOF'), to_char(revoked_at, 'YYYY-MM-DD"T"HH24:MI:SSOF')
            FROM tokens ORDER BY name
            """).all.map { (try $0.string(0), try $0.string(1), try $0.string(2), $0.optionalString(3)) }
    }

    /// Names and roles of the tokens in force (never the hashes).
    public static func active(_ connection: Connection) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try connection.query("SELECT name, role FROM tokens WHERE revoked_at IS NULL").all {
            result[try row.string(0)] = try row.string(1)
        }
        return result
    }

    /// The token in force with this value, if any.
    public static func lookup(_ connection: Connection, token: String) throws -> (name: String, role: String)? {
        try connection.query("SELECT name, role FROM tokens WHERE hash = $1 AND revoked_at IS NULL", [SHA256.hex(token)])
            .all.first.map { (try $0.string(0), try $0.string(1)) }
    }

    /// The audit trail, newest first. With `node`, the rows that mention it: those indexed in
    /// `audit_mentions` (migration 21 keeps it, a second or two behind the trail), read newest
    /// first through that table's key and fetched one by one (`OFFSET 0` keeps the planner from
    /// merging with a backward scan of the whole trail, which it prefers for a frequent key:
    /// 770 ms against 0.4 ms), and the rows past the index's end, matched by their text under
    /// the index's own rule. One statement, so both parts are read in one snapshot.
    public static func audit(_ connection: Connection, node: String?, since: String?, actor: String?, limit: Int)
        throws -> [(id: Int, at: String, actor: String, remote: String?, connection: String?, command: String, changes: String)] {
        let filters = """
            ($2::date IS NULL OR a.at >= ($2::date)::timestamp AT TIME ZONE 'Europe/Amsterdam')
            AND ($3::text IS NULL OR a.actor = $3)
            """
        let rows = node == nil
            ? "SELECT a.* FROM audit a WHERE $1::text IS NULL AND \(filters) ORDER BY a.id DESC LIMIT $4"
            : """
              (SELECT a.* FROM audit_mentions m CROSS JOIN LATERAL (SELECT * FROM audit a WHERE a.id = m.audit OFFSET 0) a
               WHERE m.node_key = lower($1::text) AND \(filters)
               ORDER BY m.audit DESC LIMIT $4)
              UNION ALL
              (SELECT a.* FROM audit a
               WHERE a.id > (SELECT upto FROM audit_mentions_done)
                 AND (lower($1::text) IN (lower(a.changes->>'node'), lower(a.changes->>'from'), lower(a.changes->>'to'))
                      OR (lower($1::text) = ANY (regexp_split_to_array(lower(a.command), '[^a-z0-9_-]+'))
                          AND EXISTS (SELECT 1 FROM nodes n WHERE lower(n.key) = lower($1::text))))
                 AND \(filters)
               ORDER BY a.id DESC LIMIT $4)
              """
        return try connection.queryPrepared("""
            SELECT a.id, to_char(a.at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'), a.actor, a.remote, a.connection::text, a.command, a.changes::text
            FROM (\(rows)) a
            ORDER BY a.id DESC LIMIT $4
            """, [node, since, actor, String(limit)]).all.map {
            (try $0.int(0), try $0.string(1), try $0.string(2), $0.optionalString(3), $0.optionalString(4), try $0.string(5), try $0.string(6))
        }
    }
}
