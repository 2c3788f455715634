import Foundation
import VerbinderText

/// One "you should meet" proposal with its evidence.
public struct Suggestion: Sendable, Equatable {
    public var node: NodeID
    public var score: Double
    public var reason: Message
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
    /// Already-linked pairs, the node itself and nodes not current on `today` (an ended
    /// ministry) never appear. `theme` is a key of the vocabulary.
    public func suggestions(for source: NodeID, theme: String? = nil, axis: Axis? = nil, limit: Int = 20,
                            today: String) -> [Suggestion] {
        let me = node(id: source)
        let myThemes = Set(me.themes.map { $0.lowercased() })
        let wantedTheme = theme?.lowercased()
        var direct: Set<NodeID> = [source]
        for edge in adjacency[Int(source)] { direct.insert(edge.neighbor) }
        // Ended nodes are neither proposed nor named as the way there.
        let gone = notCurrent(on: today)

        // Phase 1: numbers only (this runs for thousands of candidates on a large graph), in
        // flat arrays indexed by node id rather than a dictionary.
        let scratch = EvidenceScratch.take(capacity: nodeStore.count)
        defer { EvidenceScratch.give(scratch) }
        scratch.begin()
        // Hubs add almost nothing (1/log of a large degree) and would cost a lot to expand.
        let hubCap = 5_000
        for edge in adjacency[Int(source)] {
            let via = edge.neighbor
            let viaDegree = degree(via)
            if viaDegree > hubCap || gone.contains(via) { continue }
            let weight = 1.0 / log(Double(max(viaDegree, 2)))
            for second in adjacency[Int(via)] where !direct.contains(second.neighbor) {
                scratch.add(second.neighbor, weight: weight, via: via)
            }
        }
        let themed: Set<NodeID> = wantedTheme.map { Set(nodes(withTheme: $0)) } ?? []
        var candidates = scratch.touched
        for id in themed where !direct.contains(id) && !scratch.has(id) { candidates.append(id) }
        let evidence = { (id: NodeID) -> Evidence? in scratch.evidence(id) }

        var scored: [(id: NodeID, score: Double)] = []
        scored.reserveCapacity(candidates.count)
        for candidate in candidates {
            let other = node(id: candidate)
            if let axis, Axis.of(me.layer, other.layer) != axis { continue }
            if gone.contains(candidate) { continue }
            var score = 0.0
            if wantedTheme != nil {
                if themed.contains(candidate) {
                    score += other.kind == .ministry ? 3.0 : 2.0
                } else if !scratch.has(candidate) {
                    continue
                }
            }
            if !myThemes.isEmpty, !other.themes.isEmpty {
                let shared = other.themes.reduce(0) { $0 + (myThemes.contains($1.lowercased()) && $1.lowercased() != wantedTheme ? 1 : 0) }
                score += 0.5 * Double(shared)
            }
            score += evidence(candidate)?.weight ?? 0
            // Reach out to the poorly connected: up to +50 % for a node with few links.
            score *= 1.0 + 0.5 / log(Double(degree(candidate)) + 2.0)
            if score > 0 { scored.append((candidate, score)) }
        }
        let top = scored.count > limit * 4
            ? Array(scored.sorted { $0.score > $1.score }.prefix(limit * 4))
            : scored

        // Phase 2: words and paths, for the few that will be shown.
        var results: [Suggestion] = top.map { entry in
            let other = node(id: entry.id)
            var reasons: [Message] = []
            if let wantedTheme, themed.contains(entry.id) {
                reasons.append(other.kind == .ministry ? "ministry responsible for \(wantedTheme)" : "works on \(wantedTheme)")
            }
            let shared = myThemes.intersection(other.themes.map { $0.lowercased() }).subtracting(wantedTheme.map { [$0] } ?? [])
            if !shared.isEmpty { reasons.append("shared themes: \(shared.sorted().joined(separator: ","))") }
            if let found = evidence(entry.id) {
                let rarest = node(id: found.rarest).name, links = degree(found.rarest)
                reasons.append(found.count == 1 ? "1 common neighbour, the rarest \(rarest) (\(links) links)"
                                                : "\(found.count) common neighbours, the rarest \(rarest) (\(links) links)")
            }
            if degree(entry.id) <= 3 { reasons.append("few connections (\(degree(entry.id)))") }
            return Suggestion(node: entry.id, score: entry.score, reason: Message.joined(reasons, separator: "; "), path: [])
        }
        results.sort { ($0.score, node(id: $1.node).key) > ($1.score, node(id: $0.node).key) }
        var shown = Array(results.prefix(limit))
        for index in shown.indices {
            // A common neighbour is a shortest path already (the pair is not linked): no search.
            let found = evidence(shown[index].node)
            let path = found.map { GraphPath(nodes: [source, $0.rarest, shown[index].node], relations: []) }
                ?? shortestPath(from: source, to: shown[index].node, filter: WalkFilter(avoid: gone), maxHops: 6)
            if let path {
                shown[index].path = path.nodes
                if path.nodes.count > 2 {
                    let through = path.nodes.dropFirst().dropLast().map { node(id: $0).name }.joined(separator: " > ")
                    let reach: Message = "reach through \(through)"
                    shown[index].reason = shown[index].reason.isEmpty ? reach : Message.joined([shown[index].reason, reach], separator: "; ")
                }
            }
        }
        return shown
    }
}

