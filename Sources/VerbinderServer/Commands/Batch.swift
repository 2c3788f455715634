import NIOCore
import VerbinderCore
import VerbinderProtocol

/// An open `BEGIN … COMMIT` on one connection: the use cases' ``OpenTransaction`` (one database
/// transaction on a connection of its own; its in-memory changes wait for COMMIT), and what the
/// connection keeps about it. Lives on the connection's event loop.
///
/// A batch holds a pooled connection, so it may not sit idle for long (see
/// ``BatchCommands/watch(_:session:services:eventLoop:after:)``) and only so many may be open
/// at once (`maxBatches`, below the pool's size): idle batches cannot starve every other command.
final class Batch {
    let transaction: OpenTransaction
    /// When the client last sent a command while the batch was open.
    var lastActivity = NIODeadline.now()
    /// A command of the batch is running on the database (a running batch is never idle).
    var running = false

    init(transaction: OpenTransaction) {
        self.transaction = transaction
    }

    /// The first error of one of its commands: the transaction can no longer commit.
    var failure: ProtocolError? { transaction.failure }

    /// An error of one of its commands aborts it (the first one is kept): COMMIT writes nothing.
    func abort(_ error: ProtocolError) { transaction.abort(error) }
}

enum BatchCommands {
    static var all: [Command] { [begin, commit, rollback] }

    /// `errors=` of BEGIN: after a failed write, do the later ones still run (`all`) or answer
    /// that the batch is aborted (`first`, the default)?
    enum ErrorsOption: String, CaseIterable {
        case first, all
    }

    static let begin = Command(
        "BEGIN", usage: "BEGIN [errors=first|all]",
        summary: "Start a batch: the following writes commit together at COMMIT, or not at all.",
        // errors= is read as text and checked by the handler, like the arguments: a nested
        // BEGIN aborts the open batch whatever it says.
        permission: .write, options: [.text("errors")],
        controlsBatch: true
    ) { request, context in
        let errors = context.options.text("errors")
        if let open = context.session.batch {
            // Like any ERR inside a batch, a nested BEGIN aborts it: COMMIT will write nothing.
            let error = request.arguments.isEmpty
                ? ProtocolError(.conflict, "a batch is already open; it is aborted (ROLLBACK, or COMMIT to end it writing nothing)")
                : ProtocolError(.usage, "usage: BEGIN [errors=first|all]")  // thrown past the dispatcher, into the batch
            open.abort(error)
            throw error
        }
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let mode = try errors.map { text throws(ProtocolError) -> ErrorsOption in
            guard let mode = ErrorsOption(rawValue: text.lowercased()) else {
                throw ProtocolError(.invalid, "\("errors")= is one of: \("first, all")")
            }
            return mode
        } ?? .first
        let services = context.services
        let session = NIOLoopBound(context.session, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(context.future {
            services.core.writes.begin(limit: services.configuration.maxBatches, reportsEveryError: mode == .all, completion: $0)
        }
            .map { transaction in
                let batch = Batch(transaction: transaction)
                session.value.batch = batch
                watch(batch, session: session, services: services, eventLoop: eventLoop,
                      after: .seconds(services.configuration.batchIdleTimeoutSeconds))
                return Response(status: Status([("batch", .string("open"))]))
            })
    }

    /// Rolls back a batch that has had no command for `--batch-idle-timeout` seconds and gives
    /// its connection back; the connection's next command is told so.
    static func watch(_ batch: Batch, session: NIOLoopBound<Session>, services: Services, eventLoop: any EventLoop, after delay: TimeAmount) {
        let bound = NIOLoopBound(batch, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: delay) {
            let batch = bound.value
            guard session.value.batch === batch, !batch.transaction.isReleased else { return }
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
            services.core.writes.release(batch.transaction, rollback: true)
        }
    }

    static let commit = Command(
        "COMMIT", usage: "COMMIT [idem=K]",
        summary: "Commit the open batch: OK applied=N, or ERR and nothing written. With idem=K a retried batch gets the first answer and writes nothing.",
        arity: .exactly(0), permission: .write, options: [.text(IdempotencyKey.option)], controlsBatch: true
    ) { request, context in
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open (BEGIN first)") }
        // A key on COMMIT stands for the whole batch; batches are not compared, only keys.
        let idempotency = try context.options.text(IdempotencyKey.option).map { key throws(ProtocolError) in
            guard IdempotencyKey.isValid(key) else { throw IdempotencyKey.invalid }
            return IdempotencyKey(key: key, actor: context.session.actorName, request: "COMMIT")
        }
        context.session.batch = nil
        let format = context.session.format
        return .later(context.future {
            context.core.writes.commit(batch.transaction, idempotency: idempotency, format: format, completion: $0)
        })
    }

    static let rollback = Command(
        "ROLLBACK", usage: "ROLLBACK", summary: "Discard the open batch.", arity: .exactly(0), permission: .write,
        controlsBatch: true
    ) { request, context in
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open") }
        context.session.batch = nil
        let transaction = batch.transaction
        return .later(context.future { done in
            context.core.writes.release(transaction, rollback: true) { _ in done(.success(Response())) }
        })
    }

    /// A connection closed with a batch open: roll it back and return its connection.
    static func abandon(_ batch: Batch, services: Services) {
        services.core.writes.release(batch.transaction, rollback: true)
    }
}
