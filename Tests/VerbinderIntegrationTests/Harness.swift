import Foundation
import PQ
import func VerbinderClient.isStatusLine
import VerbinderStore
import VerbinderCluster
#if canImport(Glibc)
import Glibc
#endif

/// Paths of the built products and the checkout, found from the running test binary.
enum Paths {
    /// The build directory holding `verbinderd` (the test bundle sits beside it).
    static let products: String = {
        let exe: String = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("verbinderd").path) { return url.path }
            url = url.deletingLastPathComponent()
        }
        fatalError("verbinderd not found near \(exe)")
    }()

    static let repository: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var verbinderd: String { products + "/verbinderd" }
    static var verbinder: String { products + "/verbinder" }
    static var sql: String { repository + "/sql" }
}

/// One private PostgreSQL cluster for the whole test process; each test gets its own database.
enum SharedCluster {
    static let cluster: PostgresCluster = {
        let directory = NSTemporaryDirectory() + "verbinder-test-\(getpid())"
        let cluster = PostgresCluster(directory: directory, database: "postgres_template")
        do {
            try cluster.createIfNeeded()
            try cluster.start()
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
        atexit { SharedCluster.cluster.destroy() }
        return cluster
    }()

    private static let counter = Counter()

    /// A new empty database in the shared cluster; returns its conninfo.
    static func freshDatabase(_ label: String) throws -> String {
        let name = "t_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(counter.next())"
        try cluster.createDatabase(name)
        return cluster.conninfo(database: name)
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// A child process started with posix_spawn, its output in a file.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let logPath: String
    private var reaped = false
    private(set) var exitStatus: Int32?

    init(_ argv: [String], environment: [String: String] = [:]) throws {
        logPath = NSTemporaryDirectory() + "verbinder-child-\(UUID().uuidString).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        env["VERBINDER_SQL_DIR"] = Paths.sql
        // The tests read the daemon's English texts; LanguageTests ask for Dutch themselves.
        env["VERBINDER_LANG"] = "en"
        for (key, value) in environment { env[key] = value }
        let pairs: [String] = env.map { key, value in key + "=" + value }
        let envStrings: [UnsafeMutablePointer<CChar>?] = pairs.map { strdup($0) } + [nil]
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in envStrings + args { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, args, envStrings)
        guard result == 0 else { throw HarnessError("spawn \(argv[0]) failed: \(result)") }
        self.pid = pid
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to end (with a deadline) and returns its exit code.
    @discardableResult
    func wait(timeout: Double = 30) throws -> Int32 {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw HarnessError("process \(pid) did not exit within \(timeout) s; output:\n\(output)")
            }
            usleep(20_000)
        }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        unlink(logPath)
    }
}

/// A running `verbinderd serve` on a free loopback port.
final class Daemon: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let conninfo: String

    init(conninfo: String, extraArguments: [String] = []) throws {
        self.conninfo = conninfo
        process = try ChildProcess([Paths.verbinderd, "serve", "--database-url", conninfo,
                                    "--listen", "127.0.0.1:0", "--log-level", "debug"] + extraArguments)
        let deadline = Date().addingTimeInterval(60)
        while true {
            if let port = Daemon.boundPort(in: process.output) {
                self.port = port
                return
            }
            if Date() > deadline { throw HarnessError("daemon did not start:\n\(process.output)") }
            var status: Int32 = 0
            if waitpid(process.pid, &status, WNOHANG) == process.pid {
                throw HarnessError("daemon exited during start-up:\n\(process.output)")
            }
            usleep(20_000)
        }
    }

