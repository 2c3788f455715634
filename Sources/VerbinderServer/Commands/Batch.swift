import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// An open `BEGIN … COMMIT` on one connection: every write runs in one database transaction
/// on a connection of its own; the in-memory changes wait until COMMIT, so other clients
/// see all of the batch or none of it. Lives on the connection's event loop.
///
/// A batch holds a pooled connection, so it may not sit idle for long (see
/// ``BatchCommands/watch(_:session:services:eventLoop:after:)``) and only so many may be open
/// at once (`maxBatches`, below the pool's size): idle batches cannot starve every other command.
final class Batch {
    let connection: Connection
    var applies: [@Sendable (inout Graph) -> Void] = []
    var keys: [String] = []
    /// Changes to announce to other daemons once the batch has committed.
    var announcements: [GraphSync.Change] = []
    /// The write ids of its audit rows: after a connection lost during COMMIT, any one of them
    /// tells whether the batch committed.
    var writeIDs: [String] = []
    /// Set by the first failing command: the transaction can no longer commit.
    var failure: ProtocolError?
    /// When the client last sent a command while the batch was open.
    var lastActivity = NIODeadline.now()
    /// A command of the batch is running on the database (a running batch is never idle).
    var running = false
    /// The connection went back to the pool (COMMIT, ROLLBACK, expiry or the client's close).
    var released = false

    init(connection: Connection) {
        self.connection = connection
    }
}

enum BatchCommands {
    static var all: [Command] { [begin, commit, rollback] }

    static let begin = Command(
        "BEGIN", usage: "BEGIN",
        summary: "Start a batch: the following writes commit together at COMMIT, or not at all.",
        permission: .write,  // its arguments are checked by the handler: a nested BEGIN aborts the open batch either way
        controlsBatch: true
    ) { request, context in
        if let open = context.session.batch {
            // Like any ERR inside a batch, a nested BEGIN aborts it: COMMIT will write nothing.
            let error = request.arguments.isEmpty
                ? ProtocolError(.conflict, "a batch is already open; it is aborted (ROLLBACK, or COMMIT to end it writing nothing)")
                : ProtocolError(.usage, "usage: BEGIN")  // thrown past the dispatcher, into the batch
            if open.failure == nil { open.failure = error }
            throw error
        }
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let services = context.services
        let limit = services.configuration.maxBatches
        guard services.openBatches.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
            services.openBatches.subtract(1, ordering: .relaxed)
            throw ProtocolError(.busy, "\(limit) batches are open, the most this daemon allows (--max-batches); try again later")
        }
        let pool = services.pool
        let session = NIOLoopBound(context.session, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(pool.checkout(on: eventLoop).flatMap { connection in
            pool.run(on: eventLoop, with: connection) { try $0.begin() }
                .map { _ in
                    let batch = Batch(connection: connection)
                    session.value.batch = batch
                    watch(batch, session: session, services: services, eventLoop: eventLoop,
                          after: .seconds(services.configuration.batchIdleTimeoutSeconds))
                    return Response(status: Status([("batch", .string("open"))]))
                }
                .flatMapErrorThrowing { error in
                    pool.checkin(connection)
                    throw error
                }
        }.flatMapErrorThrowing { error in
            services.openBatches.subtract(1, ordering: .relaxed)
            throw error
        })
    }

    /// Rolls back a batch that has had no command for `--batch-idle-timeout` seconds and gives
    /// its connection back; the connection's next command is told so.
    static func watch(_ batch: Batch, session: NIOLoopBound<Session>, services: Services, eventLoop: any EventLoop, after delay: TimeAmount) {
        let bound = NIOLoopBound(batch, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: delay) {
            let batch = bound.value
            guard session.value.batch === batch, !batch.released else { return }
            let limitSeconds = services.configuration.batchIdleTimeoutSeconds
            let limit = TimeAmount.seconds(limitSeconds)
            let idle = NIODeadline.now() - batch.lastActivity
            if batch.running || idle < limit {
                watch(batch, session: session, services: services, eventLoop: eventLoop,
                      after: max(limit - idle, .milliseconds(100)))
                return
            }
            session.value.batch = nil
            session.value.expiredBatch = "batch rolled back after \(limitSeconds) s idle; nothing was written"
            release(batch, rollback: true, services: services, eventLoop: eventLoop)
        }
    }

