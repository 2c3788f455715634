import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// An open `BEGIN … COMMIT` on one connection: every write runs in one database transaction
/// on a connection of its own; the in-memory changes wait until COMMIT, so other clients
/// see all of the batch or none of it. Lives on the connection's event loop.
final class Batch {
    let connection: Connection
    var applies: [@Sendable (inout Graph) -> Void] = []
    var keys: [String] = []
    /// Changes to announce to other daemons once the batch has committed.
    var announcements: [GraphSync.Change] = []
    /// Set by the first failing command: the transaction can no longer commit.
    var failure: ProtocolError?
    /// A command of the batch is running (commands of one connection run one at a time).
    var commands = 0

    init(connection: Connection) {
        self.connection = connection
    }
}

enum BatchCommands {
    static var all: [Command] { [begin, commit, rollback] }

    static let begin = Command(
        "BEGIN", usage: "BEGIN",
        summary: "Start a batch: the following writes commit together at COMMIT, or not at all."
    ) { request, context in
        if let open = context.session.batch {
            // Like any ERR inside a batch, a nested BEGIN aborts it: COMMIT will write nothing.
            let error = request.arguments.isEmpty
                ? ProtocolError(.conflict, "a batch is already open; it is aborted (ROLLBACK, or COMMIT to end it writing nothing)")
                : ProtocolError(.usage, "usage: BEGIN")
            if open.failure == nil { open.failure = error }
            throw error
        }
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let pool = context.services.pool
        let session = NIOLoopBound(context.session, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(pool.checkout(on: eventLoop).flatMap { connection in
            pool.run(on: eventLoop, with: connection) { try $0.query("BEGIN") }
                .map { _ in
                    session.value.batch = Batch(connection: connection)
                    return Response(status: Status([("batch", .string("open"))]))
                }
                .flatMapErrorThrowing { error in
                    pool.checkin(connection)
                    throw error
                }
        })
    }

    static let commit = Command(
        "COMMIT", usage: "COMMIT", summary: "Commit the open batch: OK applied=N, or ERR and nothing written."
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open (BEGIN first)") }
        context.session.batch = nil
        let services = context.services
        if let failure = batch.failure {
            return .later(finish(batch, sql: "ROLLBACK", context: context).flatMapThrowing { _ in
                throw ProtocolError(.conflict, "batch aborted, nothing written: \(failure.code.rawValue) \(failure.message)")
            })
        }
        let applies = batch.applies
        let keys = batch.keys
        let announcements = batch.announcements
        let connection = batch.connection
        return .later(services.pool.run(on: context.eventLoop, with: connection) { connection in
            try services.sync.locks.withLocks(keys) {
                try connection.query("COMMIT")
                services.graph.write { graph in for apply in applies { apply(&graph) } }
                services.sync.announce(announcements)
            }
        }.always { _ in services.pool.checkin(connection) }
        .map { Response(status: Status([("applied", .int(applies.count))])) })
    }

    static let rollback = Command(
        "ROLLBACK", usage: "ROLLBACK", summary: "Discard the open batch."
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        guard let batch = context.session.batch else { throw ProtocolError(.conflict, "no batch is open") }
        context.session.batch = nil
        return .later(finish(batch, sql: "ROLLBACK", context: context).map { _ in Response() })
    }

    static func finish(_ batch: Batch, sql: String, context: CommandContext) -> EventLoopFuture<Void> {
        let pool = context.services.pool
        let connection = batch.connection
        return pool.run(on: context.eventLoop, with: connection) { connection in
            _ = try? connection.query(sql)
        }.always { _ in pool.checkin(connection) }
    }

    /// A connection closed with a batch open: roll it back and return its connection.
    static func abandon(_ batch: Batch, services: Services, eventLoop: any EventLoop) {
        let connection = batch.connection
        services.pool.run(on: eventLoop, with: connection) { connection in
            _ = try? connection.query("ROLLBACK")
        }.whenComplete { _ in services.pool.checkin(connection) }
    }
}
