import Foundation
import PQ
import Synchronization
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The write path every use case takes: the node locks, then the SQL with its audit row (and,
/// with `idem=`, its kept answer) in one transaction, then the change in memory and the notice
/// to the other daemons, still holding the locks. A write's completion is called only after
/// all of that, so an `OK` is only ever sent for a committed, applied write.
///
/// When the database connection breaks before the write was sent to be committed, the write
/// surely did not commit: `ERR UNAVAILABLE`. When it breaks after (during `COMMIT`, or during a
/// statement that commits by itself), ``WriteOutcome`` finds out on a new connection, and the
/// answer is the write's own or `ERR UNAVAILABLE`; if the database cannot be asked within the
/// outcome wait, `ERR INDOUBT`.
public final class WriteCoordinator: Sendable {
    let pool: ConnectionPool
    let graph: LiveGraph
    let sync: GraphSync
    let outcomeWait: Duration
    /// `LINK`s outside a transaction, written in groups.
    let linkGroups = LinkGroupCommit()
    private let writeCounter = Atomic<UInt64>(0)
    /// Transactions (`BEGIN … COMMIT`) open now, each holding a pooled connection.
    let openTransactionCount = Atomic<Int>(0)

    init(pool: ConnectionPool, graph: LiveGraph, sync: GraphSync, outcomeWait: Duration) {
        self.pool = pool
        self.graph = graph
        self.sync = sync
        self.outcomeWait = outcomeWait
    }

    /// A new write id: this daemon's instance and a counter, unique across daemons.
    func newWriteID() -> String {
        "\(sync.instance)-\(writeCounter.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    /// `scope`'s actor with a new write id.
    func writer(_ scope: WriteScope) -> Actor {
        var actor = scope.actor
        actor.daemon = sync.instance
        actor.writeID = newWriteID()
        return actor
    }

    /// After a connection broke while writes committed: the ids among `writeIDs` that did, asked
    /// of the database within the outcome wait; nil when it could not be asked.
    /// Blocking: on a database thread only.
    func committedWrites(_ writeIDs: [String], lostBackend pid: Int32) -> Set<String>? {
        let seconds = Double(outcomeWait.components.seconds) + Double(outcomeWait.components.attoseconds) / 1e18
        return WriteOutcome.committed(writeIDs, lostBackend: pid, conninfo: pool.conninfo,
                                      deadline: Date().addingTimeInterval(seconds))
    }

    /// The answer when ``committedWrites(_:lostBackend:)`` could not tell: `what` committed
    /// ("the write", "the batch", ...) may or may not have.
    static func inDoubt(_ what: String, retry: String) -> ProtocolError {
        ProtocolError(.inDoubt, "the database connection broke while \(what) committed, and the database could not be asked in time whether it did; \(retry)")
    }

    // MARK: - One write

    /// Runs a write: `sql`, its audit row (`audit` says what changed) and, with `idem=`, its
    /// kept answer in one transaction; then, still holding the locks on `keys`, `apply` in
    /// memory. `answer` turns the SQL's result into the response inside the transaction, so the
    /// kept answer is the one sent. `conflict` is the answer when the SQL violates a unique
    /// constraint (see ``perform(_:locking:announce:writeID:oneStatement:conflict:apply:answer:completion:_:)``).
    public func commit<T: Sendable>(
        _ scope: WriteScope,
        locking keys: [String] = [],
        audit changes: [String: String],
        announce: [GraphSync.Change] = [],
        conflict: ProtocolError? = nil,
        sql: @escaping @Sendable (Connection) throws -> T,
        apply: @escaping @Sendable (inout Graph, T) -> Void = { _, _ in },
        answer: @escaping @Sendable (T) throws -> Response,
        completion: @escaping Completion<Response>
    ) {
        let writer = self.writer(scope)
        let command = scope.command
        perform(scope, locking: keys, announce: announce, writeID: writer.writeID!, oneStatement: nil, conflict: conflict,
                apply: apply, answer: answer, completion: completion) { tx in
            let value = try sql(tx)
            try Audit.record(tx, actor: writer, command: command, changes: changes)
            return value
        }
    }

    /// A write that is one SQL statement: it runs together with its audit row as a single
    /// statement (``Audit/run(_:on:actor:command:changes:)``), atomic without `BEGIN`/`COMMIT`,
    /// so it costs one round trip to PostgreSQL instead of four. `apply` and `answer` get the
    /// number of rows the statement changed (the audit row is written only when it changed one).
    public func commit(
        _ scope: WriteScope,
        locking keys: [String],
        audit changes: [String: String],
        announce: [GraphSync.Change],
        conflict: ProtocolError? = nil,
        statement: WriteStatement,
        apply: @escaping @Sendable (inout Graph, Int) -> Void,
        answer: @escaping @Sendable (Int) throws -> Response,
        completion: @escaping Completion<Response>
    ) {
        let writer = self.writer(scope)
        let command = scope.command
        perform(scope, locking: keys, announce: announce, writeID: writer.writeID!, oneStatement: 1, conflict: conflict,
                apply: apply, answer: answer, completion: completion) { connection in
            try Audit.run(statement, on: connection, actor: writer, command: command, changes: changes).count
        }
    }

    /// Runs `body` (which writes its own audit row, named `writeID`) under the node locks, in
    /// the scope's open transaction (applied in memory when it commits), otherwise on a pooled
    /// connection; then applies it in memory and announces it to the other daemons.
    ///
    /// `oneStatement` is nil for a write in an explicit transaction; for one statement that
    /// commits by itself it is the statement's result when its audit row is found after a
    /// broken connection (one changed row).
    ///
    /// `conflict` replaces a unique violation (SQLSTATE 23505) of `body`: the caller knows what
    /// the clash means (`a node with key X exists`), where PostgreSQL's own text names an index.
    /// The checks before a write see only the graph in memory, so a key added twice in one batch,
    /// or by two clients at once, reaches the database.
    private func perform<T: Sendable>(
        _ scope: WriteScope,
        locking keys: [String],
        announce: [GraphSync.Change],
        writeID: String,
        oneStatement: T?,
        conflict: ProtocolError?,
        apply: @escaping @Sendable (inout Graph, T) -> Void,
        answer: @escaping @Sendable (T) throws -> Response,
        completion: @escaping Completion<Response>,
        _ write: @escaping @Sendable (Connection) throws -> T
    ) {
        let body: @Sendable (Connection) throws -> T = { connection in
            do {
                return try write(connection)
            } catch let error as PQError where error.isUniqueViolation {
                throw conflict ?? error
            }
        }
        if let transaction = scope.transaction {
            if let failure = transaction.failure, !transaction.reportsEveryError {
                completion(.failure(ProtocolError(.conflict, "batch aborted by an earlier error (\(failure.code.rawValue)); ROLLBACK")))
                return
            }
            transaction.add(writeID: writeID)
            let savepoint = transaction.reportsEveryError
            pool.run(with: transaction.connection, { connection -> (T, Response) in
                // errors=all: a failed statement would abort the whole database transaction;
                // rolled back to its savepoint, it leaves the batch's other writes able to run.
                guard savepoint else {
                    let value = try body(connection)
                    return (value, try answer(value))
                }
                try connection.query("SAVEPOINT verbinder_write")
                do {
                    let value = try body(connection)
                    let response = try answer(value)
                    try connection.query("RELEASE SAVEPOINT verbinder_write")
                    return (value, response)
                } catch {
                    if connection.isHealthy {
                        _ = try? connection.query("ROLLBACK TO SAVEPOINT verbinder_write")
                        _ = try? connection.query("RELEASE SAVEPOINT verbinder_write")
                    }
                    throw error
                }
            }, completion: { result in
                switch result {
                case .success(let (value, response)):
                    transaction.record(apply: { graph in apply(&graph, value) }, announce: announce, keys: keys)
                    completion(.success(response))
                case .failure(let error):
                    transaction.abort(ErrorMapping.protocolError(error))
                    completion(.failure(error))
                }
            })
            return
        }
        let idempotency = scope.idempotency
        pool.withConnection({ connection in
            try self.sync.locks.withLocks(keys) {
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
                    guard let committed = self.committedWrites([writeID], lostBackend: connection.backendPID) else {
                        // Memory is brought in line with the database once it answers again.
                        self.sync.refresh(announce)
                        throw Self.inDoubt("the write", retry: "retry with the same idem= key, or look for it with AUDIT")
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
                self.graph.write { apply(&$0, value) }
                self.sync.announce(announce)
                return response
            }
        }, completion: completion)
    }

    /// Queues a `LINK` outside a transaction: concurrent ones share one statement and one
    /// commit (``LinkGroupCommit``). Completes once it is committed and applied in memory.
    public func link(_ relation: Relation, _ scope: WriteScope, audit changes: [String: String],
                     completion: @escaping Completion<Void>) {
        let row = LinkBatch.Row(relation: relation, actor: writer(scope), command: scope.command, changes: changes)
        linkGroups.submit(row, coordinator: self, completion: completion)
    }

    // MARK: - Reads

    /// Runs `body` with a pooled connection: a use case's read.
    func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T, completion: @escaping Completion<T>) {
        pool.withConnection(body, completion: completion)
    }

    /// Runs `body` with a pooled connection, then `after` on the same thread once the
    /// connection is back: a read whose answer takes CPU to write out.
    func read<T, U: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T, then after: @escaping @Sendable (T) throws -> U,
                              completion: @escaping Completion<U>) {
        pool.withConnection(body, then: after, completion: completion)
    }

    // MARK: - Idempotency keys

    /// The answer kept for `key`, if a write with it committed within 24 hours.
    public func keptAnswer(for key: IdempotencyKey, completion: @escaping Completion<Idempotency.Kept?>) {
        pool.withConnection({ try Idempotency.lookup($0, actor: key.actor, key: key.key) }, completion: completion)
    }

    /// Forgets kept answers older than 24 hours; the number forgotten.
    public func purgeKeptAnswers(completion: @escaping Completion<Int>) {
        pool.withConnection({ try Idempotency.purge($0) }, completion: completion)
    }
}
