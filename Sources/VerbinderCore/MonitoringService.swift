import NIOConcurrencyHelpers
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Keeping watch over whether the relationship changes: the report's figures, trajectories gone
/// quiet, regions without a kansenagenda, and the calendar.
public final class MonitoringService: Sendable {
    let writes: WriteCoordinator
    /// The contact persons in memory, for the calendars.
    let contacts = ContactDirectory()

    init(writes: WriteCoordinator) { self.writes = writes }

    /// The monitoring figures over a period (default: the last twelve months), with the period
    /// used; `ERR INVALID` when it ends before it starts.
    public func report(from: String?, to: String?, unaffiliated: Set<String>, today: String,
                       completion: @escaping Completion<(metrics: [ReportStore.Metric], from: String, to: String)>) {
        let graph = writes.graph
        writes.read({ connection in
            let (start, end) = try ReportStore.period(connection, from: from, to: to)
            guard start <= end else { throw ProtocolError(.invalid, "from= is after to=") }
            let agendas = try WorkflowStore.activeKansenagendas(connection)
            let kansenagenda = graph.read { Self.kansenagendaMetrics($0, agendas: agendas, today: today) }
            let inBigNetworks = graph.read { Self.membersOfBigNetworks($0) }
            let signals = try ReportStore.signalCounts(connection, from: start, to: end)
            let metrics = try ReportStore.metrics(connection, from: start, to: end, unaffiliated: unaffiliated, kansenagenda: kansenagenda,
                                                  signals: signals)
                + ReportStore.signalPathMetrics(connection, from: start, to: end, unaffiliated: unaffiliated, inBigNetworks: inBigNetworks,
                                                signals: signals)
                + ReportStore.goalMetrics(connection, from: start, to: end)
            return (metrics, start, end)
        }, completion: completion)
    }

    /// The municipalities in the G4 or the G40: the loud voices, against which the report
    /// measures whether the mouthpiece also speaks for the others.
    static func membersOfBigNetworks(_ graph: borrowing Graph) -> Set<String> {
        var keys: Set<String> = []
        for network in ["g4", "g40"] {
            guard let id = graph.id(forKey: network) else { continue }
            for member in graph.members(of: id) { keys.insert(graph.node(id: member).key) }
        }
        return keys
    }

