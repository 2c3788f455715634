import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

extension CommandContext {
    /// Who this connection writes as.
    var actor: Actor { Actor(name: session.actorName, remote: session.remote, connection: session.id) }

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
        let services = self.services
        let actor = self.actor
        // Personal data (e-mail addresses) never reaches the audit: callers pass a redacted line.
        let command = auditCommand ?? request.line
        if let batch = session.batch {
            // Inside BEGIN … COMMIT: run in the batch's transaction; apply in memory at COMMIT.
            if let failure = batch.failure {
                return eventLoop.makeFailedFuture(ProtocolError(.conflict, "batch aborted by an earlier error (\(failure.code.rawValue)); ROLLBACK"))
            }
            let bound = NIOLoopBound(batch, eventLoop: eventLoop)
            return services.pool.run(on: eventLoop, with: batch.connection) { tx in
                let value = try sql(tx)
                try Audit.record(tx, actor: actor, command: command, changes: changes)
                return value
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
                let value = try connection.transaction { tx in
                    let value = try sql(tx)
                    try Audit.record(tx, actor: actor, command: command, changes: changes)
                    return value
                }
                services.graph.write { apply(&$0, value) }
                services.sync.announce(announce)
                return value
            }
        }
    }
}
