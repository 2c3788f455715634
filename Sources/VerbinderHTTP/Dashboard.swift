import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import VerbinderCore
import VerbinderGraph
import VerbinderServer
import VerbinderStore
import VerbinderText
import VerbinderWeb

/// The read-only dashboard for people: gathers what a page shows from the graph and the use
/// cases (the same ones the line protocol's commands call), and has ``VerbinderWeb`` render it.
final class Dashboard: Sendable {
    let services: Services
    private let egoPictures = EgoPictures()

    init(services: Services) { self.services = services }

    /// Pages as last built, while nothing changed (``AnswerCache``).
    private let built = AnswerCache<WebResponse>(capacity: 5_000)

    func page(_ route: WebRoute, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let stamp = services.answerStamp
        let key = String(describing: route)
        if let kept = built.value(key, version: stamp.version, today: stamp.today) { return eventLoop.makeSucceededFuture(kept) }
        let built = self.built
        return build(route, on: eventLoop).map { response in
            if response.status == .ok { built.keep(key, version: stamp.version, today: stamp.today, response) }
            return response
        }
    }

    private func build(_ route: WebRoute, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        switch route {
        case .dashboard(let from, let to): return overview(from: from, to: to, on: eventLoop)
        case .regions: return regions(on: eventLoop)
        case .node(let text): return node(text, on: eventLoop)
        case .trajectory(let key): return trajectory(key, on: eventLoop)
        case .search(let text): return search(text, on: eventLoop)
        default: return eventLoop.makeSucceededFuture(notFound(""))
        }
    }

    func notFound(_ target: String) -> WebResponse { error(.notFound, "Deze pagina bestaat niet.") }

    func error(_ status: HTTPResponseStatus, _ message: String) -> WebResponse {
        var response = WebResponse.html(ErrorPage.render(status: Int(status.code), message: message))
        response.status = status
        return response
    }

    /// The sign-in form: a token for the dashboard, kept as a cookie.
    func signIn(status: HTTPResponseStatus, message: String?) -> WebResponse {
        let notice = message.map { "<p class=\"notice\">\(HTML.escape($0))</p>" } ?? ""
        let body = """
            \(notice)<p>Voor dit dashboard is een token nodig (een <em>reader</em>-, <em>connector</em>- of <em>admin</em>-token; \
            vraag het de beheerder). Het blijft als cookie in deze browser.</p>
            <form method="post" action="/login"><label for="token">Token</label> \
            <input type="password" id="token" name="token" autocomplete="off" required> <button type="submit">Aanmelden</button></form>
            """
        var response = WebResponse.html(PageLayout.render(title: "Aanmelden", body: body))
        response.status = status
        return response
    }

    // MARK: - Pages

    /// `/`: REPORT's figures for the period, as charts.
    private func overview(from: String?, to: String?, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        for date in [from, to].compactMap({ $0 }) where !Validation.isDate(date) {
            return eventLoop.makeSucceededFuture(error(.badRequest, "Een datum is JJJJ-MM-DD, niet \(date)."))
        }
        let today = Today.amsterdam()
        let graph = services.graph
        let unaffiliated = graph.read { graph in Set(graph.unaffiliatedMunicipalities(today: today).map { graph.node(id: $0).key }) }
        let promise = eventLoop.makePromise(of: (metrics: [ReportStore.Metric], from: String, to: String).self)
        services.core.monitoring.report(from: from, to: to, unaffiliated: unaffiliated, today: today) { promise.completeWith($0) }
        return promise.futureResult.map { report in
            let figures = report.metrics.map { metric in
                Figure(name: metric.name, dimensions: metric.dimensions.map { Figure.Dimension(name: $0.0, value: $0.1) },
                       value: metric.value, isCount: metric.isCount)
            }
            // Figures name parties and provinces by key; people read names.
            let keys = Set(report.metrics.flatMap { $0.dimensions.map(\.1) })
            let names = graph.read { graph in
                Dictionary(uniqueKeysWithValues: keys.compactMap { key in graph.node(key: key).map { (key, $0.name) } })
            }
            return .html(DashboardPage.render(DashboardView(from: report.from, to: report.to, figures: figures, names: names)))
        }
    }