    /// The kansenagenda's figures: municipalities covered (count and share of the current
    /// municipalities, overall and per province), and regions with an active kansenagenda (in
    /// all and per region type). Safety regions never count.
    static func kansenagendaMetrics(_ graph: borrowing Graph, agendas: [Kansenagenda], today: String) -> [ReportStore.Metric] {
        typealias Metric = ReportStore.Metric
        let covered = graph.coveredMunicipalities(by: agendas, today: today)
        let provinces = graph.coverage(by: .province, covered: covered, today: today)
        let all = provinces.reduce(0) { $0 + $1.members.count }
        func share(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
        var metrics = [
            Metric(name: "municipalities_covered_by_kansenagenda", value: Double(covered.count), isCount: true),
            Metric(name: "municipalities_covered_by_kansenagenda_share", value: share(covered.count, all), isCount: false),
        ]
        for unit in provinces {
            guard let id = unit.unit else { continue }
            let key = graph.node(id: id).key
            let count = unit.members.count - unit.uncovered.count
            metrics.append(Metric(name: "municipalities_covered_by_kansenagenda", dimensions: [("province", key)], value: Double(count), isCount: true))
            metrics.append(Metric(name: "municipalities_covered_by_kansenagenda_share", dimensions: [("province", key)],
                                  value: share(count, unit.members.count), isCount: false))
        }
        let gone = graph.notCurrent(on: today)
        let counting = graph.nodeIDs.filter { !gone.contains($0) && graph.node(id: $0).regionType?.countsForKansenagenda == true }
        let withAgenda = Set(agendas.compactMap { $0.region.flatMap(graph.id(forKey:)) }).intersection(counting)
        metrics.append(Metric(name: "regions_with_kansenagenda", value: Double(withAgenda.count), isCount: true))
        metrics.append(Metric(name: "regions_with_kansenagenda_share", value: share(withAgenda.count, counting.count), isCount: false))
        for type in RegionType.allCases where type.countsForKansenagenda {
            let count = withAgenda.filter { graph.node(id: $0).regionType == type }.count
            metrics.append(Metric(name: "regions_with_kansenagenda", dimensions: [("region_type", type.rawValue)], value: Double(count), isCount: true))
        }
        return metrics
    }

    /// `GAPS agenda`: coverage of the current municipalities by active kansenagendas per unit.
    public struct AgendaGaps: Sendable {
        /// One entry per unit with an uncovered municipality: its node (nil: in no unit of the
        /// kind), its current member count, and the keys of its uncovered members.
        public var units: [(unit: Node?, members: Int, uncovered: [String])]
        public var municipalities: Int
        public var covered: Int
    }

    /// The municipalities no active kansenagenda covers, by unit.
    public func agendaGaps(by kind: CoverageUnit, today: String, completion: @escaping Completion<AgendaGaps>) {
        agendaCoverage(by: kind, today: today) { result in
            completion(result.map { gaps in
                var gaps = gaps
                gaps.units = gaps.units.filter { !$0.uncovered.isEmpty }
                return gaps
            })
        }
    }

    /// Kansenagenda coverage of every unit of a kind, covered or not (the dashboard's regions page).
    public func agendaCoverage(by kind: CoverageUnit, today: String, completion: @escaping Completion<AgendaGaps>) {
        let graph = writes.graph
        writes.read({ connection in
            let agendas = try WorkflowStore.activeKansenagendas(connection)
            return graph.read { graph in
                let covered = graph.coveredMunicipalities(by: agendas, today: today)
                let units = graph.coverage(by: kind, covered: covered, today: today)
                // Every current municipality is in a unit or in the last entry, some (functional
                // regions) in more than one: count each once.
                let all = Set(units.flatMap(\.members)).count
                return AgendaGaps(units: units.map { unit in
                    (unit.unit.map { graph.node(id: $0) }, unit.members.count, unit.uncovered.map { graph.node(id: $0).key })
                }, municipalities: all, covered: covered.count)
            }
        }, completion: completion)
    }

    /// Active trajectories, and stakeholders of them, without a meeting in `days` days.
    public func stale(days: Int, completion: @escaping Completion<(trajectories: [(String, String?)], stakeholders: [(String, String, String?)])>) {
        writes.read({ try WorkflowStore.stale($0, days: days) }, completion: completion)
    }

    /// The calendar written out (``CalendarDocument``): its meetings and its to-dos each read
    /// and written on a database thread of their own, at the same time, after each one's
    /// connection is back in the pool (a node's decade is some 17,000 lines: the database
    /// reading one half while the other is written halves the wait), then put together.
    /// `showEmail`: whether the reader may see contacts (and so whom to invite); `lineEnd`: LF
    /// for the line protocol, CRLF for a feed.
    public func calendarDocument(trajectory text: String?, node: String?, from: String? = nil, to: String? = nil, showEmail: Bool,
                                 lineEnd: ICalendar.LineEnd, completion: @escaping Completion<CalendarDocument.Written>) {
        let graph = writes.graph, contacts = showEmail ? self.contacts : nil
        let halves = CalendarHalves(lineEnd: lineEnd, completion: completion)
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try ReportStore.calendarMeetings(connection, trajectory: key, node: node, from: from, to: to, contacts: contacts)
        }, then: { meetings in
            CalendarDocument.writeMeetings(meetings.events, contacts: meetings.contacts, graph: graph, showEmail: showEmail, lineEnd: lineEnd)
        }, completion: { halves.meetings($0) })
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try ReportStore.calendarDueItems(connection, trajectory: key, node: node, from: from, to: to)
        }, then: { due in
            CalendarDocument.writeDueItems(todos: due.todos, goals: due.goals, lineEnd: lineEnd)
        }, completion: { halves.dueItems($0) })
    }

    /// Reminder rows by state (`pending`, `leased`, `sent`, ...), every state present.
    public func remindersByState(completion: @escaping Completion<[String: Int]>) {
        writes.read({ try ReminderStore.countsByState($0) }, completion: completion)
    }

    /// What a stakeholder takes part in: its trajectories, its latest meetings and signals.
    public struct NodeActivity: Sendable {
        public var trajectories: [Trajectory]
        public var meetings: [Meeting]
        public var signals: [Signal]
    }

    /// A stakeholder's trajectories, meetings and signals (each list at most `limit` long), in
    /// one visit to the database.
    public func activity(of node: String, limit: Int, completion: @escaping Completion<NodeActivity>) {
        writes.read({ connection in
            NodeActivity(
                trajectories: try WorkflowStore.trajectories(connection, kind: nil, status: nil, node: node, theme: nil, limit: limit),
                meetings: try WorkflowStore.meetings(connection, node: node, trajectory: nil, from: nil, to: nil, axis: nil,
                                                     tripartiteOnly: false, limit: limit),
                signals: try WorkflowStore.signals(connection, theme: nil, kind: nil, node: node, nodes: nil, openOnly: false, status: nil,
                                                   raisedWith: nil, limit: limit))
        }, completion: completion)
    }
}

/// The two halves of a calendar as they come in, from two threads: the calendar is put
/// together, and the completion called once, when the second arrives. A failure of either is
/// the answer (the meetings' when both fail, as with a trajectory that does not exist).
private final class CalendarHalves: Sendable {
    private let lineEnd: ICalendar.LineEnd
    private let completion: Completion<CalendarDocument.Written>
    private let state = NIOLockedValueBox<(meetings: Result<CalendarDocument.Part, any Error>?, dueItems: Result<CalendarDocument.Part, any Error>?)>((nil, nil))

    init(lineEnd: ICalendar.LineEnd, completion: @escaping Completion<CalendarDocument.Written>) {
        self.lineEnd = lineEnd
        self.completion = completion
    }

    func meetings(_ result: Result<CalendarDocument.Part, any Error>) {
        finish(state.withLockedValue { $0.meetings = result; return $0 })
    }

    func dueItems(_ result: Result<CalendarDocument.Part, any Error>) {
        finish(state.withLockedValue { $0.dueItems = result; return $0 })
    }

    /// Runs for the thread that brought the second half (the lock saw both).
    private func finish(_ both: (meetings: Result<CalendarDocument.Part, any Error>?, dueItems: Result<CalendarDocument.Part, any Error>?)) {
        guard let meetings = both.meetings, let dueItems = both.dueItems else { return }
        completion(Result {
            CalendarDocument.assemble(meetings: try meetings.get(), dueItems: try dueItems.get(), lineEnd: lineEnd)
        })
    }
}
