/// Gaps, centrality and export: the monitoring questions the advice asks.
extension Graph {
    /// Current municipalities that are a member of no current network (G40, M50, K80, P10, R8, …).
    public func unaffiliatedMunicipalities(today: String) -> [NodeID] {
        let gone = notCurrent(on: today)
        return nodeIDs.filter { id in
            !gone.contains(id) && node(id: id).kind == .municipality && !adjacency[Int(id)].contains { edge in
                relFrom[Int(edge.relation)] == id && kind(of: edge.relation) == .memberOf
                    && node(id: edge.neighbor).kind == .network && !gone.contains(edge.neighbor)
            }
        }
    }

    /// Current nodes with no relation to a current node. An ended ministry is no gap, and a
    /// node whose only tie is to one is.
    public func isolatedNodes(today: String) -> [NodeID] {
        let gone = notCurrent(on: today)
        return nodeIDs.filter { id in
            !gone.contains(id) && !adjacency[Int(id)].contains { !gone.contains($0.neighbor) }
        }
    }

    /// Current regions and municipalities with no relation to a current ministry (with `theme`,
    /// a theme key: to one whose themes cover it). Such relations are vertical by construction.
    public func verticalGaps(theme: String? = nil, today: String) -> [NodeID] {
        let gone = notCurrent(on: today)
        return nodeIDs.filter { id in
            let kind = node(id: id).kind
            guard kind == .municipality || kind == .region, !gone.contains(id) else { return false }
            return !adjacency[Int(id)].contains { edge in
                let other = node(id: edge.neighbor)
                guard other.kind == .ministry, !gone.contains(edge.neighbor), axis(ofRelation: edge.relation) == .vertical else { return false }
                guard let theme else { return true }
                return other.themes.contains(theme)
            }
        }
    }

    /// Exact betweenness centrality (Brandes, unweighted, relations walked both ways).
    /// O(V·E): fine for the real network; the daemon runs it off the event loops.
    /// With `sources` set (fewer than the nodes), it runs from that many evenly spread
    /// source nodes and scales up: the standard estimate for graphs too large for exact
    /// O(V·E) work. `isExact` in the result says which it was.
    public func betweenness(sources limit: Int? = nil) -> [NodeID: Double] {
        let ids = nodeIDs
        let capacity = nodeStore.count
        let stride = limit.map { max(1, ids.count / max(1, $0)) } ?? 1
        let pivots = stride == 1 ? ids : Swift.stride(from: 0, to: ids.count, by: stride).map { ids[$0] }
        let scale = Double(ids.count) / Double(max(1, pivots.count))
        var centrality = [Double](repeating: 0, count: capacity)
        var sigma = [Double](repeating: 0, count: capacity)
        var distance = [Int32](repeating: -1, count: capacity)
        var delta = [Double](repeating: 0, count: capacity)
        var predecessors = [[NodeID]](repeating: [], count: capacity)
        var stack: [NodeID] = []
        var queue: [NodeID] = []
        for s in pivots {
            stack.removeAll(keepingCapacity: true)
            for id in ids {
                predecessors[Int(id)].removeAll(keepingCapacity: true)
                sigma[Int(id)] = 0
                distance[Int(id)] = -1
                delta[Int(id)] = 0
            }
            sigma[Int(s)] = 1
            distance[Int(s)] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(s)
            var head = 0
            while head < queue.count {
                let v = queue[head]
                head += 1
                stack.append(v)
                for edge in adjacency[Int(v)] {
                    let w = edge.neighbor
                    if distance[Int(w)] < 0 {
                        distance[Int(w)] = distance[Int(v)] + 1
                        queue.append(w)
                    }
                    if distance[Int(w)] == distance[Int(v)] + 1 {
                        sigma[Int(w)] += sigma[Int(v)]
                        predecessors[Int(w)].append(v)
                    }
                }
            }
            while let w = stack.popLast() {
                for v in predecessors[Int(w)] {
                    delta[Int(v)] += sigma[Int(v)] / sigma[Int(w)] * (1 + delta[Int(w)])
                }
                if w != s { centrality[Int(w)] += delta[Int(w)] }
            }
        }
        var result: [NodeID: Double] = [:]
        // Undirected: every pair was counted from both ends.
        for id in ids { result[id] = centrality[Int(id)] / 2 * scale }
        return result
    }