    static let commit = Command(
        "COMMIT", usage: "COMMIT [idem=K]",
        summary: "Commit the open batch: OK applied=N, or ERR and nothing written. With idem=K a retried batch gets the first answer and writes nothing.",
        arity: .exactly(0), permission: .write, options: [IdempotencyKey.option], controlsBatch: true
    ) { request, context in
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open (BEGIN first)") }
        let services = context.services
        // A key on COMMIT stands for the whole batch; batches are not compared, only keys.
        let idempotency = try request.options[IdempotencyKey.option].map { key throws(ProtocolError) in
            guard IdempotencyKey.isValid(key) else { throw IdempotencyKey.invalid }
            return IdempotencyKey(key: key, actor: context.session.actorName, request: "COMMIT")
        }
        context.session.batch = nil
        let format = context.session.format
        let failure = batch.failure
        let applies = batch.applies
        let keys = batch.keys
        let announcements = batch.announcements
        let writeIDs = batch.writeIDs
        let connection = batch.connection
        let bound = NIOLoopBound(batch, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(services.pool.run(on: context.eventLoop, with: connection) { connection -> (Response, Bool) in
            if let failure {
                try connection.rollback()
                if let idempotency, let kept = try Idempotency.lookup(connection, actor: idempotency.actor, key: idempotency.key) {
                    return (try idempotency.replay(kept, format: format), false)
                }
                throw ProtocolError(.conflict, "batch aborted, nothing written: \(failure.code.rawValue) \(failure.message)")
            }
            let response = Response(status: Status([("applied", .int(applies.count))]))
            return try services.sync.locks.withLocks(keys) {
                if let idempotency {
                    if let kept = try Idempotency.lookup(connection, actor: idempotency.actor, key: idempotency.key) {
                        try connection.rollback()
                        return (try idempotency.replay(kept, format: format), false)
                    }
                    guard try Idempotency.keep(connection, actor: idempotency.actor, key: idempotency.key,
                                               answer: idempotency.kept(response)) else {
                        try connection.rollback()
                        throw ProtocolError(.conflict, "idem key \(idempotency.key) is in use by a request running now; retry it")
                    }
                }
                do {
                    try connection.commit()
                } catch let error as PQError where error.isUnavailable && !writeIDs.isEmpty {
                    // Lost while committing: only the database can say whether it did.
                    guard let committed = services.committedWrites(writeIDs, lostBackend: connection.backendPID) else {
                        services.sync.refresh(announcements)
                        throw Services.inDoubt("the batch", retry: "retry with the same idem= key on COMMIT, or look for it with AUDIT")
                    }
                    guard !committed.isEmpty else { throw error }
                }
                services.graph.write { graph in for apply in applies { apply(&graph) } }
                services.sync.announce(announcements)
                return (response, true)
            }
        }.always { result in
            // An answer means committed, or rolled back already; after an error, roll back (again).
            var failed = false
            if case .failure = result { failed = true }
            release(bound.value, rollback: failed, services: services, eventLoop: eventLoop)
        }
        .map(\.0))
    }

    static let rollback = Command(
        "ROLLBACK", usage: "ROLLBACK", summary: "Discard the open batch.", arity: .exactly(0), permission: .write,
        controlsBatch: true
    ) { request, context in
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open") }
        context.session.batch = nil
        return .later(finish(batch, context: context).map { _ in Response() })
    }

    static func finish(_ batch: Batch, context: CommandContext) -> EventLoopFuture<Void> {
        release(batch, rollback: true, services: context.services, eventLoop: context.eventLoop)
    }

    /// A connection closed with a batch open: roll it back and return its connection.
    static func abandon(_ batch: Batch, services: Services, eventLoop: any EventLoop) {
        release(batch, rollback: true, services: services, eventLoop: eventLoop)
    }

    /// Gives a batch's connection back to the pool, once (rolling back first unless it
    /// committed), and counts the batch as closed.
    @discardableResult
    static func release(_ batch: Batch, rollback: Bool, services: Services, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard !batch.released else { return eventLoop.makeSucceededVoidFuture() }
        batch.released = true
        services.openBatches.subtract(1, ordering: .relaxed)
        let pool = services.pool
        let connection = batch.connection
        guard rollback else {
            pool.checkin(connection)
            return eventLoop.makeSucceededVoidFuture()
        }
        return pool.run(on: eventLoop, with: connection) { connection in
            _ = try? connection.rollback()
        }.always { _ in pool.checkin(connection) }
    }
}