    static func boundPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            if let range = line.range(of: "address=") {
                let rest = line[range.upperBound...]
                let address = rest.prefix { !$0.isWhitespace }
                if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) { return port }
            }
        }
        return nil
    }

    func connect() throws -> LineClient { try LineClient(port: port) }

    /// The HTTP side's port (`--http 127.0.0.1:0`), from the daemon's log.
    func httpPort(timeout: Double = 10) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for line in process.output.split(separator: "\n") where line.contains("serving HTTP") {
                if let range = line.range(of: "http_address=") {
                    let address = line[range.upperBound...].prefix { !$0.isWhitespace }
                    if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) { return port }
                }
            }
            usleep(20_000)
        }
        throw HarnessError("the daemon serves no HTTP:\n\(process.output)")
    }

    /// SIGTERM and wait for a clean exit.
    func stop() throws -> Int32 {
        process.signal(SIGTERM)
        return try process.wait()
    }
}

/// Runs `verbinderd` with arguments to completion; returns exit code and output.
func runVerbinderd(_ arguments: [String]) throws -> (Int32, String) {
    let child = try ChildProcess([Paths.verbinderd] + arguments)
    let code = try child.wait(timeout: 120)
    return (code, child.output)
}

/// A blocking line client over TCP with a receive timeout, for talking to the daemon like `nc` does.
final class LineClient {
    /// The client library's connection: it connects and reads answers to their status line.
    private let connection: LibraryConnection
    /// Its socket, for bytes no well-behaved client would send (partial lines, floods, half-closes).
    private let fd: Int32
    private let timeoutMilliseconds: Int32

