/// Which relations and nodes a walk through the graph may use.
public struct WalkFilter: Sendable {
    /// Only relations on this axis.
    public var axis: Axis?
    /// Only these relation kinds (empty: all).
    public var relations: Set<RelationKind>
    /// Intermediate nodes must be of these kinds (empty: any). Endpoints are exempt.
    public var via: Set<NodeKind>
    /// Nodes never passed through.
    public var avoid: Set<NodeID>

    public init(axis: Axis? = nil, relations: Set<RelationKind> = [], via: Set<NodeKind> = [], avoid: Set<NodeID> = []) {
        self.axis = axis
        self.relations = relations
        self.via = via
        self.avoid = avoid
    }
}

/// A walk from one node to another: `nodes[0]` is the start, `relations[i]` joins `nodes[i]` and `nodes[i+1]`.
public struct GraphPath: Sendable, Equatable {
    public var nodes: [NodeID]
    public var relations: [Int32]
    public var hops: Int { relations.count }
}

extension Graph {
    /// Above this many relations a node counts as a hub for the order of a search.
    static let hubDegree = 64

    func allows(_ edge: Edge, filter: WalkFilter) -> Bool {
        if let wanted = filter.axis, wanted != self.axis(ofRelation: edge.relation) { return false }
        if !filter.relations.isEmpty, !filter.relations.contains(kind(of: edge.relation)) { return false }
        return true
    }

    /// Whether any relation the filter allows touches the node. A search from a node without
    /// one cannot succeed, whatever its depth; the caller says so instead of "no path".
    public func hasRelation(_ id: NodeID, filter: WalkFilter) -> Bool {
        adjacency[Int(id)].contains { allows($0, filter: filter) }
    }

