import Testing
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
}
