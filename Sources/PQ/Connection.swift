import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking connection to PostgreSQL through libpq.
///
/// A `Connection` is not thread-safe: libpq forbids using one `PGconn` from two threads
/// at once. The ``ConnectionPool`` hands each connection to one job at a time, which is
/// why the type is `@unchecked Sendable` (it moves between threads, never shared).
public final class Connection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Statements prepared on this session by ``queryPrepared(_:_:)``: SQL text → name.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// Beyond this many, further texts run unprepared (a guard against texts built per call).
    static let preparedLimit = 64

    /// Opens a connection from a URL (`postgresql://…`) or a conninfo string (`host=… dbname=…`).
    /// Throws a ``PQError`` of kind `.connection` carrying the server's message.
    public init(_ conninfo: String) throws {
        let conn = PQconnectdb(conninfo)
        guard let conn else {
            throw PQError(kind: .connection, message: "out of memory allocating a libpq connection")
        }
        if PQstatus(conn) != CONNECTION_OK {
            let message = Connection.trimmed(PQerrorMessage(conn))
            PQfinish(conn)
            throw PQError(kind: .connection, message: message.isEmpty ? "connection failed" : message)
        }
        handle = conn
        // Quiet NOTICEs (e.g. "relation already exists, skipping") so they do not reach stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { close() }

    /// Closes the connection; safe to call more than once.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Whether libpq still considers the connection usable.
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Notices that the server closed this connection while it sat idle (restart, admin
    /// termination): the socket turns readable, and consuming the input marks it bad.
    /// Cheap: one non-blocking `poll`.
    public func checkAlive() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        // A server that shuts down sends its FATAL message and then closes: the first read
        // takes the message with the connection still "OK", a second one meets the end of the
        // stream. So read while there is something to read.
        for _ in 0..<8 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && descriptor.revents & Int16(POLLIN) == 0 { return false }
            if PQconsumeInput(handle) == 0 { return false }
            while let raw = PQnotifies(handle) { PQfreemem(raw) }
            if PQstatus(handle) != CONNECTION_OK { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server's process id for this session (useful for tests and diagnostics).
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// Runs a parameterised statement (`$1`, `$2`, … placeholders; parameters as text, `nil` is SQL NULL)
    /// and returns its rows copied out of the `PGresult`, which is freed before this returns.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let conn = try liveHandle()
        let result = withCStrings(parameters) { pointers in
            PQexecParams(conn, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        return try consume(result, conn: conn)
    }

    /// ``query(_:_:)`` for a statement this connection runs again and again: it is parsed and
    /// planned once per session (`PQprepare`), then only bound and executed
    /// (`PQexecPrepared`). For the hot writes, where parsing and planning a `WITH` of two
    /// inserts costs PostgreSQL more than running it, and for small reads asked again and
    /// again (`MATCH`, `AUDIT`, `DUE`), where planning is a large part of the answer's cost.
    /// After five runs PostgreSQL keeps one generic plan when it costs no more than the
    /// plans made for each run's values.
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [String?] = []) throws -> QueryResult {
        let conn = try liveHandle()
        var name = prepared[sql]
        if name == nil, prepared.count < Connection.preparedLimit {
            preparedCount += 1
            let fresh = "verbinder_\(preparedCount)"
            _ = try consume(PQprepare(conn, fresh, sql, Int32(parameters.count), nil), conn: conn)
            prepared[sql] = fresh
            name = fresh
        }
        guard let name else { return try query(sql, parameters) }
        let result = withCStrings(parameters) { pointers in
            PQexecPrepared(conn, name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        do {
            return try consume(result, conn: conn)
        } catch let error as PQError where error.sqlState == "0A000" || error.sqlState == "26000" {
            // The table changed under the plan ("cached plan must not change result type") or
            // the statement is gone: forget it, so the next call prepares it afresh.
            prepared[sql] = nil
            throw error
        }
    }

    /// Runs a script of several statements with no parameters (migrations: static files only).
    public func executeScript(_ sql: String) throws {
        let conn = try liveHandle()
        _ = try consume(PQexec(conn, sql), conn: conn)
    }

    /// How a transaction sees the data of others.
    public enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        /// One snapshot for the whole transaction: several reads that fit together.
        case repeatableRead = "REPEATABLE READ"
    }

    /// Starts a transaction held open across calls (a client's batch, a write whose answer is
    /// made before it commits); end it with ``commit()`` or ``rollback()``.
    public func begin() throws { try query("BEGIN") }

    public func commit() throws { try query("COMMIT") }

    /// Ends the transaction without its changes; harmless when none is open.
    public func rollback() throws { try query("ROLLBACK") }

    /// Runs `body` inside `BEGIN … COMMIT`; any thrown error rolls back and is rethrown.
    public func transaction<T>(isolation: Isolation = .readCommitted, _ body: (Connection) throws -> T) throws -> T {
        try query(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    // MARK: - LISTEN/NOTIFY support

    /// The socket descriptor, for `poll` in a listener loop.
    var socket: Int32 {
        guard let handle else { return -1 }
        return PQsocket(handle)
    }

    /// Reads whatever the server has sent and returns the notifications that arrived.
    func consumeNotifications() throws -> [ChannelNotification] {
        let conn = try liveHandle()
        if PQconsumeInput(conn) == 0 {
            throw PQError(kind: .connection, message: Connection.trimmed(PQerrorMessage(conn)))
        }
        var notifications: [ChannelNotification] = []
        while let raw = PQnotifies(conn) {
            let note = raw.pointee
            notifications.append(ChannelNotification(
                channel: String(cString: note.relname),
                payload: String(cString: note.extra),
                senderPID: note.be_pid
            ))
            PQfreemem(raw)
        }
        return notifications
    }

    // MARK: - Internals

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PQError(kind: .connection, message: "connection is closed") }
        return handle
    }

    private func consume(_ result: OpaquePointer?, conn: OpaquePointer) throws -> QueryResult {
        guard let result else {
            throw PQError(kind: .connection, message: Connection.trimmed(PQerrorMessage(conn)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            defer { PQclear(result) }
            return QueryResult(affectedRows: Connection.affected(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return QueryResult(owning: result)
        default:
            defer { PQclear(result) }
            let state = Connection.field(result, "C")
            let message = Connection.field(result, "M") ?? Connection.trimmed(PQresultErrorMessage(result))
            let detail = Connection.field(result, "D")
            // No SQLSTATE: libpq made the error itself (the server went away mid-query, often
            // before PQstatus says so), never the server after running the statement. It is a
            // connection failure: the caller must treat the write's outcome as unknown.
            throw PQError(kind: state == nil ? .connection : .server,
                          sqlState: state ?? "", message: message.isEmpty ? "connection lost" : message, detail: detail)
        }
    }

    /// `PG_DIAG_*` macros do not import into Swift; the field codes are the ASCII letters.
    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(UInt8(ascii: code))) else { return nil }
        return String(cString: value)
    }

    private static func affected(_ result: OpaquePointer) -> Int {
        guard let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).trimmingWhitespace()
    }
}

/// A notification received through `LISTEN`.
public struct ChannelNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

/// Calls `body` with an array of NUL-terminated C strings that stay valid for the call.
/// libpq reads the parameter pointers during `PQexecParams`, so they must outlive it.
private func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = []
    owned.reserveCapacity(values.count)
    defer { for pointer in owned { free(pointer) } }
    for value in values {
        owned.append(value.map { strdup($0) })
    }
    return body(owned.map { UnsafePointer($0) })
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
