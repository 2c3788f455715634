import Foundation
import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

extension CommandContext {
    /// Who this connection writes as.
    var actor: Actor { Actor(name: session.actorName, remote: session.remote, connection: session.id, daemon: services.sync.instance) }

    /// Runs a write: the SQL, its audit row and, with `idem=`, its kept answer in one
    /// transaction; then, still holding the node locks, the change in memory. The answer is
    /// made by `answer` inside the transaction (so the kept one is the one sent) and the future
    /// completes after both, so an `OK` is only ever sent for a committed, applied write.
    func commit<T: Sendable>(
        _ request: Request,
        locking keys: [String],
        audit changes: [String: String],
        announce: [GraphSync.Change],
        sql: @escaping @Sendable (Connection) throws -> T,
        apply: @escaping @Sendable (inout Graph, T) -> Void,
        auditCommand: String? = nil,
        answer: @escaping @Sendable (T) throws -> Response
    ) -> EventLoopFuture<Response> {
        var actor = self.actor
        actor.writeID = services.newWriteID()
        let writer = actor
        // Personal data (e-mail addresses) never reaches the audit: callers pass a redacted line.
        let command = auditCommand ?? request.line
        return perform(request, locking: keys, announce: announce, writeID: writer.writeID!, oneStatement: nil,
                       apply: apply, answer: answer) { tx in
            let value = try sql(tx)
            try Audit.record(tx, actor: writer, command: command, changes: changes)
            return value
        }
    }

    /// A write that is one SQL statement: it runs together with its audit row as a single
    /// statement (``Audit/run(_:on:actor:command:changes:)``), atomic without `BEGIN`/`COMMIT`,
    /// so a `LINK` costs one round trip to PostgreSQL instead of four. Same guarantees as
    /// ``commit(_:locking:audit:announce:sql:apply:auditCommand:answer:)``; `apply` and
    /// `answer` get the number of rows the statement changed (the audit row is written only
    /// when it changed one).
    func commit(
        _ request: Request,
        locking keys: [String],
        audit changes: [String: String],
        announce: [GraphSync.Change],
        statement: WriteStatement,
        apply: @escaping @Sendable (inout Graph, Int) -> Void,
        answer: @escaping @Sendable (Int) throws -> Response
    ) -> EventLoopFuture<Response> {
        var actor = self.actor
        actor.writeID = services.newWriteID()
        let writer = actor
        let command = request.line
        return perform(request, locking: keys, announce: announce, writeID: writer.writeID!, oneStatement: 1,
                       apply: apply, answer: answer) { connection in
            try Audit.run(statement, on: connection, actor: writer, command: command, changes: changes).count
        }
    }

    /// Runs `body` (which writes its own audit row, named `writeID`) under the node locks, in
    /// the connection's batch when `BEGIN` opened one (applied in memory at `COMMIT`), otherwise
    /// on a pooled connection; then applies it in memory and announces it to the other daemons.
    ///
    /// When the connection breaks before the write was sent to be committed, the write surely
    /// did not commit: `ERR UNAVAILABLE`. When it breaks after (during `COMMIT`, or during a
    /// statement that commits by itself), ``WriteOutcome`` finds out on a new connection, and
    /// the answer is the write's own `OK` or `ERR UNAVAILABLE`; if the database cannot be asked
    /// within `--outcome-wait`, `ERR INDOUBT`.
    ///
    /// `oneStatement` is nil for a write inside `BEGIN`/`COMMIT`; for one statement that commits
    /// by itself it is the statement's result when its audit row is found after a broken
    /// connection (one changed row).
    private func perform<T: Sendable>(
        _ request: Request,
        locking keys: [String],
        announce: [GraphSync.Change],
        writeID: String,
        oneStatement: T?,
        apply: @escaping @Sendable (inout Graph, T) -> Void,
        answer: @escaping @Sendable (T) throws -> Response,
        _ body: @escaping @Sendable (Connection) throws -> T
    ) -> EventLoopFuture<Response> {
        let services = self.services
        if let batch = session.batch {
            if let failure = batch.failure {
                return eventLoop.makeFailedFuture(ProtocolError(.conflict, "batch aborted by an earlier error (\(failure.code.rawValue)); ROLLBACK"))
            }
            let bound = NIOLoopBound(batch, eventLoop: eventLoop)
            batch.running = true
            batch.writeIDs.append(writeID)
            return services.pool.run(on: eventLoop, with: batch.connection) { connection -> (T, Response) in
                let value = try body(connection)
                return (value, try answer(value))
            }.always { _ in
                bound.value.running = false
                bound.value.lastActivity = .now()
            }.map { value, response in
                bound.value.applies.append { graph in apply(&graph, value) }
                bound.value.announcements += announce
                bound.value.keys += keys
                return response
            }.flatMapErrorThrowing { error in
                bound.value.failure = ErrorMapping.protocolError(error)
                throw error
            }
        }
        let idempotency = self.idempotency
        return services.pool.withConnection(on: eventLoop) { connection in
            try services.sync.locks.withLocks(keys) {
                // With idem= even a one-statement write takes a transaction: its answer is kept beside it.
                let explicit = oneStatement == nil || idempotency != nil
                var result: (value: T, response: Response)?
                // Whether the write may have committed: COMMIT (or the statement that commits by
                // itself) was sent.
                var sentToCommit = !explicit
                do {
                    if explicit { try connection.begin() }
                    let value = try body(connection)
                    let response = try answer(value)
                    result = (value, response)
                    if let idempotency {
                        guard try Idempotency.keep(connection, actor: idempotency.actor, key: idempotency.key,
                                                   answer: idempotency.kept(response)) else {
                            throw ProtocolError(.conflict, "idem key \(idempotency.key) is in use by a request running now; retry it")
                        }
                    }
                    if explicit {
                        sentToCommit = true
                        try connection.commit()
                    }
                } catch let error as PQError where error.isUnavailable && error.kind != .poolExhausted {
                    // Lost before the write was sent to be committed: it surely did not. After:
                    // only the database can say whether it did.
                    guard sentToCommit else { throw error }
                    guard let committed = services.committedWrites([writeID], lostBackend: connection.backendPID) else {
                        // Memory is brought in line with the database once it answers again.
                        services.sync.refresh(announce)
                        throw Services.inDoubt("the write", retry: "retry with the same idem= key, or look for it with AUDIT")
                    }
                    guard committed.contains(writeID) else { throw error }
                    if result == nil, let value = oneStatement {
                        result = (value, try answer(value))
                    }
                } catch {
                    if explicit, connection.isHealthy { _ = try? connection.rollback() }
                    throw error
                }
                let (value, response) = result!
                services.graph.write { apply(&$0, value) }
                services.sync.announce(announce)
                return response
            }
        }
    }
}