    init(port: Int, timeout: Int = 10) throws {
        do {
            connection = try LibraryConnection(address: LibraryAddress.tcp(host: "127.0.0.1", port: port), timeoutSeconds: Int32(timeout))
        } catch {
            throw HarnessError("connect to port \(port) failed: \(error)")
        }
        // A test that waits for an answer that never comes fails instead of hanging.
        timeoutMilliseconds = Int32(timeout * 1000)
        connection.readTimeoutMilliseconds = timeoutMilliseconds
        fd = connection.fd
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes`, waiting (up to the timeout) while the socket is full: the
    /// library's socket does not block.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
                continue
            }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK else { throw HarnessError("send failed (errno \(errno))") }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) > 0 else { throw HarnessError("send timed out") }
        }
    }

    /// Sends as much of `bytes` as the connection takes before `deadline`, without ever
    /// blocking past it (for clients that write and do not read); returns the bytes sent.
    func send(_ bytes: [UInt8], until deadline: Date) -> Int {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written > 0 {
                offset += written
                continue
            }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK else { break }
            let remaining = Int32(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0 else { break }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, min(remaining, 100)) < 0 { break }
        }
        return offset
    }

    /// Sends what the connection takes right now without blocking; returns the bytes sent.
    func sendWithoutWaiting(_ bytes: ArraySlice<UInt8>) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        return max(written, 0)
    }

    /// Whether the peer still holds the connection open, waiting up to `seconds` for it to
    /// close (false at end of stream or on a reset; a line that arrives meanwhile stays unread).
    func isOpen(waitingAtMost seconds: Double) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(max(0, seconds) * 1000))
        if ready <= 0 { return true }
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if count > 0 {
            // An answer instead of a close: nothing the callers expect. Consume it so polling goes on.
            guard let line = try readLine() else { return false }
            throw HarnessError("unexpected line while waiting for a close: \(line)")
        }
        return false
    }

    /// Half-closes the sending side, as `nc -N` does after its input ends.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line without its LF; nil at end of stream.
    func readLine() throws -> String? {
        do {
            return try connection.readLine().map { String(decoding: $0, as: UTF8.self) }
        } catch {
            throw HarnessError("receive failed: \(error)")
        }
    }

    /// Reads one response: data lines up to and including the status line.
    func readResponse() throws -> (lines: [String], status: String) {
        var lines: [String] = []
        do {
            let status = try connection.readResponse { lines.append(String(decoding: $0, as: UTF8.self)) }
            return (lines, String(decoding: status, as: UTF8.self))
        } catch {
            throw HarnessError("\(error); got \(lines)")
        }
    }

    /// Sends one request line and reads its response.
    func request(_ line: String) throws -> (lines: [String], status: String) {
        try send(line + "\n")
        return try readResponse()
    }

    /// Reads everything until the server closes.
    func readToEnd() throws -> [String] {
        var lines: [String] = []
        while let line = try readLine() { lines.append(line) }
        return lines
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parses a text record (`type k=v ...`) into its type and fields, with the protocol's tokenizer.
import VerbinderProtocol
func parseRecord(_ line: String) throws -> (type: String, fields: [String: String]) {
    let tokens = try Tokenizer.tokenize(line)
    guard case .argument(let type)? = tokens.first else { throw HarnessError("not a record: \(line)") }
    var fields: [String: String] = [:]
    for token in tokens.dropFirst() {
        if case .option(let name, let value) = token { fields[name] = value }
    }
    return (type, fields)
}

/// A fresh database at the schema before migration `version`, with `rows` inserted: for tests
/// that a migration keeps every row. Returns its conninfo and a connection to it.
func databaseBefore(migration version: Int, label: String, rows: String) throws -> (String, Connection) {
    let conninfo = try SharedCluster.freshDatabase(label)
    let db = try Connection(conninfo)
    let previous = try Migrator(directory: Paths.sql + "/migrations").migrations.filter { $0.version < version }
    guard previous.count == version - 1 else { throw HarnessError("expected \(version - 1) migrations before \(version), found \(previous.count)") }
    try Migrator(migrations: previous).migrate(db)
    try db.executeScript(rows)
    return (conninfo, db)
}

/// Runs `verbinderd migrate` on `conninfo` and expects it to succeed and to record `version`.
func migrate(_ conninfo: String, recording version: Int, on db: Connection) throws {
    let (code, output) = try runVerbinderd(["migrate", "--database-url", conninfo])
    guard code == 0 else { throw HarnessError("migrate failed: \(output)") }
    guard try db.query("SELECT count(*) FROM schema_migrations WHERE version = $1", [String(version)])[0].int(0) == 1 else {
        throw HarnessError("migration \(version) is not recorded")
    }
}

/// A fresh database loaded with the seed; returns its conninfo.
func seededDatabase(_ label: String) throws -> String {
    let conninfo = try SharedCluster.freshDatabase(label)
    let (code, output) = try runVerbinderd(["seed", "--database-url", conninfo])
    guard code == 0 else { throw HarnessError("seed failed: \(output)") }
    return conninfo
}

/// A fresh database loaded with the seed, its own daemon, a connected client (greeting read)
/// and a direct database connection: for tests that write.
func freshSeededDaemon(_ label: String) throws -> (Daemon, LineClient, Connection) {
    let conninfo = try seededDatabase(label)
    let daemon = try Daemon(conninfo: conninfo)
    let client = try daemon.connect()
    _ = try client.readLine()
    return (daemon, client, try Connection(conninfo))
}

/// A seeded database with one daemon, shared by the read-only tests.
enum SeededDaemon {
    static let shared: Result<Daemon, any Error> = Result {
        let conninfo = try SharedCluster.freshDatabase("seeded")
        let (code, output) = try runVerbinderd(["seed", "--database-url", conninfo])
        guard code == 0 else { throw HarnessError("seed failed: \(output)") }
        let daemon = try Daemon(conninfo: conninfo)
        atexit { if case .success(let daemon) = SeededDaemon.shared { kill(daemon.process.pid, SIGKILL) } }
        return daemon
    }

    static func get() throws -> Daemon { try shared.get() }
}

/// The resident memory of a process in bytes (`VmRSS`).
func rss(_ pid: pid_t) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

/// Runs `body` on `count` real threads at once and returns their results in index order.
/// Blocking socket clients must not run as Swift tasks: the cooperative pool has one thread
/// per core, so a few blocking tasks would starve the rest.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = ResultBox<T>(count: count)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            results.set(index, Result { try body(index) })
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    return try results.values()
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var slots: [Result<T, any Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<T, any Error>) { lock.lock(); slots[index] = result; lock.unlock() }
    func values() throws -> [T] { try slots.map { try $0!.get() } }
}
