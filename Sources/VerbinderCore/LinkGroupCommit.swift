import Foundation
import NIOConcurrencyHelpers
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Group commit for `LINK`: every `LINK` waiting while the previous group is written goes
/// into the next group, written by one pool job as one statement with one commit
/// (``LinkBatch``).
///
/// Under load this is what lets writes keep up with the database: one round trip, one WAL
/// flush and one thread hand-off per group instead of per write. A lone `LINK` is written at
/// once; while writes arrive close together, a small group waits up to 0.3 ms for company
/// (``gather()``). One writer: while it waits for a commit the next group gathers, and on two
/// cores a second writer split the same requests into twice the statements and commits (side
/// by side, `LINK` c=16 went about a tenth faster with one). Each request keeps its own answer: `OK` only once its row is committed and applied in
/// memory. A group the database refuses (a relation another daemon or a racing request wrote
/// first, a node removed meanwhile) is written again one request at a time, so only the
/// culprit fails, with `ERR CONFLICT`.
final class LinkGroupCommit: Sendable {
    struct Request: Sendable {
        var row: LinkBatch.Row
        var completion: Completion<Void>
    }

    private struct State {
        var queue: [Request] = []
        /// Whether the writer (a pool job with a connection of its own) is at work.
        var writing = false
        /// When the last `LINK` arrived (monotonic nanoseconds), and whether it came hard on
        /// the heels of the one before (see ``gather()``).
        var lastArrival: UInt64 = 0
        var concurrent = false
    }

    private let state = NIOLockedValueBox(State())
    static let maximumGroup = 256
    /// A group smaller than this, while writes arrive close together, waits
    /// `gatherMicroseconds` for more before it is written (see ``gather()``).
    static let gatherTarget = 4
    static let gatherMicroseconds: UInt32 = 300
    /// Two `LINK`s this close together mean several connections are writing at once.
    static let concurrentWithinNanoseconds: UInt64 = 2_000_000
    /// Queues a `LINK`; the future succeeds once it is committed and applied in memory.
    func submit(_ row: LinkBatch.Row, coordinator: WriteCoordinator, completion: @escaping Completion<Void>) {
        let now = DispatchTime.now().uptimeNanoseconds
        let start = state.withLockedValue { state -> Bool in
            state.queue.append(Request(row: row, completion: completion))
            state.concurrent = now &- state.lastArrival < Self.concurrentWithinNanoseconds
            state.lastArrival = now
            if state.writing { return false }
            state.writing = true
            return true
        }
        if start { run(coordinator) }
    }

    private func run(_ services: WriteCoordinator) {
        services.pool.withConnection({ connection in
            while true {
                self.gather()
                let group = self.nextGroup()
                if group.isEmpty { return }
                do {
                    try self.write(group, on: connection, services: services)
                } catch let error as PQError where error.kind == .server {
                    self.writeOneByOne(group, on: connection, services: services)
                } catch {
                    // The connection broke: the group may have committed all the same.
                    self.settle(group, lostWith: error, on: connection, services: services)
                    throw error  // the connection is gone: the pool replaces it
                }
            }
        }, completion: { result in
            guard case .failure(let error) = result else { return }
            // No connection (or it broke): whatever waits gets the error; the next LINK starts afresh.
            let waiting = self.state.withLockedValue { state -> [Request] in
                defer { state.queue = []; state.writing = false }
                return state.queue
            }
            for request in waiting { request.completion(.failure(error)) }
        })
    }

    /// While writes arrive close together but too few wait to fill a group, waits a moment for
    /// more: beside a stream of reads, writes trickle in one at a time, and written one per
    /// statement and commit each costs the database (and the daemon's hand-offs) as much as a
    /// group of several. A lone `LINK` (none just before it) is written at once.
    private func gather() {
        let (waiting, concurrent) = state.withLockedValue { ($0.queue.count, $0.concurrent) }
        guard waiting > 0, waiting < Self.gatherTarget, concurrent else { return }
        usleep(Self.gatherMicroseconds)
    }

    /// The next group: up to `maximumGroup` requests for distinct relations (a second request
    /// for the same relation waits for the next group, where it conflicts). Empty when
    /// nothing waits, and then the writer stops.
    private func nextGroup() -> [Request] {
        state.withLockedValue { state in
            var group: [Request] = []
            var later: [Request] = []
            var seen: Set<RelationIdentity> = []
            for request in state.queue {
                let relation = request.row.relation
                if group.count < Self.maximumGroup, seen.insert(RelationIdentity(from: relation.from, kind: relation.kind, to: relation.to)).inserted {
                    group.append(request)
                } else {
                    later.append(request)
                }
            }
            state.queue = later
            if group.isEmpty { state.writing = false }
            return group
        }
    }

    private func write(_ group: [Request], on connection: Connection, services: WriteCoordinator) throws {
        let keys = group.flatMap { [$0.row.relation.from, $0.row.relation.to] }
        try services.sync.locks.withLocks(keys) {
            try LinkBatch.insert(group.map(\.row), on: connection)
            services.graph.write { graph in for request in group { graph.link(request.row.relation) } }
            services.sync.announce(group.map { .relation($0.row.relation) })
        }
        for request in group { request.completion(.success(())) }
    }

    /// A group whose connection broke while it was written: one statement, so all of it
    /// committed or none. The audit rows' write ids tell which (``WriteOutcome``); when the
    /// database cannot be asked in time the answer is `ERR INDOUBT`, and memory is brought in
    /// line with the database once it answers again.
    private func settle(_ group: [Request], lostWith error: any Error, on connection: Connection, services: WriteCoordinator) {
        let changes: [GraphSync.Change] = group.map { .relation($0.row.relation) }
        guard let error = error as? PQError, error.isUnavailable else {
            services.sync.refresh(changes)
            for request in group { request.completion(.failure(error)) }
            return
        }
        guard let committed = services.committedWrites(group.compactMap(\.row.actor.writeID), lostBackend: connection.backendPID) else {
            services.sync.refresh(changes)
            let doubt = WriteCoordinator.inDoubt("the relation", retry: "retry with idem=, or look with SHOW")
            for request in group { request.completion(.failure(doubt)) }
            return
        }
        guard !committed.isEmpty else {
            for request in group { request.completion(.failure(error)) }
            return
        }
        services.sync.locks.withLocks(group.flatMap { [$0.row.relation.from, $0.row.relation.to] }) {
            services.graph.write { graph in for request in group { graph.link(request.row.relation) } }
            services.sync.announce(changes)
        }
        for request in group { request.completion(.success(())) }
    }

    private func writeOneByOne(_ group: [Request], on connection: Connection, services: WriteCoordinator) {
        for request in group {
            let row = request.row
            do {
                try services.sync.locks.withLocks([row.relation.from, row.relation.to]) {
                    try Audit.run(GraphWrites.insertRelation(row.relation), on: connection, actor: row.actor,
                                  command: row.command, changes: row.changes)
                    services.graph.write { _ = $0.link(row.relation) }
                    services.sync.announce([.relation(row.relation)])
                }
                request.completion(.success(()))
            } catch let error as PQError where error.isUniqueViolation {
                let relation = row.relation
                request.completion(.failure(ProtocolError(.conflict, "\(relation.from) \(relation.kind.rawValue) \(relation.to) exists")))
            } catch {
                if let error = error as? PQError, error.isUnavailable { services.sync.refresh([.relation(row.relation)]) }
                request.completion(.failure(error))
            }
        }
    }
}