    /// `/regions`: kansenagenda coverage per province and functional region, the municipalities
    /// no agenda covers, and those in no network.
    private func regions(on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let today = Today.amsterdam()
        let monitoring = services.core.monitoring
        let byProvince = eventLoop.makePromise(of: MonitoringService.AgendaGaps.self)
        monitoring.agendaCoverage(by: .province, today: today) { byProvince.completeWith($0) }
        let byRegion = eventLoop.makePromise(of: MonitoringService.AgendaGaps.self)
        monitoring.agendaCoverage(by: .functional, today: today) { byRegion.completeWith($0) }
        let graph = services.graph
        return byProvince.futureResult.and(byRegion.futureResult).map { provinces, regions in
            graph.read { graph in
                func rows(_ gaps: MonitoringService.AgendaGaps) -> [CoverageRow] {
                    gaps.units.compactMap { unit in
                        unit.unit.map { CoverageRow(key: $0.key, name: $0.name, covered: unit.members - unit.uncovered.count, total: unit.members) }
                    }.sorted { $0.name < $1.name }
                }
                let uncovered = Set(provinces.units.flatMap(\.uncovered)).compactMap { Self.reference($0, in: graph) }.sorted { $0.name < $1.name }
                let unaffiliated = graph.unaffiliatedMunicipalities(today: today).map { Self.reference(graph.node(id: $0)) }.sorted { $0.name < $1.name }
                return .html(RegionsPage.render(RegionsView(provinces: rows(provinces), regions: rows(regions),
                                                            uncovered: uncovered, unaffiliated: unaffiliated)))
            }
        }
    }

