import VerbinderText

/// One answer to a problem or need (`MATCH`): a solution or practice example from elsewhere,
/// scored by how alike its source is to the asking one, with the evidence.
public struct SignalMatch: Sendable, Equatable {
    /// The index of the answer in the list it was chosen from.
    public var index: Int
    public var score: Double
    public var reason: Message
}

extension Graph {
    /// Ranks answers to a signal of `source`: each answer is given by its source node's key.
    ///
    /// Evidence, each named in the reason: the same tier (a small municipality learns most
    /// from another small one), regions both belong to, and closeness in the graph (a source a
    /// few steps away can be asked through whom). Every answer starts at 1, so one with no
    /// evidence still appears, last. Answers whose source is not in the graph are left out.
    /// Best first; equal scores by position in `answers`.
    public func matches(for source: NodeID, answers: [String], limit: Int) -> [SignalMatch] {
        let sourceTier = node(id: source).tier
        let sourceRegions = Set(edges(source).filter { kind(ofNode: $0.neighbor) == .region }.map(\.neighbor))
        // One breadth-first search gives the steps to every source (the length of the path
        // PATH would find); a decade's answers on one theme come from a few hundred sources,
        // each scored once, and only the ranked ones get their reason written.
        let steps = hopCounts(from: source, maxHops: 6)
        var scores: [NodeID: Double] = [:]
        var scored: [(index: Int, id: NodeID, score: Double)] = []
        scored.reserveCapacity(answers.count)
        for (index, key) in answers.enumerated() {
            guard let other = id(forKey: key) else { continue }
            let score = scores[other] ?? {
                let score = evidence(of: other, tier: sourceTier, regions: sourceRegions, steps: steps, describe: false).score
                scores[other] = score
                return score
            }()
            scored.append((index, other, score))
        }
        var reasons: [NodeID: Message] = [:]
        return scored.sorted { ($0.score, $1.index) > ($1.score, $0.index) }.prefix(limit).map { entry in
            let reason = reasons[entry.id] ?? {
                let parts = evidence(of: entry.id, tier: sourceTier, regions: sourceRegions, steps: steps, describe: true).reasons
                let reason = Message.joined(parts, separator: "; ")
                reasons[entry.id] = reason
                return reason
            }()
            return SignalMatch(index: entry.index, score: entry.score, reason: reason)
        }
    }

    /// The score of an answer from `other`, and when `describe` is set the evidence named.
    private func evidence(of other: NodeID, tier: Tier, regions: Set<NodeID>, steps: [Int32], describe: Bool) -> (score: Double, reasons: [Message]) {
        var score = 1.0
        var reasons: [Message] = []
        let otherTier = node(id: other).tier
        if otherTier == tier {
            score += 1
            if describe { reasons.append("same tier (\(otherTier.rawValue))") }
        }
        var shared: [NodeID] = []
        for edge in edges(other) where regions.contains(edge.neighbor) && !shared.contains(edge.neighbor) { shared.append(edge.neighbor) }
        if !shared.isEmpty {
            score += Double(shared.count)
            if describe { reasons.append("shared region \(shared.map { node(id: $0).name }.sorted().joined(separator: ", "))") }
        }
        let hops = Int(steps[Int(other)])
        if hops >= 0 {
            score += 2.0 / Double(1 + hops)
            if describe { reasons.append(hops == 1 ? "1 step away" : "\(hops) steps away") }
        }
        return (score, reasons)
    }

    /// The steps from `source` to every node, walking relations in either direction, up to
    /// `maxHops`; -1 for a node farther away or unreachable.
    func hopCounts(from source: NodeID, maxHops: Int) -> [Int32] {
        var steps = [Int32](repeating: -1, count: adjacency.count)
        steps[Int(source)] = 0
        var frontier = [source]
        var depth: Int32 = 0
        while !frontier.isEmpty, depth < maxHops {
            depth += 1
            var next: [NodeID] = []
            for u in frontier {
                for edge in adjacency[Int(u)] where steps[Int(edge.neighbor)] < 0 {
                    steps[Int(edge.neighbor)] = depth
                    next.append(edge.neighbor)
                }
            }
            frontier = next
        }
        return steps
    }
}
