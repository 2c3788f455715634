import Foundation
import PQ

/// Applies `sql/migrations/NNNN_name.sql` files in order, each once.
///
/// All pending files run in one transaction under an advisory lock, so two daemons
/// starting together on an empty database cannot race: the second waits, then finds
/// everything applied. Applied versions are recorded in `schema_migrations`.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// A constant of our own for `pg_advisory_xact_lock` ("VERB" in ASCII).
    static let lockKey = "1447384642"

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Reads `NNNN_name.sql` files from a directory.
    public init(directory: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for file in files {
            let stem = String(file.dropLast(4))
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw StoreError.invalidSetup("migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        let versions = migrations.map(\.version)
        if Set(versions).count != versions.count {
            throw StoreError.invalidSetup("two migration files share a version number in \(directory)")
        }
        self.init(migrations: migrations)
    }

    /// Applies what is pending; returns the versions it applied (empty when up to date).
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        try connection.transaction { tx in
            try tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [Migrator.lockKey])
            // Checked first so a daemon role without CREATE on the schema can start once migrated.
            let exists = try tx.query("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].bool(0)
            if !exists {
                try tx.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            }
            let applied = Set(try tx.query("SELECT version FROM schema_migrations").all.map { try $0.int(0) })
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                do {
                    try tx.executeScript(migration.sql)
                } catch let error as PQError {
                    throw StoreError.invalidSetup("migration \(migration.version)_\(migration.name) failed: \(error)")
                }
                try tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                             [String(migration.version), migration.name])
                done.append(migration.version)
            }
            return done
        }
    }
}

/// Errors of the store that are not database errors.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// Files or configuration are missing or malformed.
    case invalidSetup(String)

    public var description: String {
        switch self {
        case .invalidSetup(let message): return message
        }
    }
}
