import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import PQ
import VerbinderCluster
import VerbinderServer
import VerbinderStore

@main
struct Verbinderd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbinderd",
        abstract: "The Verbinder daemon: the stakeholder graph and co-design workflow of the VNG, over a line protocol.",
        version: Version.current,
        subcommands: [Serve.self, Migrate.self, SeedCommand.self, TokenCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every sub-command that talks to the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or conninfo (also VERBINDER_DATABASE_URL). Without it: a private cluster under --home.")
    var databaseURL: String?

    @Option(help: "Directory of the embedded PostgreSQL cluster (also VERBINDER_HOME; default ./.verbinder).")
    var home: String?

    @Option(name: .customLong("sql-dir"), help: "The sql/ directory with migrations/ and seed/ (also VERBINDER_SQL_DIR).")
    var sqlDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var explicitURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = environment["VERBINDER_DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    var cluster: PostgresCluster {
        let home = home ?? environment["VERBINDER_HOME"] ?? ".verbinder"
        return PostgresCluster(directory: home + "/postgres")
    }

    func makeLogger() -> Logger {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "verbinderd")
    }

    /// The database to use: the given URL, or the embedded cluster (created and started as needed).
    /// Returns the conninfo, the cluster when embedded, and whether the cluster was just created.
    /// The cluster is returned only when this process started it, so only then does the
    /// caller stop it: `verbinderd seed` must not stop the cluster of a running `serve`.
    func resolveDatabase(logger: Logger) throws -> (conninfo: String, cluster: PostgresCluster?, created: Bool) {
        if let url = explicitURL { return (url, nil, false) }
        let cluster = self.cluster
        logger.info("using the embedded PostgreSQL cluster", metadata: ["directory": "\(cluster.directory)"])
        let wasRunning = cluster.isInitialized && cluster.isRunning
        let created = try cluster.createIfNeeded()
        try cluster.start()
        return (cluster.conninfo, wasRunning ? nil : cluster, created)
    }

    /// Applies pending migrations; returns the `sql/` directory and the versions applied now.
    @discardableResult
    func migrate(conninfo: String, logger: Logger) throws -> (sql: String, applied: [Int]) {
        let sql = try SQLFiles.locate(explicit: sqlDirectory)
        let connection = try Connection(conninfo)
        defer { connection.close() }
        let applied = try Migrator(directory: sql + "/migrations").migrate(connection)
        if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
        // The stored classification of meetings follows the rule of this version.
        let reclassified = try connection.transaction { try WorkflowStore.reclassifyMeetings($0) }
        if reclassified > 0 { logger.info("meetings reclassified", metadata: ["count": "\(reclassified)"]) }
        return (sql, applied)
    }

    func seed(conninfo: String, sqlDirectory sql: String, seedDirectory: String? = nil, logger: Logger) throws -> Seed.Report {
        let connection = try Connection(conninfo)
        defer { connection.close() }
        let report = try Seed(directory: seedDirectory ?? sql + "/seed").load(connection)
        logger.info("seed loaded", metadata: ["nodes_written": "\(report.nodesWritten)", "relations_written": "\(report.relationsWritten)",
                                              "aliases_written": "\(report.aliasesWritten)"])
        return report
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let logger = database.makeLogger()
        let (conninfo, cluster, _) = try database.resolveDatabase(logger: logger)
        defer { try? cluster?.stop() }
        try database.migrate(conninfo: conninfo, logger: logger)
    }
}

struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Load the Dutch seed network (idempotent: a second run changes nothing).")
    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("seed-dir"), help: "Load nodes.tsv and relations.tsv from this directory instead of sql/seed (e.g. a synthetic graph).")
    var seedDirectory: String?

    func run() throws {
        let logger = database.makeLogger()
        let (conninfo, cluster, _) = try database.resolveDatabase(logger: logger)
        defer { try? cluster?.stop() }
        let (sql, _) = try database.migrate(conninfo: conninfo, logger: logger)
        let report = try database.seed(conninfo: conninfo, sqlDirectory: sql, seedDirectory: seedDirectory, logger: logger)
        print("seed nodes_written=\(report.nodesWritten) relations_written=\(report.relationsWritten) aliases_written=\(report.aliasesWritten)")
    }
}
