import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bounded pool of libpq connections whose blocking calls run on a dedicated thread pool.
///
/// libpq blocks, and NIO cannot watch a socket libpq owns, so every job runs on an
/// `NIOThreadPool` with one thread per connection: never on an event loop, never on the
/// cooperative executor. Acquisition is asynchronous: when every connection is busy the
/// caller waits in FIFO order without holding a thread.
///
/// Connections that the server dropped (restart, failover) are noticed when they are next
/// taken and replaced, so the first command after the database is back succeeds.
///
/// Waiting has a deadline (`maximumWait`): a caller that gets no connection in time fails
/// with ``PQError/Kind/poolExhausted`` instead of waiting behind connections that are held
/// for long (open batches), so one kind of work cannot stop every other.
public final class ConnectionPool: Sendable {
    /// Runs once on every new connection (e.g. `SET statement_timeout`).
    public typealias Setup = @Sendable (Connection) throws -> Void

    public let conninfo: String
    public let maxConnections: Int
    /// How long a caller may wait for a connection before it fails with `poolExhausted`.
    public let maximumWait: TimeAmount
    private let eventLoopGroup: any EventLoopGroup
    private let threadPool: NIOThreadPool
    private let setup: Setup?
    private let state = NIOLockedValueBox(State())

    private struct Waiter {
        var id: UInt64
        var promise: EventLoopPromise<Connection?>
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters = CircularBuffer<Waiter>()
        var nextWaiter: UInt64 = 0
        var closed = false
        var lastConnectionFailure: Date?
    }