    /// `/node/<node>`: a stakeholder, its relations on both axes, what it takes part in, its
    /// ego network and whom it could meet.
    private func node(_ text: String, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let graph = services.graph
        let today = Today.amsterdam()
        let found: (view: NodeView, dot: [String], stamp: EgoPictures.Stamp)
        do {
            found = try graph.read { (graph: borrowing Graph, epoch: UInt64) in
                let node = try graph.require(text)
                let id = graph.id(forKey: node.key)!
                var horizontal: [NodeView.RelationRow] = [], vertical: [NodeView.RelationRow] = []
                for relation in graph.relations(of: node.key) {
                    let outgoing = relation.from.caseInsensitiveCompare(node.key) == .orderedSame
                    guard let other = graph.node(key: outgoing ? relation.to : relation.from) else { continue }
                    let row = NodeView.RelationRow(kind: relation.kind.rawValue,
                                                   direction: !relation.kind.isDirected ? .mutual : outgoing ? .outgoing : .incoming,
                                                   other: Self.reference(other), note: relation.note ?? "")
                    if graph.axis(of: relation) == .vertical { vertical.append(row) } else { horizontal.append(row) }
                }
                let suggestions = graph.suggestions(for: id, limit: 8, today: today).map { suggestion in
                    NodeView.Suggestion(node: Self.reference(graph.node(id: suggestion.node)), score: suggestion.score,
                                        reasons: [suggestion.reason.text(.nl)])
                }
                let neighbours = graph.edges(id).map { Self.reference(graph.node(id: $0.neighbor)) }
                let view = NodeView(key: node.key, name: node.name, kind: node.kind.rawValue,
                                    provinceName: node.province.flatMap { graph.node(key: $0)?.name }, tier: node.tier.rawValue,
                                    themes: node.themes, aliases: node.aliases, horizontalRelations: horizontal, verticalRelations: vertical,
                                    egoNeighbours: Array(Set(neighbours)).sorted { $0.name < $1.name }, suggestions: suggestions)
                // The picture changes when the ego or a neighbour does (versions), or the graph is replaced (epoch).
                let stamp = EgoPictures.Stamp(epoch: epoch, version: graph.edges(id).map { graph.version(of: $0.neighbor) }.max() ?? 0,
                                              own: graph.version(of: id))
                let dot = self.egoPictures.cached(node.key, stamp) == nil
                    ? graph.egoDotLines(center: id, options: EgoDrawingOptions(depth: 1, language: .nl)) : []
                return (view, dot, stamp)
            }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let key = found.view.key
        let activity = eventLoop.makePromise(of: MonitoringService.NodeActivity.self)
        services.core.monitoring.activity(of: key, limit: 100) { activity.completeWith($0) }
        let picture = eventLoop.makePromise(of: String?.self)
        if let cached = egoPictures.cached(key, found.stamp) {
            picture.succeed(cached.svg)
        } else {
            let pictures = egoPictures, dot = found.dot, stamp = found.stamp
            services.core.compute({ pictures.draw(key, dot: dot, stamp: stamp) }) { picture.completeWith($0) }
        }
        return activity.futureResult.and(picture.futureResult).map { activity, svg in
            var view = found.view
            view.egoSVG = svg
            graph.read { graph in
                view.trajectories = activity.trajectories.map { trajectory in
                    NodeView.TrajectoryRow(key: trajectory.key, name: trajectory.name,
                                           role: trajectory.lead.caseInsensitiveCompare(key) == .orderedSame ? "lead" : "stakeholder",
                                           status: trajectory.status.rawValue)
                }
                view.meetings = activity.meetings.map { Self.meetingRow($0, graph) }
                view.signals = activity.signals.map { signal in
                    NodeView.SignalRow(id: signal.id, kind: signal.kind.rawValue, theme: signal.theme, text: signal.text, status: signal.status.rawValue)
                }
            }
            return .html(NodePage.render(view))
        }
    }

    /// `/trajectory/<key>`: stakeholders, goals, milestones, meetings and the calendar to subscribe to.
    private func trajectory(_ text: String, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let promise = eventLoop.makePromise(of: TrajectoryService.Detail.self)
        services.core.trajectories.detail(text) { promise.completeWith($0) }
        let graph = services.graph
        return promise.futureResult.map { detail in
            graph.read { graph in
                let trajectory = detail.trajectory
                let view = TrajectoryView(
                    key: trajectory.key, name: trajectory.name, kind: trajectory.kind.rawValue, status: trajectory.status.rawValue,
                    themes: trajectory.themes, lead: Self.reference(trajectory.lead, in: graph),
                    stakeholders: detail.stakeholders.compactMap { stakeholder in
                        Self.reference(stakeholder.node, in: graph).map { TrajectoryView.Stakeholder(node: $0, role: stakeholder.role.rawValue) }
                    },
                    goals: detail.goals.map { goal in
                        TrajectoryView.GoalRow(id: goal.id, text: goal.text, indicator: goal.indicator, target: goal.target, by: goal.by,
                                               state: goal.state.rawValue, latest: goal.latest, overdue: goal.pastDate)
                    },
                    milestones: detail.milestones.map { milestone in
                        TrajectoryView.MilestoneRow(id: milestone.id, due: milestone.due, title: milestone.title, status: milestone.status.rawValue,
                                                    owner: milestone.owner.flatMap { Self.reference($0, in: graph) }, overdue: milestone.overdue)
                    },
                    meetings: detail.meetings.map { Self.meetingRow($0, graph) },
                    calendarPath: "/calendar/trajectory/\(HTML.pathSegment(trajectory.key)).ics")
                return .html(TrajectoryPage.render(view))
            }
        }
    }

    /// `/search?q=`: FIND's matching.
    private func search(_ text: String, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        guard !text.allSatisfy(\.isWhitespace) else { return eventLoop.makeSucceededFuture(.html(SearchPage.render(SearchView(query: text, results: [])))) }
        let promise = eventLoop.makePromise(of: [Node].self)
        services.core.graphChanges.find(text, kind: nil, regionType: nil, limit: 50) { promise.completeWith($0) }
        return promise.futureResult.map { nodes in
            .html(SearchPage.render(SearchView(query: text, results: nodes.map(Self.reference))))
        }
    }

    // MARK: - Pieces

    static func reference(_ node: Node) -> NodeRef { NodeRef(key: node.key, name: node.name, kind: node.kind.rawValue) }

    static func reference(_ key: String, in graph: borrowing Graph) -> NodeRef? { graph.node(key: key).map(reference) }

    static func meetingRow(_ meeting: Meeting, _ graph: borrowing Graph) -> MeetingRow {
        MeetingRow(id: meeting.id, start: String(meeting.start.prefix(16)).replacingOccurrences(of: "T", with: " "),
                   title: meeting.title, axis: meeting.axis.rawValue, tripartite: meeting.tripartite, status: meeting.status.rawValue,
                   participants: meeting.participants.map { key in graph.node(key: key).map(reference) ?? NodeRef(key: key, name: key, kind: "") })
    }

}

/// Ego networks drawn as SVG by GraphViz, kept until the ego or a neighbour changes: `dot`
/// takes tens of milliseconds, a page should not. Without GraphViz there is no picture and the
/// page lists the neighbours.
final class EgoPictures: Sendable {
    /// What the picture was drawn from.
    struct Stamp: Equatable {
        var epoch: UInt64
        var version: UInt64
        var own: UInt64
    }
    private let pictures = NIOLockedValueBox<[String: (stamp: Stamp, svg: String?)]>([:])
    private static let capacity = 2_000
    /// GraphViz's `dot`, looked up once.
    private static let dot: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        .map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    func cached(_ key: String, _ stamp: Stamp) -> (svg: String?, Void)? {
        pictures.withLockedValue { $0[key] }.flatMap { $0.stamp == stamp ? ($0.svg, ()) : nil }
    }

    /// Draws the DOT lines as SVG (blocking: runs on the pool's threads) and keeps the result.
    func draw(_ key: String, dot lines: [String], stamp: Stamp) -> String? {
        var svg: String?
        if let dot = Self.dot { svg = Self.render(lines.joined(separator: "\n") + "\n", with: dot) }
        pictures.withLockedValue { pictures in
            if pictures.count >= Self.capacity { pictures.removeAll(keepingCapacity: true) }
            pictures[key] = (stamp, svg)
        }
        return svg
    }

    private static func render(_ source: String, with dot: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dot)
        process.arguments = ["-Tsvg"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Written from another thread: a large drawing fills the output pipe before dot has read all of its input.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(source.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let svg = String(data: data, encoding: .utf8), svg.contains("<svg") else { return nil }
        return svg
    }
}