    /// The shortest path between two nodes by breadth-first search from both ends at once:
    /// it visits about 2·b^(d/2) nodes instead of b^d. Relations are walked in either
    /// direction. Visited marks live in reusable flat arrays (stamped per search), so a search
    /// allocates almost nothing.
    ///
    /// Two things keep it fast on graphs with hubs (a province with thousands of members):
    /// - it grows the side whose frontier has fewer *edges* to walk, not fewer nodes: one hub
    ///   in a frontier of three costs more than thirty ordinary nodes;
    /// - it stops at the level of the first meeting point. While the search runs no node is
    ///   marked by both sides, so a node `u` on this side's frontier has no neighbour the other
    ///   side reached before its current depth (expanding that neighbour would have marked
    ///   `u`). Every meeting found while growing this level therefore has the same length.
    ///
    /// Among the shortest paths it returns one that crosses government layers the fewest
    /// times: each side keeps, per node, the fewest crossings of a shortest way to it, and the
    /// meetings of the last level are compared by their sum. A meeting that crosses no more
    /// than any path must (none between ends of one layer, one otherwise) ends the search at
    /// once; otherwise the level goes on for as many edges again as the first meeting took, and
    /// hubs are walked only when ordinary nodes meet nowhere, so the tie-break costs little. So `PATH GM1731 vws` goes through the VNG (municipality, its department, the
    /// VNG: one crossing, to the ministry) rather than through the province and IPO (two), as
    /// a connector would go.
    public func shortestPath(from source: NodeID, to target: NodeID, filter: WalkFilter = WalkFilter(), maxHops: Int = 8,
                             excludedRelations: Set<Int32> = [], excludedNodes: Set<NodeID> = []) -> GraphPath? {
        if source == target { return GraphPath(nodes: [source], relations: []) }
        if filter.avoid.contains(source) || filter.avoid.contains(target) { return nil }
        let scratch = SearchScratch.take(capacity: nodeStore.count)
        defer { SearchScratch.give(scratch) }
        let stamp = scratch.nextStamp()
        // side 0 grows from the source, side 1 from the target
        scratch.mark(source, side: 0, stamp: stamp, parent: -1, relation: -1, depth: 0)
        scratch.mark(target, side: 1, stamp: stamp, parent: -1, relation: -1, depth: 0)
        var frontiers: [[NodeID]] = [[source], [target]]
        var work = [degree(source), degree(target)]  // edges to walk to grow each side
        var depths = [0, 0]
        let mayPass: (NodeID) -> Bool = { id in
            if id == source || id == target { return true }
            if filter.avoid.contains(id) || (!excludedNodes.isEmpty && excludedNodes.contains(id)) { return false }
            return filter.via.isEmpty || filter.via.contains(self.node(id: id).kind)
        }
        let simple = filter.axis == nil && filter.relations.isEmpty && excludedRelations.isEmpty
        // No path crosses fewer layers than this: a meeting that does is the answer at once.
        let fewestCrossings: Int32 = layerCodes[Int(source)] == layerCodes[Int(target)] ? 0 : 1
        while !frontiers[0].isEmpty, !frontiers[1].isEmpty, depths[0] + depths[1] < maxHops {
            let side = work[0] <= work[1] ? 0 : 1
            let other = 1 - side
            let level = Int32(depths[side] + 1)
            var next: [NodeID] = []
            var nextWork = 0
            var meetings: [NodeID] = []
            // Edges walked on this level, and where looking for a meeting with fewer crossings
            // stops: as many edges again as it took to find the first one.
            var walked = 0
            var stopAt = Int.max
            // Small nodes first, hubs last: when small nodes already meet the other side, the
            // hubs' thousands of members are not walked (every meeting of a level is equally
            // short; the hubs could only offer fewer crossings).
            for pass in 0..<2 {
                for u in frontiers[side] where (adjacency[Int(u)].count <= Graph.hubDegree) == (pass == 0) {
                    if walked >= stopAt { break }
                    if u != source, u != target, !mayPass(u) { continue }
                    walked += adjacency[Int(u)].count
                    let layer = layerCodes[Int(u)]
                    let crossingsHere = scratch.crossings(u, side: side)
                    for edge in adjacency[Int(u)] {
                        let v = edge.neighbor
                        if !simple, excludedRelations.contains(edge.relation) || !allows(edge, filter: filter) { continue }
                        let crossings = crossingsHere + (layerCodes[Int(v)] == layer ? 0 : 1)
                        if scratch.seen(v, side: side, stamp: stamp) {
                            // Reached again on this level: keep the parent that crosses fewer layers.
                            if scratch.depth(v, side: side) == level, crossings < scratch.crossings(v, side: side) {
                                scratch.mark(v, side: side, stamp: stamp, parent: u, relation: edge.relation, depth: level, crossings: crossings)
                                if scratch.seen(v, side: other, stamp: stamp), crossings + scratch.crossings(v, side: other) <= fewestCrossings {
                                    return scratch.assemble(meet: v)
                                }
                            }
                            continue
                        }
                        if !mayPass(v) { continue }
                        scratch.mark(v, side: side, stamp: stamp, parent: u, relation: edge.relation, depth: level, crossings: crossings)
                        if scratch.seen(v, side: other, stamp: stamp) {
                            guard depths[side] + 1 + Int(scratch.depth(v, side: other)) <= maxHops else { return nil }
                            if crossings + scratch.crossings(v, side: other) <= fewestCrossings { return scratch.assemble(meet: v) }
                            if meetings.isEmpty { stopAt = 2 * walked }
                            meetings.append(v)
                            continue
                        }
                        next.append(v)
                        nextWork += adjacency[Int(v)].count
                    }
                }
                // Every meeting of this level is a shortest path: the one that crosses layers
                // least (the smallest node id among equals, so the answer depends on the graph only).
                if let best = meetings.min(by: { a, b in
                    let (ca, cb) = (scratch.crossings(a, side: 0) + scratch.crossings(a, side: 1), scratch.crossings(b, side: 0) + scratch.crossings(b, side: 1))
                    return ca != cb ? ca < cb : a < b
                }) {
                    return scratch.assemble(meet: best)
                }
            }
            frontiers[side] = next
            work[side] = nextWork
            depths[side] += 1
        }
        return nil
    }

    /// Up to `k` shortest loop-free paths in non-decreasing length (Yen's algorithm).
    public func shortestPaths(from source: NodeID, to target: NodeID, k: Int, filter: WalkFilter = WalkFilter(), maxHops: Int = 8) -> [GraphPath] {
        guard let first = shortestPath(from: source, to: target, filter: filter, maxHops: maxHops) else { return [] }
        var found = [first]
        var candidates: [GraphPath] = []
        while found.count < k {
            let previous = found[found.count - 1]
            for spur in 0..<previous.nodes.count - 1 {
                let spurNode = previous.nodes[spur]
                let rootNodes = Array(previous.nodes[...spur])
                let rootRelations = Array(previous.relations[..<spur])
                var excludedRelations: Set<Int32> = []
                for path in found where path.nodes.count > spur && Array(path.nodes[...spur]) == rootNodes {
                    excludedRelations.insert(path.relations[spur])
                }
                let excludedNodes = Set(rootNodes.dropLast())
                guard let spurPath = shortestPath(from: spurNode, to: target, filter: filter, maxHops: maxHops - spur,
                                                  excludedRelations: excludedRelations, excludedNodes: excludedNodes) else { continue }
                let candidate = GraphPath(nodes: rootNodes + spurPath.nodes.dropFirst(), relations: rootRelations + spurPath.relations)
                if Set(candidate.nodes).count != candidate.nodes.count { continue }
                if !candidates.contains(candidate), !found.contains(candidate) { candidates.append(candidate) }
            }
            guard !candidates.isEmpty else { break }
            let bestIndex = candidates.indices.min { candidates[$0].hops < candidates[$1].hops }!
            found.append(candidates.remove(at: bestIndex))
        }
        return found
    }