    public init(conninfo: String, maxConnections: Int, eventLoopGroup: any EventLoopGroup,
                maximumWait: TimeAmount = .seconds(5), setup: Setup? = nil) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.conninfo = conninfo
        self.maxConnections = maxConnections
        self.maximumWait = maximumWait
        self.eventLoopGroup = eventLoopGroup
        self.setup = setup
        self.threadPool = NIOThreadPool(numberOfThreads: maxConnections)
        threadPool.start()
    }

    /// Runs `body` with a connection on the pool's threads; the future completes on `eventLoop`.
    public func withConnection<T: Sendable>(
        on eventLoop: any EventLoop,
        _ body: @escaping @Sendable (Connection) throws -> T
    ) -> EventLoopFuture<T> {
        withConnection(on: eventLoop, body, then: { $0 })
    }

    /// Like ``withConnection(on:_:)``, then `after` on the same database thread once the
    /// connection is back in the pool: the CPU work on what was read (writing a calendar out)
    /// then holds neither a connection nor an event loop.
    public func withConnection<T, U: Sendable>(
        on eventLoop: any EventLoop,
        _ body: @escaping @Sendable (Connection) throws -> T,
        then after: @escaping @Sendable (T) throws -> U
    ) -> EventLoopFuture<U> {
        acquire(on: eventLoop).flatMap { reused in
            self.threadPool.runIfActive(eventLoop: eventLoop) {
                let connection: Connection
                do {
                    connection = try self.prepare(reused)
                } catch {
                    self.releaseSlot()
                    self.noteFailure(error)
                    throw error
                }
                let value: T
                do {
                    value = try body(connection)
                    self.release(connection)
                } catch {
                    self.release(connection)
                    if let error = error as? PQError, error.kind == .connection { self.dropIdle() }
                    self.noteFailure(error)
                    throw error
                }
                return try after(value)
            }
        }
    }

    /// Async form of ``withConnection(on:_:)``.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withConnection(on: eventLoopGroup.next(), body).get()
    }

    /// Runs `body` inside a transaction (BEGIN/COMMIT, ROLLBACK on any error).
    public func transaction<T: Sendable>(
        on eventLoop: any EventLoop,
        _ body: @escaping @Sendable (Connection) throws -> T
    ) -> EventLoopFuture<T> {
        withConnection(on: eventLoop) { try $0.transaction(body) }
    }

    /// Async form of ``transaction(on:_:)``.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withConnection { try $0.transaction(body) }
    }

    /// Takes a connection out of the pool for a session of several jobs (a client's batch).
    /// Give it back with ``checkin(_:)``; run jobs on it with ``run(on:with:_:)``.
    public func checkout(on eventLoop: any EventLoop) -> EventLoopFuture<Connection> {
        acquire(on: eventLoop).flatMap { reused in
            self.threadPool.runIfActive(eventLoop: eventLoop) {
                do {
                    return try self.prepare(reused)
                } catch {
                    self.releaseSlot()
                    throw error
                }
            }
        }
    }

    /// Runs a job on a checked-out connection, on the pool's threads.
    public func run<T: Sendable>(on eventLoop: any EventLoop, with connection: Connection,
                                 _ body: @escaping @Sendable (Connection) throws -> T) -> EventLoopFuture<T> {
        threadPool.runIfActive(eventLoop: eventLoop) { try body(connection) }
    }

    /// Callback forms, for callers without an event loop of their own (the use cases): each
    /// completes on the caller's event loop when it runs on one, otherwise on any of the group's.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T,
                                            completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        withConnection(on: eventLoopGroup.any(), body).whenComplete(completion)
    }

    /// Callback form of ``withConnection(on:_:then:)``.
    public func withConnection<T, U: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T, then after: @escaping @Sendable (T) throws -> U,
                                               completion: @escaping @Sendable (Result<U, any Error>) -> Void) {
        withConnection(on: eventLoopGroup.any(), body, then: after).whenComplete(completion)
    }

    /// Callback form of ``checkout(on:)``.
    public func checkout(completion: @escaping @Sendable (Result<Connection, any Error>) -> Void) {
        checkout(on: eventLoopGroup.any()).whenComplete(completion)
    }

    /// Callback form of ``run(on:with:_:)``.
    public func run<T: Sendable>(with connection: Connection, _ body: @escaping @Sendable (Connection) throws -> T,
                                 completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        run(on: eventLoopGroup.any(), with: connection, body).whenComplete(completion)
    }

    /// Callback form of ``compute(on:_:)``.
    public func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T,
                                     completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        compute(on: eventLoopGroup.any(), body).whenComplete(completion)
    }

    /// Returns a checked-out connection.
    public func checkin(_ connection: Connection) { release(connection) }

    /// Runs CPU-heavy work that must stay off the event loops on the pool's threads
    /// (no connection taken). It competes with database jobs, which is the point: the
    /// pool's size bounds what runs at once.
    public func compute<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        threadPool.runIfActive(eventLoop: eventLoop, body)
    }

    /// Connections currently open (idle or in use).
    public var openConnections: Int { state.withLockedValue { $0.open } }

    /// When a job last failed because the database could not be reached (nil: never).
    public var lastConnectionFailure: Date? { state.withLockedValue { $0.lastConnectionFailure } }

    private func noteFailure(_ error: any Error) {
        guard let error = error as? PQError, error.isUnavailable else { return }
        state.withLockedValue { $0.lastConnectionFailure = Date() }
    }

    /// Closes idle connections, fails waiters and stops the threads. Jobs in flight finish first.
    public func shutdown() async {
        let (idle, waiters) = state.withLockedValue { state -> ([Connection], CircularBuffer<Waiter>) in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.promise.fail(PQError(kind: .connection, message: "connection pool is shut down")) }
        try? await threadPool.shutdownGracefully()
        for connection in idle { connection.close() }
    }

    // MARK: - Internals

    /// Returns an idle connection, `nil` for "a slot is reserved: open a new one", or waits
    /// (at most ``maximumWait``).
    private func acquire(on eventLoop: any EventLoop) -> EventLoopFuture<Connection?> {
        let promise = eventLoop.makePromise(of: Connection?.self)
        enum Outcome { case reuse(Connection), open, wait(UInt64), closed }
        let outcome: Outcome = state.withLockedValue { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .reuse(connection) }
            if state.open < maxConnections {
                state.open += 1
                return .open
            }
            state.nextWaiter &+= 1
            state.waiters.append(Waiter(id: state.nextWaiter, promise: promise))
            return .wait(state.nextWaiter)
        }
        switch outcome {
        case .reuse(let connection): promise.succeed(connection)
        case .open: promise.succeed(nil)
        case .wait(let id):
            let limit = maximumWait
            let timeout = eventLoop.scheduleTask(in: limit) { [self] in
                let expired = state.withLockedValue { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiters.remove(at: index)
                    return true
                }
                if expired {
                    promise.fail(PQError(kind: .poolExhausted,
                                         message: "all \(maxConnections) database connections stayed busy for \(limit.nanoseconds / 1_000_000) ms"))
                }
            }
            promise.futureResult.whenComplete { _ in timeout.cancel() }
        case .closed: promise.fail(PQError(kind: .connection, message: "connection pool is shut down"))
        }
        return promise.futureResult
    }

    /// On a pool thread: validates a reused connection or opens a new one.
    private func prepare(_ reused: Connection?) throws -> Connection {
        if let reused {
            if reused.checkAlive() { return reused }
            reused.close()
        }
        let connection = try Connection(conninfo)
        try setup?(connection)
        return connection
    }

    private func release(_ connection: Connection) {
        guard connection.isHealthy else {
            connection.close()
            releaseSlot()
            return
        }
        let waiter: EventLoopPromise<Connection?>? = state.withLockedValue { state in
            if let waiter = state.waiters.popFirst() { return waiter.promise }
            if state.closed {
                state.open -= 1
                return nil
            }
            state.idle.append(connection)
            return nil
        }
        if let waiter {
            waiter.succeed(connection)
        } else if state.withLockedValue({ $0.closed }) {
            connection.close()
        }
    }

    /// A connection slot was given up (broken or failed to open): pass it to a waiter, if any.
    private func releaseSlot() {
        let waiter: EventLoopPromise<Connection?>? = state.withLockedValue { state in
            if let waiter = state.waiters.popFirst() { return waiter.promise }
            state.open -= 1
            return nil
        }
        waiter?.succeed(nil)
    }

    /// After a connection error the other idle connections are most likely stale too.
    private func dropIdle() {
        let stale = state.withLockedValue { state -> [Connection] in
            defer { state.open -= state.idle.count; state.idle = [] }
            return state.idle
        }
        for connection in stale { connection.close() }
    }
}
