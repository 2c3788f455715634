import Foundation

/// One "you should meet" proposal with its evidence.
public struct Suggestion: Sendable, Equatable {
    public var node: NodeID
    public var score: Double
    public var reason: String
    /// A shortest path from the asking node to the suggested one (for "through whom").
    public var path: [NodeID]
}

extension Graph {
    /// Who `source` should meet and is not yet linked to, best first.
    ///
    /// Evidence, each named in the reason:
    /// - common neighbours, weighted by Adamic–Adar (1/log degree), so sharing a rare
    ///   neighbour counts far more than sharing a hub such as a province or the VNG;
    /// - shared themes, and with `theme` the stakeholders whose themes cover it (for a
    ///   ministry on the vertical axis, the ministry owning that portfolio);
    /// - a boost for the poorly connected: the advice is to reach those who do not stand
    ///   first in line, so a low-degree candidate ranks higher, not lower.
    /// Already-linked pairs and the node itself never appear.
    public func suggestions(for source: NodeID, theme: String? = nil, axis: Axis? = nil, limit: Int = 20) -> [Suggestion] {
        let me = node(id: source)
        let myThemes = Set(me.themes.map { $0.lowercased() })
        let wantedTheme = theme?.lowercased()
        var direct: Set<NodeID> = [source]
        for edge in adjacency[Int(source)] { direct.insert(edge.neighbor) }

        var commonWeight: [NodeID: Double] = [:]
        var commonVia: [NodeID: (NodeID, Double)] = [:]
        var commonCount: [NodeID: Int] = [:]
        // Hubs add almost nothing (1/log of a large degree) and would cost a lot to expand.
        let hubCap = 5_000
        for edge in adjacency[Int(source)] {
            let via = edge.neighbor
            let viaDegree = degree(via)
            if viaDegree > hubCap { continue }
            let weight = 1.0 / log(Double(max(viaDegree, 2)))
            for second in adjacency[Int(via)] where !direct.contains(second.neighbor) {
                commonWeight[second.neighbor, default: 0] += weight
                commonCount[second.neighbor, default: 0] += 1
                if commonVia[second.neighbor] == nil || commonVia[second.neighbor]!.1 < weight {
                    commonVia[second.neighbor] = (via, weight)
                }
            }
        }
        var candidates = Set(commonWeight.keys)
        if let wantedTheme {
            for id in nodes(withTheme: wantedTheme) where !direct.contains(id) { candidates.insert(id) }
        }

        var results: [Suggestion] = []
        for candidate in candidates {
            let other = node(id: candidate)
            if let axis, Axis.of(me.tier, other.tier) != axis { continue }
            var score = 0.0
            var reasons: [String] = []
            let otherThemes = Set(other.themes.map { $0.lowercased() })
            if let wantedTheme {
                if otherThemes.contains(wantedTheme) {
                    score += other.kind == .ministry ? 3.0 : 2.0
                    reasons.append(other.kind == .ministry ? "ministry responsible for \(wantedTheme)" : "works on \(wantedTheme)")
                } else if commonWeight[candidate] == nil {
                    continue
                }
            }
            let shared = myThemes.intersection(otherThemes).subtracting(wantedTheme.map { [$0] } ?? [])
            if !shared.isEmpty {
                score += 0.5 * Double(shared.count)
                reasons.append("shared themes: " + shared.sorted().joined(separator: ","))
            }
            if let weight = commonWeight[candidate] {
                score += weight
                let count = commonCount[candidate] ?? 0
                if let (via, _) = commonVia[candidate] {
                    let viaNode = node(id: via)
                    reasons.append("\(count) common neighbour\(count == 1 ? "" : "s"), the rarest \(viaNode.name) (\(degree(via)) links)")
                }
            }
            // Reach out to the poorly connected: up to +50 % for a node with few links.
            let boost = 1.0 + 0.5 / log(Double(degree(candidate)) + 2.0)
            score *= boost
            if degree(candidate) <= 3 { reasons.append("few connections (\(degree(candidate)))") }
            guard score > 0 else { continue }
            results.append(Suggestion(node: candidate, score: score, reason: reasons.joined(separator: "; "), path: []))
        }
        results.sort { ($0.score, node(id: $1.node).key) > ($1.score, node(id: $0.node).key) }
        var top = Array(results.prefix(limit))
        for index in top.indices {
            if let path = shortestPath(from: source, to: top[index].node, maxHops: 6) {
                top[index].path = path.nodes
                if path.nodes.count > 2 {
                    let through = path.nodes.dropFirst().dropLast().map { node(id: $0).name }.joined(separator: " > ")
                    top[index].reason += (top[index].reason.isEmpty ? "" : "; ") + "reach through " + through
                }
            }
        }
        return top
    }
}
