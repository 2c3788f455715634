import Testing
import VerbinderText
@testable import VerbinderGraph

/// `MATCH`: answers from sources like the asking one come first, each with its evidence.
@Suite("Signal matching")
struct SignalMatchTests {
    /// A small municipality in a region, a peer in the same region, a small one far away, a
    /// city far away, and a municipality that is not in the graph.
    let graph: Graph = {
        let nodes = [
            Node(key: "GM0001", kind: .municipality, name: "Klein", tier: .local),
            Node(key: "GM0002", kind: .municipality, name: "Buur", tier: .local),
            Node(key: "GM0003", kind: .municipality, name: "Ver", tier: .local),
            Node(key: "GM0004", kind: .municipality, name: "Stad", tier: .regional),
            Node(key: "regio", kind: .region, name: "Regio Oost"),
            Node(key: "vng", kind: .vng, name: "VNG"),
        ]
        let relations = [
            Relation(from: "GM0001", kind: .memberOf, to: "regio"),
            Relation(from: "GM0002", kind: .memberOf, to: "regio"),
            Relation(from: "GM0001", kind: .memberOf, to: "vng"),
            Relation(from: "GM0003", kind: .memberOf, to: "vng"),
            Relation(from: "GM0004", kind: .memberOf, to: "vng"),
        ]
        return Graph(nodes: nodes, relations: relations)
    }()

    @Test func peersInTheSameRegionComeFirstWithTheirEvidence() throws {
        let source = try #require(graph.id(forKey: "GM0001"))
        let matches = graph.matches(for: source, answers: ["GM0004", "GM0003", "GM9999", "GM0002"], limit: 10)
        #expect(matches.map(\.index) == [3, 1, 0])
        #expect(matches[0].reason.english == "same tier (local); shared region Regio Oost; 2 steps away")
        #expect(matches[0].score == 1 + 1 + 1 + 2.0 / 3)
        #expect(matches[1].reason.english == "same tier (local); 2 steps away")
        #expect(matches[2].reason.english == "2 steps away")
        #expect(matches.allSatisfy { $0.score >= 1 })
    }

    @Test func equalScoresKeepTheirOrderAndTheLimitHolds() throws {
        let source = try #require(graph.id(forKey: "GM0004"))
        let matches = graph.matches(for: source, answers: ["GM0003", "GM0001", "GM0002"], limit: 2)
        // GM0003 and GM0001 are both two steps away and of another tier: the first asked stays first.
        #expect(matches.map(\.index) == [0, 1])
    }

    /// The ranking as first written: each source's steps from its own shortest-path search.
    static func reference(_ graph: Graph, source: NodeID, answers: [String], limit: Int) -> [SignalMatch] {
        let sourceNode = graph.node(id: source)
        let sourceRegions = Set(graph.edges(source).filter { graph.node(id: $0.neighbor).kind == .region }.map(\.neighbor))
        var scored: [SignalMatch] = []
        for (index, key) in answers.enumerated() {
            guard let other = graph.id(forKey: key) else { continue }
            let otherNode = graph.node(id: other)
            var score = 1.0
            var reasons: [Message] = []
            if otherNode.tier == sourceNode.tier { score += 1; reasons.append("same tier (\(otherNode.tier.rawValue))") }
            let shared = sourceRegions.intersection(graph.edges(other).map(\.neighbor))
            if !shared.isEmpty {
                score += Double(shared.count)
                reasons.append("shared region \(shared.map { graph.node(id: $0).name }.sorted().joined(separator: ", "))")
            }
            if let path = graph.shortestPath(from: source, to: other, maxHops: 6) {
                score += 2.0 / Double(1 + path.hops)
                reasons.append(path.hops == 1 ? "1 step away" : "\(path.hops) steps away")
            }
            scored.append(SignalMatch(index: index, score: score, reason: Message.joined(reasons, separator: "; ")))
        }
        return Array(scored.sorted { ($0.score, $1.index) > ($1.score, $0.index) }.prefix(limit))
    }

    @Test func oneSearchRanksAsASearchPerSourceOnRandomGraphs() {
        var random = SplitMix(seed: 1729)
        for round in 0..<60 {
            let count = Int.random(in: 2...60, using: &random)
            let nodes = (0..<count).map { index in
                let kind: NodeKind = index % 5 == 4 ? .region : [.municipality, .province, .ministry, .network].randomElement(using: &random)!
                return Node(key: "N\(index)", kind: kind, name: "Knoop \(index % 7)", tier: Tier.allCases.randomElement(using: &random)!)
            }
            let relations = (0..<Int.random(in: 0...(count * 2), using: &random)).map { _ in
                Relation(from: "N\(Int.random(in: 0..<count, using: &random))", kind: RelationKind.allCases.randomElement(using: &random)!,
                         to: "N\(Int.random(in: 0..<count, using: &random))")
            }.filter { $0.from != $0.to }
            let graph = Graph(nodes: nodes, relations: relations)
            let source = graph.id(forKey: "N0")!
            let answers = (0..<Int.random(in: 0...80, using: &random)).map { _ in
                Int.random(in: 0..<10, using: &random) == 0 ? "GM9999" : "n\(Int.random(in: 0..<count, using: &random))"
            }
            let limit = Int.random(in: 1...30, using: &random)
            let got = graph.matches(for: source, answers: answers, limit: limit)
            let expected = Self.reference(graph, source: source, answers: answers, limit: limit)
            #expect(got.map(\.index) == expected.map(\.index), "round \(round)")
            #expect(got.map(\.score) == expected.map(\.score), "round \(round)")
            #expect(got.map(\.reason.english) == expected.map(\.reason.english), "round \(round)")
        }
    }
}
