import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

extension CommandContext {
    /// Who this connection writes as.
    var actor: Actor { Actor(name: session.actorName, remote: session.remote, connection: session.id, daemon: services.sync.instance) }

    /// Runs a write: the SQL, its audit row and its change notice in one transaction; then,
    /// still holding the node locks, the change in memory. The future completes after both,
    /// so the `OK` that follows is only ever sent for a committed, applied write.
    func commit<T: Sendable>(
        _ request: Request,
        locking keys: [String],
        audit changes: [String: String],
        announce: [GraphSync.Change],
        sql: @escaping @Sendable (Connection) throws -> T,
        apply: @escaping @Sendable (inout Graph, T) -> Void,
        auditCommand: String? = nil
    ) -> EventLoopFuture<T> {
        let actor = self.actor
        // Personal data (e-mail addresses) never reaches the audit: callers pass a redacted line.
        let command = auditCommand ?? request.line
        return perform(locking: keys, announce: announce, transaction: true, apply: apply) { tx in
            let value = try sql(tx)
            try Audit.record(tx, actor: actor, command: command, changes: changes)
            return value
        }
    }

    /// A write that is one SQL statement: it runs together with its audit row as a single
    /// statement (``Audit/run(_:on:actor:command:changes:)``), atomic without `BEGIN`/`COMMIT`,
    /// so a `LINK` costs one round trip to PostgreSQL instead of four. Same guarantees as
    /// ``commit(_:locking:audit:announce:sql:apply:auditCommand:)``; `apply` gets the
    /// statement's `RETURNING` rows.
    func commit(
        _ request: Request,
        locking keys: [String],
        audit changes: [String: String],
        announce: [GraphSync.Change],
        statement: WriteStatement,
        apply: @escaping @Sendable (inout Graph, QueryResult) -> Void
    ) -> EventLoopFuture<QueryResult> {
        let actor = self.actor
        let command = request.line
        return perform(locking: keys, announce: announce, transaction: false, apply: apply) { connection in
            try Audit.run(statement, on: connection, actor: actor, command: command, changes: changes)
        }
    }

    /// Runs `body` (which writes its own audit row) under the node locks, in the connection's
    /// batch when `BEGIN` opened one (applied in memory at `COMMIT`), otherwise on a pooled
    /// connection, inside `BEGIN`/`COMMIT` when `transaction` is set; then applies it in memory
    /// and announces it to the other daemons.
    private func perform<T: Sendable>(
        locking keys: [String],
        announce: [GraphSync.Change],
        transaction: Bool,
        apply: @escaping @Sendable (inout Graph, T) -> Void,
        _ body: @escaping @Sendable (Connection) throws -> T
    ) -> EventLoopFuture<T> {
        let services = self.services
        if let batch = session.batch {
            if let failure = batch.failure {
                return eventLoop.makeFailedFuture(ProtocolError(.conflict, "batch aborted by an earlier error (\(failure.code.rawValue)); ROLLBACK"))
            }
            let bound = NIOLoopBound(batch, eventLoop: eventLoop)
            batch.running = true
            return services.pool.run(on: eventLoop, with: batch.connection, body).always { _ in
                bound.value.running = false
                bound.value.lastActivity = .now()
            }.map { value in
                bound.value.applies.append { graph in apply(&graph, value) }
                bound.value.announcements += announce
                bound.value.keys += keys
                return value
            }.flatMapErrorThrowing { error in
                bound.value.failure = ErrorMapping.protocolError(error)
                throw error
            }
        }
        return services.pool.withConnection(on: eventLoop) { connection in
            try services.sync.locks.withLocks(keys) {
                let value: T
                do {
                    value = transaction ? try connection.transaction(body) : try body(connection)
                } catch let error as PQError where error.isUnavailable {
                    // Lost with the connection: the write may have committed all the same.
                    // Memory is brought in line with the database once it answers again.
                    services.sync.refresh(announce)
                    throw error
                }
                services.graph.write { apply(&$0, value) }
                services.sync.announce(announce)
                return value
            }
        }
    }
}