    /// The ego network: relations reached by walking up to `depth` steps from `start`.
    /// Each relation is reported once with the distance of its farther end.
    public func neighborhood(of start: NodeID, depth: Int, filter: WalkFilter = WalkFilter()) -> [(relation: Int32, depth: Int)] {
        var distance: [NodeID: Int] = [start: 0]
        var frontier = [start]
        var seen: Set<Int32> = []
        var result: [(relation: Int32, depth: Int)] = []
        for level in 1...max(1, depth) {
            var next: [NodeID] = []
            for u in frontier {
                for edge in adjacency[Int(u)] where allows(edge, filter: filter) {
                    if filter.avoid.contains(edge.neighbor) { continue }
                    if seen.insert(edge.relation).inserted {
                        result.append((edge.relation, level))
                    }
                    if distance[edge.neighbor] == nil {
                        distance[edge.neighbor] = level
                        next.append(edge.neighbor)
                    }
                }
            }
            frontier = next
        }
        return result
    }
}

/// Per-search visited marks, parents and depths for both directions, in flat arrays indexed
/// by node id. A mark counts only when its stamp is the current search's, so nothing is cleared
/// between searches. Scratch sets are pooled: each search (one thread) takes one and gives it back.
///
/// The arrays are raw buffers rather than Swift arrays: a search touches them tens of
/// thousands of times, and on a class's array properties every touch pays for an exclusivity
/// check and a uniqueness check.
final class SearchScratch: @unchecked Sendable {
    private struct Mark {
        var stamp: UInt32
        var depth: Int32
        var parent: NodeID
        var relation: Int32
        /// Layer changes on the way from this side's end.
        var crossings: Int32
    }

    /// `capacity` marks per side: side 0 at `marks[0..<capacity]`, side 1 after it.
    private var marks: UnsafeMutablePointer<Mark>
    private var capacity: Int
    private var current: UInt32 = 0

    private static let pool = ScratchPool<SearchScratch>()

    private init() {
        capacity = 0
        marks = .allocate(capacity: 0)
    }

    deinit { marks.deallocate() }

    static func take(capacity: Int) -> SearchScratch {
        let scratch = pool.take() ?? SearchScratch()
        scratch.ensure(capacity)
        return scratch
    }

    static func give(_ scratch: SearchScratch) {
        pool.give(scratch)
    }

    private func ensure(_ wanted: Int) {
        guard wanted > capacity else { return }
        let grown = max(wanted, capacity * 2)
        let fresh = UnsafeMutablePointer<Mark>.allocate(capacity: 2 * grown)
        fresh.initialize(repeating: Mark(stamp: 0, depth: 0, parent: -1, relation: -1, crossings: 0), count: 2 * grown)
        marks.deallocate()
        marks = fresh
        capacity = grown
        current = 0
    }

    func nextStamp() -> UInt32 {
        current &+= 1
        if current == 0 {
            // Wrapped after four billion searches: clear once and start again.
            for i in 0..<2 * capacity { marks[i].stamp = 0 }
            current = 1
        }
        return current
    }

    @inline(__always) private func slot(_ id: NodeID, _ side: Int) -> Int { side * capacity + Int(id) }

    @inline(__always) func seen(_ id: NodeID, side: Int, stamp: UInt32) -> Bool { marks[slot(id, side)].stamp == stamp }

    @inline(__always) func depth(_ id: NodeID, side: Int) -> Int32 { marks[slot(id, side)].depth }

    @inline(__always) func crossings(_ id: NodeID, side: Int) -> Int32 { marks[slot(id, side)].crossings }

    @inline(__always) func mark(_ id: NodeID, side: Int, stamp: UInt32, parent: NodeID, relation: Int32, depth: Int32, crossings: Int32 = 0) {
        marks[slot(id, side)] = Mark(stamp: stamp, depth: depth, parent: parent, relation: relation, crossings: crossings)
    }

    private func parent(_ id: NodeID, _ side: Int) -> NodeID { marks[slot(id, side)].parent }

    private func relation(_ id: NodeID, _ side: Int) -> Int32 { marks[slot(id, side)].relation }

    /// The path through `meet`: up the source side's parents, then down the target side's.
    func assemble(meet: NodeID) -> GraphPath {
        var nodes: [NodeID] = [meet]
        var path: [Int32] = []
        var node = meet
        while parent(node, 0) >= 0 {
            path.append(relation(node, 0))
            node = parent(node, 0)
            nodes.append(node)
        }
        nodes.reverse()
        path.reverse()
        node = meet
        while parent(node, 1) >= 0 {
            path.append(relation(node, 1))
            node = parent(node, 1)
            nodes.append(node)
        }
        return GraphPath(nodes: nodes, relations: path)
    }
}
