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
        let sourceNode = node(id: source)
        let sourceRegions = Set(edges(source).filter { node(id: $0.neighbor).kind == .region }.map(\.neighbor))
        // The evidence depends only on the answer's source, and a decade's answers on one theme
        // come from a few hundred sources: each source is scored (and searched for) once.
        var evidence: [NodeID: (score: Double, reason: Message)] = [:]
        var scored: [SignalMatch] = []
        for (index, key) in answers.enumerated() {
            guard let other = id(forKey: key) else { continue }
            if let known = evidence[other] {
                scored.append(SignalMatch(index: index, score: known.score, reason: known.reason))
                continue
            }
            let otherNode = node(id: other)
            var score = 1.0
            var reasons: [Message] = []
            if otherNode.tier == sourceNode.tier { score += 1; reasons.append("same tier (\(otherNode.tier.rawValue))") }
            let shared = sourceRegions.intersection(edges(other).map(\.neighbor))
            if !shared.isEmpty {
                score += Double(shared.count)
                reasons.append("shared region \(shared.map { node(id: $0).name }.sorted().joined(separator: ", "))")
            }
            if let path = shortestPath(from: source, to: other, maxHops: 6) {
                score += 2.0 / Double(1 + path.hops)
                reasons.append(path.hops == 1 ? "1 step away" : "\(path.hops) steps away")
            }
            let reason = Message.joined(reasons, separator: "; ")
            evidence[other] = (score, reason)
            scored.append(SignalMatch(index: index, score: score, reason: reason))
        }
        return Array(scored.sorted { ($0.score, $1.index) > ($1.score, $0.index) }.prefix(limit))
    }
}
