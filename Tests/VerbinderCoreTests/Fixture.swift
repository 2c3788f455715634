import Foundation
import Logging
import NIOPosix
import PQ
import VerbinderCluster
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// One private PostgreSQL cluster for this test process; each test gets its own database.
enum CoreCluster {
    static let repository: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let cluster: PostgresCluster = {
        let directory = NSTemporaryDirectory() + "verbinder-core-test-\(getpid())"
        let cluster = PostgresCluster(directory: directory, database: "postgres_template")
        do {
            _ = try cluster.createIfNeeded()
            try cluster.start()
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
        atexit { CoreCluster.cluster.destroy() }
        return cluster
    }()

    private static let counter = NSLock()
    nonisolated(unsafe) private static var next = 0

    /// A new database with the schema (every migration) and nothing else; its conninfo.
    static func freshDatabase(_ label: String) throws -> String {
        counter.lock()
        next += 1
        let name = "core_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(next)"
        counter.unlock()
        try cluster.createDatabase(name)
        let conninfo = cluster.conninfo(database: name)
        let connection = try Connection(conninfo)
        defer { connection.close() }
        _ = try Migrator(directory: repository + "/sql/migrations").migrate(connection)
        return conninfo
    }
}

/// The use cases over a fresh database, as `verbinderd serve` wires them, without any socket.
final class Fixture: Sendable {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let conninfo: String
    let core: UseCases
    /// A connection of the test's own, to see what is committed.
    let database: Connection
    /// Who the tests write as.
    let scope: WriteScope

    init(_ label: String, poolSize: Int = 4) throws {
        conninfo = try CoreCluster.freshDatabase(label)
        let graph = LiveGraph()
        let sync = GraphSync(graph: graph, conninfo: conninfo, locks: KeyLocks(), logger: Logger(label: "core-tests"))
        try sync.start()
        core = UseCases(pool: ConnectionPool(conninfo: conninfo, maxConnections: poolSize, eventLoopGroup: Self.group),
                        graph: graph, sync: sync, access: AccessControl(), probe: DatabaseProbe(conninfo: conninfo))
        database = try Connection(conninfo)
        scope = WriteScope(actor: Actor(name: "tester", remote: "core-tests", connection: 1), command: "TEST")
    }

    deinit {
        core.sync.stop()
        database.close()
    }

    /// A number from the test's own connection (`SELECT count(*) ...`).
    func count(_ sql: String, _ parameters: [String?] = []) throws -> Int {
        try database.query(sql, parameters)[0].int(0)
    }

    /// Adds regions `keys` through the use case.
    func addRegions(_ keys: [String]) async throws {
        for key in keys {
            _ = try await call { core.graphChanges.add(Node(key: key, kind: .region, name: "Regio \(key)"), scope, answer: { Response() }, completion: $0) }
        }
    }
}

/// Waits for a use case's completion.
func call<T: Sendable>(_ start: (@escaping Completion<T>) -> Void) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        start { continuation.resume(with: $0) }
    }
}

/// The protocol error a call failed with (nil when it succeeded or failed otherwise).
func protocolError<T: Sendable>(_ start: (@escaping Completion<T>) -> Void) async -> ProtocolError? {
    do {
        _ = try await call(start)
        return nil
    } catch {
        return error as? ProtocolError
    }
}
