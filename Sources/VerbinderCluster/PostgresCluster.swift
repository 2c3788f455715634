import Foundation

/// A private PostgreSQL cluster in a directory of its own, reachable only by Unix socket.
///
/// Used for the daemon's embedded default and by the integration tests. PostgreSQL refuses
/// to run as root, so when this process is root the server programs run as the `postgres`
/// user (through `runuser`) and the directories are handed to that user.
public struct PostgresCluster: Sendable {
    /// Where the cluster lives: `data/` holds the cluster, `run/` the socket, `postgres.log` the log.
    public let directory: String
    public let database: String
    public let port: Int

    public var dataDirectory: String { directory + "/data" }
    public var socketDirectory: String { directory + "/run" }
    public var logFile: String { directory + "/postgres.log" }

    /// A libpq conninfo string for the cluster's database over its Unix socket.
    public var conninfo: String {
        "host=\(socketDirectory) port=\(port) dbname=\(database) user=postgres connect_timeout=5"
    }

    public init(directory: String, database: String = "verbinder", port: Int = 5432) {
        self.directory = PostgresCluster.absolute(directory)
        self.database = database
        self.port = port
    }

    /// Whether `initdb` has already been run here.
    public var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION")
    }

    /// Whether the server is running (its socket answers `pg_ctl status`).
    public var isRunning: Bool {
        (try? run(tool("pg_ctl"), ["status", "-D", dataDirectory], quiet: true)) != nil
    }

    /// Creates the cluster and its database if they do not exist yet.
    /// Returns true when it created them (the caller then loads the seed).
    @discardableResult
    public func createIfNeeded() throws -> Bool {
        if isInitialized { return false }
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        try handToServerUser([directory, dataDirectory, socketDirectory])
        try run(tool("initdb"), ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                  "--locale=C.UTF-8", "--no-sync"], quiet: true)
        try start()
        try run(tool("createdb"), ["-h", socketDirectory, "-p", String(port), "-U", "postgres", database], quiet: true)
        return true
    }

    /// Starts the server (a no-op when it already runs) and waits until it accepts connections.
    public func start() throws {
        if isRunning { return }
        let manager = FileManager.default
        try manager.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if !manager.fileExists(atPath: logFile) { _ = manager.createFile(atPath: logFile, contents: nil) }
        try handToServerUser([socketDirectory, logFile])
        let options = "-c listen_addresses='' -k \(socketDirectory) -p \(port) -c fsync=on -c max_connections=200"
        try run(tool("pg_ctl"), ["start", "-w", "-t", "60", "-D", dataDirectory, "-l", logFile, "-o", options], quiet: true)
    }

    /// Stops the server (fast shutdown: open sessions are ended, committed data is safe).
    public func stop() throws {
        guard isRunning else { return }
        try run(tool("pg_ctl"), ["stop", "-w", "-t", "60", "-m", "fast", "-D", dataDirectory], quiet: true)
    }

    /// Stops the server and deletes the directory.
    public func destroy() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates another database in the running cluster.
    public func createDatabase(_ name: String) throws {
        try run(tool("createdb"), ["-h", socketDirectory, "-p", String(port), "-U", "postgres", name], quiet: true)
    }

    /// The conninfo for another database in this cluster.
    public func conninfo(database name: String) -> String {
        "host=\(socketDirectory) port=\(port) dbname=\(name) user=postgres connect_timeout=5"
    }

    // MARK: - Replication (a real standby for failover tests)

    /// Makes this (not yet initialised) cluster a streaming standby of the running `primary`,
    /// copied with `pg_basebackup`, that reports to it as `name` (so the primary can wait for
    /// it: `synchronous_standby_names`). Start it with ``start()``.
    public func createStandby(of primary: PostgresCluster, name: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if PostgresCluster.isRoot {
            try run("/bin/chown", ["postgres:postgres", directory, socketDirectory], asServerUser: false, quiet: true)
        }
        let source = "host=\(primary.socketDirectory) port=\(primary.port) user=postgres application_name=\(name)"
        try run(tool("pg_basebackup"), ["-d", source, "-D", dataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync"], quiet: true)
        // -R writes standby.signal and a primary_conninfo; this one names the standby.
        try run("/bin/sh", ["-c", "echo \"primary_conninfo = '\(source)'\" >> '\(dataDirectory)/postgresql.auto.conf'"], quiet: true)
        try handToServerUser([directory, dataDirectory, socketDirectory])
    }

    /// Promotes a standby to primary and waits until it accepts writes.
    public func promote() throws {
        try run(tool("pg_ctl"), ["promote", "-w", "-t", "60", "-D", dataDirectory], quiet: true)
    }

    /// Stops the server at once (`immediate`: no shutdown checkpoint, as a crash or a lost
    /// machine would).
    public func kill() throws {
        guard isRunning else { return }
        try run(tool("pg_ctl"), ["stop", "-w", "-t", "60", "-m", "immediate", "-D", dataDirectory], quiet: true)
    }

    // MARK: - Internals

    private static var isRoot: Bool { geteuid() == 0 }

    /// PostgreSQL's programs (`initdb`, `pg_ctl`, `psql`, …): the newest
    /// `/usr/lib/postgresql/N/bin`, else `PATH`.
    public func tool(_ name: String) throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let candidate = "\(base)/\(version)/bin/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ClusterError("PostgreSQL program \(name) not found; install PostgreSQL (scripts/setup)")
    }

    private func handToServerUser(_ paths: [String]) throws {
        guard PostgresCluster.isRoot else { return }
        for path in paths {
            try run("/bin/chown", ["postgres:postgres", path], asServerUser: false, quiet: true)
        }
        try run("/bin/chmod", ["0700", dataDirectory], asServerUser: false, quiet: true)
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], asServerUser: Bool = true, quiet: Bool) throws -> String {
        let argv = asServerUser && PostgresCluster.isRoot
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments
            : [program] + arguments
        let (status, text) = try Subprocess.run(argv)
        guard status == 0 else {
            let name = (program as NSString).lastPathComponent
            throw ClusterError("\(name) failed (\(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return (path as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath + "/" + path) as NSString).standardizingPath
    }
}

/// A failure managing the private cluster, with the tool's own output.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
