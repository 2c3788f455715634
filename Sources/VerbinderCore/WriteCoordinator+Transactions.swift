import Synchronization
import PQ
import VerbinderProtocol
import VerbinderStore

/// `BEGIN … COMMIT`: a transaction holds a pooled connection from its start to its end.
extension WriteCoordinator {
    /// Transactions open now.
    public var openTransactions: Int { openTransactionCount.load(ordering: .relaxed) }

    /// Opens a transaction on a connection taken out of the pool; `ERR BUSY` when `limit`
    /// are open already (each holds a pooled connection: idle ones must not starve the rest).
    /// `reportsEveryError`: see ``OpenTransaction/reportsEveryError``.
    public func begin(limit: Int, reportsEveryError: Bool = false, completion: @escaping Completion<OpenTransaction>) {
        guard openTransactionCount.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
            openTransactionCount.subtract(1, ordering: .relaxed)
            completion(.failure(ProtocolError(.busy, "\(limit) batches are open, the most this daemon allows (--max-batches); try again later")))
            return
        }
        let pool = self.pool
        pool.checkout { result in
            switch result {
            case .failure(let error):
                self.openTransactionCount.subtract(1, ordering: .relaxed)
                completion(.failure(error))
            case .success(let connection):
                pool.run(with: connection, { try $0.begin() }, completion: { result in
                    switch result {
                    case .success:
                        completion(.success(OpenTransaction(connection: connection, reportsEveryError: reportsEveryError)))
                    case .failure(let error):
                        pool.checkin(connection)
                        self.openTransactionCount.subtract(1, ordering: .relaxed)
                        completion(.failure(error))
                    }
                })
            }
        }
    }

    /// Commits `transaction` and applies its writes in memory: `OK applied=N`; or, when one of
    /// its commands failed, rolls it back and answers `ERR CONFLICT`. With `idempotency`, a
    /// retried COMMIT gets the first answer (in `format`) and writes nothing. The connection
    /// goes back to the pool either way.
    public func commit(_ transaction: OpenTransaction, idempotency: IdempotencyKey?, format: OutputFormat,
                       completion: @escaping Completion<Response>) {
        let pending = transaction.pending
        pool.run(with: transaction.connection, { connection -> (Response, Bool) in
            if let failure = pending.failure {
                try connection.rollback()
                if let idempotency, let kept = try Idempotency.lookup(connection, actor: idempotency.actor, key: idempotency.key) {
                    return (try idempotency.replay(kept, format: format), false)
                }
                throw ProtocolError(.conflict, "batch aborted, nothing written: \(failure.code.rawValue) \(failure.message)")
            }
            let response = Response(status: Status([("applied", .int(pending.applies.count))]))
            return try self.sync.locks.withLocks(pending.keys) {
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
                } catch let error as PQError where error.isUnavailable && !pending.writeIDs.isEmpty {
                    // Lost while committing: only the database can say whether it did.
                    guard let committed = self.committedWrites(pending.writeIDs, lostBackend: connection.backendPID) else {
                        self.sync.refresh(pending.announcements)
                        throw Self.inDoubt("the batch", retry: "retry with the same idem= key on COMMIT, or look for it with AUDIT")
                    }
                    guard !committed.isEmpty else { throw error }
                }
                self.graph.write { graph in for apply in pending.applies { apply(&graph) } }
                self.sync.announce(pending.announcements)
                return (response, true)
            }
        }, completion: { result in
            // An answer means committed, or rolled back already; after an error, roll back (again).
            var failed = false
            if case .failure = result { failed = true }
            self.release(transaction, rollback: failed) { _ in completion(result.map(\.0)) }
        })
    }

    /// Gives a transaction's connection back to the pool, once (rolling it back first unless it
    /// committed). `completion` gets whether this call released it.
    public func release(_ transaction: OpenTransaction, rollback: Bool, completion: @escaping @Sendable (Bool) -> Void = { _ in }) {
        guard transaction.markReleased() else { completion(false); return }
        openTransactionCount.subtract(1, ordering: .relaxed)
        let pool = self.pool
        let connection = transaction.connection
        guard rollback else {
            pool.checkin(connection)
            completion(true)
            return
        }
        pool.run(with: connection, { connection in _ = try? connection.rollback() }, completion: { _ in
            pool.checkin(connection)
            completion(true)
        })
    }
}
