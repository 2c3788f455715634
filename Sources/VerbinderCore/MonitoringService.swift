import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Keeping watch over whether the relationship changes: the report's figures, trajectories gone
/// quiet, regions without a kansenagenda, and the calendar.
public final class MonitoringService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// The monitoring figures over a period (default: the last twelve months), with the period
    /// used; `ERR INVALID` when it ends before it starts.
    public func report(from: String?, to: String?, unaffiliated: Set<String>,
                       completion: @escaping Completion<(metrics: [ReportStore.Metric], from: String, to: String)>) {
        writes.read({ connection in
            let (start, end) = try ReportStore.period(connection, from: from, to: to)
            guard start <= end else { throw ProtocolError(.invalid, "from= is after to=") }
            return (try ReportStore.metrics(connection, from: start, to: end, unaffiliated: unaffiliated), start, end)
        }, completion: completion)
    }

    /// The keys of regions without an active kansenagenda.
    public func regionsWithoutAgenda(completion: @escaping Completion<[String]>) {
        writes.read({ try WorkflowStore.regionsWithoutAgenda($0) }, completion: completion)
    }

    /// Active trajectories, and stakeholders of them, without a meeting in `days` days.
    public func stale(days: Int, completion: @escaping Completion<(trajectories: [(String, String?)], stakeholders: [(String, String, String?)])>) {
        writes.read({ try WorkflowStore.stale($0, days: days) }, completion: completion)
    }

    /// Meetings and milestones for a calendar, of one trajectory and/or one node.
    public func calendar(trajectory text: String?, node: String?, completion: @escaping Completion<([ReportStore.CalendarEvent], [ReportStore.CalendarTodo])>) {
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try ReportStore.calendar(connection, trajectory: key, node: node)
        }, completion: completion)
    }
}