    /// GraphViz DOT lines for the whole graph or the ego network of `center`, all at once.
    public func dotLines(center: NodeID? = nil, depth: Int = 1, filter: WalkFilter = WalkFilter()) -> [String] {
        var writer = DotWriter(graph: self, center: center, depth: depth, filter: filter)
        var lines: [String] = []
        while let chunk = writer.next(upTo: 4096) { lines += chunk }
        return lines
    }

    func dotLine(node id: NodeID) -> String {
        let node = self.node(id: id)
        return "  \(Graph.dotID(node.key)) [label=\(Graph.dotID(node.name)), shape=\(Graph.shape(node.kind)), fillcolor=\"\(Graph.color(node.layer))\"];"
    }

    func dotLine(relation: Int32) -> String {
        let from = node(id: relFrom[Int(relation)]).key, to = node(id: relTo[Int(relation)]).key
        let kind = self.kind(of: relation)
        let style = axis(ofRelation: relation) == .vertical ? "solid" : "dashed"
        let arrow = kind.isDirected ? "" : ", dir=none"
        return "  \(Graph.dotID(from)) -> \(Graph.dotID(to)) [label=\"\(kind.rawValue)\", style=\(style)\(arrow)];"
    }

    func allowsRelation(_ relation: Int32, _ filter: WalkFilter) -> Bool {
        allows(Edge(neighbor: relTo[Int(relation)], relation: relation), filter: filter)
    }

    static func dotID(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            // A line break or any other control character (ESC, BEL, ...) becomes a space: the
            // line is sent as it is, and must not move a terminal's cursor.
            let control = character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
            out.append(control ? " " : character)
        }
        return out + "\""
    }

    static func shape(_ kind: NodeKind) -> String {
        switch kind {
        case .municipality: return "ellipse"
        case .region: return "hexagon"
        case .province: return "box"
        case .ministry: return "doubleoctagon"
        case .knowledge: return "note"
        case .network: return "diamond"
        case .vng: return "house"
        case .partner: return "component"
        }
    }

    /// One fill colour per government layer, so a picture shows at a glance where the
    /// vertical relations cross.
    static func color(_ layer: Layer) -> String {
        switch layer {
        case .decentral: return "#d9ecff"
        case .provincial: return "#fff0c2"
        case .national: return "#ffd6d6"
        }
    }
}

/// Writes a graph as DOT a chunk at a time, so a million relations never sit in memory as
/// text: the whole graph is walked by id in place; an ego network is small and listed first.
/// Give it a snapshot (`LiveGraph.snapshot()`): it may outlive many writes.
public struct DotWriter: Sendable {
    private let graph: Graph
    private let filter: WalkFilter
    private var phase = 0
    private var cursor = 0
    private var nodes: [NodeID]?
    private var relations: [Int32]?

    public init(graph: Graph, center: NodeID?, depth: Int, filter: WalkFilter) {
        self.graph = graph
        self.filter = filter
        if let center {
            let reached = graph.neighborhood(of: center, depth: depth, filter: filter).map(\.relation).sorted()
            var set: Set<NodeID> = [center]
            for relation in reached { let ends = graph.ends(of: relation); set.insert(ends.from); set.insert(ends.to) }
            nodes = set.sorted()
            relations = reached
        }
    }

    /// The next lines (at most `limit`), or nil when all were written.
    public mutating func next(upTo limit: Int) -> [String]? {
        var lines: [String] = []
        while lines.count < limit {
            switch phase {
            case 0:
                lines += ["digraph verbinder {", "  graph [overlap=false, splines=true];", "  node [style=filled, fontname=\"Helvetica,Arial,sans-serif\"];", "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=8];"]
                phase = 1
                cursor = 0
            case 1:
                if let nodes {
                    guard cursor < nodes.count else { phase = 2; cursor = 0; continue }
                    lines.append(graph.dotLine(node: nodes[cursor]))
                } else {
                    guard cursor < graph.nodeStore.count else { phase = 2; cursor = 0; continue }
                    if graph.nodeStore[cursor] != nil { lines.append(graph.dotLine(node: NodeID(cursor))) }
                }
                cursor += 1
            case 2:
                if let relations {
                    guard cursor < relations.count else { phase = 3; continue }
                    lines.append(graph.dotLine(relation: relations[cursor]))
                } else {
                    guard cursor < graph.relFrom.count else { phase = 3; continue }
                    let index = Int32(cursor)
                    if graph.relFrom[cursor] >= 0, graph.allowsRelation(index, filter) { lines.append(graph.dotLine(relation: index)) }
                }
                cursor += 1
            case 3:
                lines.append("}")
                phase = 4
            default:
                return lines.isEmpty ? nil : lines
            }
        }
        return lines
    }
}
