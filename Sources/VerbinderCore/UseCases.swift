import Foundation
import PQ
import VerbinderGraph
import VerbinderStore

/// How a use case hands back its result: called once, on the caller's event loop when it
/// called from one (the pool completes there), otherwise on one of the pool's.
public typealias Completion<T: Sendable> = @Sendable (Result<T, any Error>) -> Void

/// The use cases of Verbinder, one service per area, over one database and one in-memory graph.
/// No sockets and no event loops: the server turns requests into calls of these, and tests call
/// them directly against a throwaway PostgreSQL.
///
/// Blocking database work runs on the connection pool's threads; results come back through a
/// ``Completion``.
public final class UseCases: Sendable {
    /// The in-memory copy of the graph, answered from without the database.
    public let graph: LiveGraph
    /// Keeps `graph` in line with the database and the other daemons.
    public let sync: GraphSync
    /// The tokens in force.
    public let access: AccessControl
    /// The database's health as last seen by a probe of its own (INFO never waits for it).
    let probe: DatabaseProbe
    /// Every write goes through it: lock, SQL with its audit row, apply in memory, announce.
    public let writes: WriteCoordinator

    public let graphChanges: GraphService
    public let trajectories: TrajectoryService
    public let milestones: MilestoneService
    public let meetings: MeetingService
    public let signals: SignalService
    public let goals: GoalService
    public let reminders: ReminderService
    public let contacts: ContactService
    public let monitoring: MonitoringService
    public let tokens: TokenService

    let pool: ConnectionPool

    /// `outcomeWait`: how long a write whose connection broke while it committed may try to
    /// find out whether it did, before it answers `ERR INDOUBT`.
    public init(pool: ConnectionPool, graph: LiveGraph, sync: GraphSync, access: AccessControl, probe: DatabaseProbe,
                outcomeWait: Duration = .seconds(10)) {
        self.pool = pool
        self.graph = graph
        self.sync = sync
        self.access = access
        self.probe = probe
        let writes = WriteCoordinator(pool: pool, graph: graph, sync: sync, outcomeWait: outcomeWait)
        self.writes = writes
        graphChanges = GraphService(writes: writes)
        trajectories = TrajectoryService(writes: writes)
        milestones = MilestoneService(writes: writes)
        meetings = MeetingService(writes: writes)
        signals = SignalService(writes: writes)
        goals = GoalService(writes: writes)
        reminders = ReminderService(writes: writes)
        contacts = ContactService(writes: writes)
        monitoring = MonitoringService(writes: writes)
        tokens = TokenService(pool: pool)
    }

    /// The database as this daemon sees it now, without asking it (for `INFO`).
    public struct DatabaseStatus: Sendable {
        /// Whether the probe's last query (and the pool's last new connection) succeeded.
        public var up: Bool
        /// Seconds since the database last answered the probe, once it has.
        public var secondsSinceAnswer: Int?
        /// Database connections open now.
        public var openConnections: Int
        /// Transactions (`BEGIN … COMMIT`) open now.
        public var openTransactions: Int
        /// The pool's size: connections open at most.
        public var maxConnections: Int = 0
    }

    /// The database's status from the probe's last answer: never waits for the database or the pool.
    public var databaseStatus: DatabaseStatus {
        let reading = probe.reading(otherFailure: pool.lastConnectionFailure)
        return DatabaseStatus(up: reading.up, secondsSinceAnswer: reading.secondsSinceAnswer, openConnections: pool.openConnections,
                              openTransactions: writes.openTransactions, maxConnections: pool.maxConnections)
    }

    /// Runs CPU-heavy work (a large path search) on the pool's threads, off the event loops.
    public func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T, completion: @escaping Completion<T>) {
        pool.compute(body, completion: completion)
    }
}
