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
    func allows(_ edge: Edge, filter: WalkFilter) -> Bool {
        if let wanted = filter.axis, wanted != self.axis(ofRelation: edge.relation) { return false }
        if !filter.relations.isEmpty, !filter.relations.contains(kind(of: edge.relation)) { return false }
        return true
    }

    /// The shortest path between two nodes by breadth-first search from both ends at once,
    /// always growing the smaller frontier: it visits about 2·b^(d/2) nodes instead of b^d.
    /// Relations are walked in either direction.
    public func shortestPath(from source: NodeID, to target: NodeID, filter: WalkFilter = WalkFilter(), maxHops: Int = 8,
                             excludedRelations: Set<Int32> = [], excludedNodes: Set<NodeID> = []) -> GraphPath? {
        if source == target { return GraphPath(nodes: [source], relations: []) }
        if filter.avoid.contains(source) || filter.avoid.contains(target) { return nil }
        // parent[n] = (previous node towards that side's root, relation used)
        var forward: [NodeID: (NodeID, Int32)] = [source: (-1, -1)]
        var backward: [NodeID: (NodeID, Int32)] = [target: (-1, -1)]
        var forwardFrontier = [source], backwardFrontier = [target]
        var forwardDepth = 0, backwardDepth = 0
        let mayPass: (NodeID) -> Bool = { id in
            if id == source || id == target { return true }
            if filter.avoid.contains(id) || excludedNodes.contains(id) { return false }
            return filter.via.isEmpty || filter.via.contains(self.node(id: id).kind)
        }
        while !forwardFrontier.isEmpty, !backwardFrontier.isEmpty, forwardDepth + backwardDepth < maxHops {
            let expandForward = forwardFrontier.count <= backwardFrontier.count
            var next: [NodeID] = []
            var best: (meet: NodeID, length: Int)?
            let frontier = expandForward ? forwardFrontier : backwardFrontier
            for u in frontier {
                // An intermediate node that may not be passed is never expanded.
                if u != source, u != target, !mayPass(u) { continue }
                for edge in adjacency[Int(u)] {
                    let v = edge.neighbor
                    if excludedRelations.contains(edge.relation) || !allows(edge, filter: filter) { continue }
                    if !mayPass(v) { continue }
                    if expandForward {
                        if forward[v] != nil { continue }
                        forward[v] = (u, edge.relation)
                        if backward[v] != nil {
                            let length = forwardDepth + 1 + depth(of: v, in: backward)
                            if best == nil || length < best!.length { best = (v, length) }
                        }
                    } else {
                        if backward[v] != nil { continue }
                        backward[v] = (u, edge.relation)
                        if forward[v] != nil {
                            let length = backwardDepth + 1 + depth(of: v, in: forward)
                            if best == nil || length < best!.length { best = (v, length) }
                        }
                    }
                    next.append(v)
                }
            }
            if let best {
                guard best.length <= maxHops else { return nil }
                return assemble(meet: best.meet, forward: forward, backward: backward)
            }
            if expandForward { forwardFrontier = next; forwardDepth += 1 } else { backwardFrontier = next; backwardDepth += 1 }
        }
        return nil
    }

    private func depth(of node: NodeID, in parents: [NodeID: (NodeID, Int32)]) -> Int {
        var count = 0
        var current = node
        while let (parent, _) = parents[current], parent >= 0 { count += 1; current = parent }
        return count
    }

    private func assemble(meet: NodeID, forward: [NodeID: (NodeID, Int32)], backward: [NodeID: (NodeID, Int32)]) -> GraphPath {
        var nodes: [NodeID] = [meet]
        var relations: [Int32] = []
        var current = meet
        while let (parent, relation) = forward[current], parent >= 0 {
            nodes.append(parent)
            relations.append(relation)
            current = parent
        }
        nodes.reverse()
        relations.reverse()
        current = meet
        while let (parent, relation) = backward[current], parent >= 0 {
            nodes.append(parent)
            relations.append(relation)
            current = parent
        }
        return GraphPath(nodes: nodes, relations: relations)
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