/// The evidence for one candidate of ``Graph/suggestions(for:theme:axis:limit:)``: the
/// Adamic–Adar weight of the common neighbours, how many there are, and the rarest one.
struct Evidence {
    var weight: Double
    var count: Int32
    var rarest: NodeID
    var rarestWeight: Double
}

/// Per-request evidence in a flat buffer indexed by node id; an entry counts only when its
/// stamp is the current request's, so nothing is cleared between requests. Pooled and kept in
/// raw memory for the same reasons as ``SearchScratch``.
final class EvidenceScratch: @unchecked Sendable {
    private var stamps: UnsafeMutablePointer<UInt32>
    private var entries: UnsafeMutablePointer<Evidence>
    private var capacity = 0
    private var current: UInt32 = 0
    /// The nodes that got evidence in this request, in the order they got it.
    private(set) var touched: [NodeID] = []

    private static let pool = ScratchPool<EvidenceScratch>()

    private init() {
        stamps = .allocate(capacity: 0)
        entries = .allocate(capacity: 0)
    }

    deinit {
        stamps.deallocate()
        entries.deallocate()
    }

    static func take(capacity: Int) -> EvidenceScratch {
        let scratch = pool.take() ?? EvidenceScratch()
        if scratch.capacity < capacity {
            let grown = max(capacity, scratch.capacity * 2)
            scratch.stamps.deallocate()
            scratch.entries.deallocate()
            scratch.stamps = .allocate(capacity: grown)
            scratch.stamps.initialize(repeating: 0, count: grown)
            scratch.entries = .allocate(capacity: grown)
            scratch.entries.initialize(repeating: Evidence(weight: 0, count: 0, rarest: -1, rarestWeight: 0), count: grown)
            scratch.capacity = grown
            scratch.current = 0
        }
        return scratch
    }

    static func give(_ scratch: EvidenceScratch) {
        pool.give(scratch)
    }

    func begin() {
        touched.removeAll(keepingCapacity: true)
        current &+= 1
        if current == 0 {
            stamps.update(repeating: 0, count: capacity)
            current = 1
        }
    }

    @inline(__always) func has(_ id: NodeID) -> Bool { stamps[Int(id)] == current }

    @inline(__always) func evidence(_ id: NodeID) -> Evidence? { has(id) ? entries[Int(id)] : nil }

    /// One more common neighbour `via` of weight `weight`; the rarest is the heaviest.
    @inline(__always) func add(_ id: NodeID, weight: Double, via: NodeID) {
        let i = Int(id)
        if stamps[i] != current {
            stamps[i] = current
            entries[i] = Evidence(weight: weight, count: 1, rarest: via, rarestWeight: weight)
            touched.append(id)
        } else {
            entries[i].weight += weight
            entries[i].count += 1
            // Ties keep the first found: only a strictly rarer neighbour replaces it.
            if entries[i].rarestWeight < weight {
                entries[i].rarest = via
                entries[i].rarestWeight = weight
            }
        }
    }
}
