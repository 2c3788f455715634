import Testing
@testable import VerbinderGraph

@Suite("Graph algorithms")
struct AlgorithmTests {
    /// A ring of municipalities with a province hub, so there are several routes of known length.
    func ring(_ count: Int = 8) -> Graph {
        var nodes = (0..<count).map { Node(key: "m\($0)", kind: .municipality, name: "M\($0)") }
        nodes.append(Node(key: "p", kind: .province, name: "P"))
        var relations = (0..<count).map { Relation(from: "m\($0)", kind: .worksWith, to: "m\(($0 + 1) % count)") }
        relations.append(Relation(from: "m0", kind: .partOf, to: "p"))
        relations.append(Relation(from: "m4", kind: .partOf, to: "p"))
        return Graph(nodes: nodes, relations: relations)
    }

    func id(_ graph: Graph, _ key: String) -> NodeID { graph.id(forKey: key)! }

    func isValid(_ path: GraphPath, in graph: Graph) -> Bool {
        zip(zip(path.nodes, path.nodes.dropFirst()), path.relations).allSatisfy { pair, relation in
            let ends = graph.ends(of: relation)
            return (ends.from == pair.0 && ends.to == pair.1) || (ends.from == pair.1 && ends.to == pair.0)
        }
    }

    @Test func shortestPathUsesTheHub() throws {
        let graph = ring()
        let path = try #require(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m4")))
        #expect(path.hops == 2)
        #expect(path.nodes[1] == id(graph, "p"))
        #expect(isValid(path, in: graph))
    }

    /// Two routes of three relations from a municipality to a ministry: through the province
    /// and IPO (two layer crossings), or through its VNG department and the VNG (one). The path
    /// is the one that crosses fewer layers, whichever order the relations were added in.
    @Test(arguments: [false, true])
    func amongShortestPathsTheOneCrossingFewestLayers(_ reversed: Bool) throws {
        let nodes = [Node(key: "GM1731", kind: .municipality, name: "Midden-Drenthe"), Node(key: "PV22", kind: .province, name: "Drenthe"),
                     Node(key: "ipo", kind: .partner, name: "IPO", tier: .provincial), Node(key: "vng-drenthe", kind: .vng, name: "VDG", tier: .provincial),
                     Node(key: "vng", kind: .vng, name: "VNG"), Node(key: "vws", kind: .ministry, name: "VWS")]
        var relations = [Relation(from: "GM1731", kind: .partOf, to: "PV22"), Relation(from: "ipo", kind: .represents, to: "PV22"),
                         Relation(from: "ipo", kind: .worksWith, to: "vws"), Relation(from: "GM1731", kind: .memberOf, to: "vng-drenthe"),
                         Relation(from: "vng-drenthe", kind: .partOf, to: "vng"), Relation(from: "vng", kind: .worksWith, to: "vws")]
        if reversed { relations.reverse() }
        let graph = Graph(nodes: reversed ? nodes.reversed() : nodes, relations: relations)
        for (from, to) in [("GM1731", "vws"), ("vws", "GM1731")] {
            let path = try #require(graph.shortestPath(from: graph.id(forKey: from)!, to: graph.id(forKey: to)!))
            let keys = path.nodes.map { graph.node(id: $0).key }
            #expect(path.hops == 3)
            #expect(keys.contains("vng") && !keys.contains("ipo"), "\(keys)")
        }
    }

    @Test func horizontalAxisAvoidsVerticalRelations() throws {
        let graph = ring()
        let path = try #require(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m4"), filter: WalkFilter(axis: .horizontal)))
        #expect(path.hops == 4)
        #expect(path.relations.allSatisfy { graph.axis(ofRelation: $0) == .horizontal })
    }

    @Test func avoidAndViaAreHonoured() throws {
        let graph = ring()
        let avoid = try #require(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m4"), filter: WalkFilter(avoid: [id(graph, "p")])))
        #expect(!avoid.nodes.contains(id(graph, "p")) && avoid.hops == 4)
        let via = try #require(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m4"), filter: WalkFilter(via: [.province])))
        #expect(via.hops == 2)
        #expect(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m3"), filter: WalkFilter(via: [.province])) == nil)
    }

    @Test func maxHopsBoundsTheSearch() {
        let graph = ring()
        #expect(graph.shortestPath(from: id(graph, "m0"), to: id(graph, "m4"), filter: WalkFilter(avoid: [id(graph, "p")]), maxHops: 3) == nil)
    }

    @Test func kShortestPathsAreDistinctLoopFreeAndSorted() throws {
        let graph = ring()
        let paths = graph.shortestPaths(from: id(graph, "m0"), to: id(graph, "m4"), k: 3)
        #expect(paths.count == 3)
        #expect(Set(paths.map(\.nodes)).count == 3)
        for path in paths {
            #expect(Set(path.nodes).count == path.nodes.count)
            #expect(isValid(path, in: graph))
        }
        #expect(paths.map(\.hops) == paths.map(\.hops).sorted())
        #expect(paths.map(\.hops) == [2, 4, 4])
    }

    @Test func bidirectionalSearchMatchesPlainBFS() {
        // A pseudo-random sparse graph: compare hop counts with a simple BFS from one side.
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        let count = 300
        let nodes = (0..<count).map { Node(key: "n\($0)", kind: .municipality, name: "N\($0)") }
        var relations: [Relation] = []
        for i in 0..<count { for _ in 0..<2 { let j = next() % count; if j != i { relations.append(Relation(from: "n\(i)", kind: .worksWith, to: "n\(j)")) } } }
        let graph = Graph(nodes: nodes, relations: relations)
        for _ in 0..<200 {
            let a = NodeID(next() % count), b = NodeID(next() % count)
            var distance: [NodeID: Int] = [a: 0]
            var queue = [a]
            var head = 0
            while head < queue.count {
                let u = queue[head]; head += 1
                for edge in graph.edges(u) where distance[edge.neighbor] == nil {
                    distance[edge.neighbor] = distance[u]! + 1
                    queue.append(edge.neighbor)
                }
            }
            let path = graph.shortestPath(from: a, to: b, maxHops: 50)
            #expect(path?.hops == distance[b])
            if let path { #expect(isValid(path, in: graph)) }
        }
    }

    @Test func bidirectionalSearchMatchesPlainBFSWithHubsAndFilters() {
        // Hubs (provinces with many members) and filters: the search stops at its first meeting
        // point and picks the side by edges to walk, so check both against a plain BFS under the
        // same rules (horizontal only, some nodes avoided).
        var state: UInt64 = 987654321
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        let count = 400, hubs = 4
        var nodes = (0..<count).map { Node(key: "n\($0)", kind: .municipality, name: "N\($0)") }
        nodes += (0..<hubs).map { Node(key: "h\($0)", kind: .province, name: "H\($0)") }
        var relations: [Relation] = []
        for i in 0..<count {
            let j = next() % count
            if j != i { relations.append(Relation(from: "n\(i)", kind: .worksWith, to: "n\(j)")) }
            if next() % 3 == 0 { relations.append(Relation(from: "n\(i)", kind: .partOf, to: "h\(next() % hubs)")) }
        }
        let graph = Graph(nodes: nodes, relations: relations)
        for round in 0..<300 {
            let a = NodeID(next() % count), b = NodeID(next() % count)
            var filter = WalkFilter()
            if round % 2 == 1 { filter.axis = .horizontal }
            if round % 3 == 2 { filter.avoid = Set((0..<20).map { _ in NodeID(next() % count) }).subtracting([a, b]) }
            var distance: [NodeID: Int] = [a: 0]
            var queue = [a]
            var head = 0
            while head < queue.count {
                let u = queue[head]; head += 1
                if u != a, filter.avoid.contains(u) { continue }
                for edge in graph.edges(u) where distance[edge.neighbor] == nil && !filter.avoid.contains(edge.neighbor) {
                    if let axis = filter.axis, graph.axis(ofRelation: edge.relation) != axis { continue }
                    distance[edge.neighbor] = distance[u]! + 1
                    queue.append(edge.neighbor)
                }
            }
            let path = graph.shortestPath(from: a, to: b, filter: filter, maxHops: 50)
            #expect(path?.hops == distance[b], "round \(round): \(a) to \(b)")
            if let path { #expect(isValid(path, in: graph)) }
            if let limited = distance[b], limited > 1 {
                #expect(graph.shortestPath(from: a, to: b, filter: filter, maxHops: limited - 1) == nil)
            }
        }
    }

    @Test func rareCommonNeighbourOutscoresHub() throws {
        // a and b share a rare neighbour r (degree 2); a and c share only the hub h (degree 30).
        var nodes = ["a", "b", "c", "r", "h"].map { Node(key: $0, kind: .municipality, name: $0.uppercased()) }
        nodes += (0..<27).map { Node(key: "x\($0)", kind: .municipality, name: "X\($0)") }
        var relations = [Relation(from: "a", kind: .worksWith, to: "r"), Relation(from: "b", kind: .worksWith, to: "r"),
                         Relation(from: "a", kind: .worksWith, to: "h"), Relation(from: "c", kind: .worksWith, to: "h")]
        relations += (0..<27).map { Relation(from: "x\($0)", kind: .worksWith, to: "h") }
        let graph = Graph(nodes: nodes, relations: relations)
        let suggestions = graph.suggestions(for: id(graph, "a"), limit: 50, today: "2026-11-29")
        let score = { (key: String) in suggestions.first { $0.node == self.id(graph, key) }?.score ?? 0 }
        #expect(score("b") > score("c"))
        #expect(suggestions.first?.node == id(graph, "b"))
        #expect(suggestions.first?.reason.english.contains("R") == true)
    }

    @Test func suggestionsNeverIncludeNeighboursOrSelf() {
        let graph = ring()
        let me = id(graph, "m0")
        for suggestion in graph.suggestions(for: me, limit: 100, today: "2026-11-29") {
            #expect(suggestion.node != me)
            #expect(!graph.areLinked(me, suggestion.node))
        }
    }

    @Test func themeSuggestionPutsTheResponsibleMinistryFirst() {
        var graph = ring()
        graph.upsert(Node(key: "vws", kind: .ministry, name: "VWS", themes: ["healthcare"]))
        graph.upsert(Node(key: "ocw", kind: .ministry, name: "OCW", themes: ["education"]))
        let suggestions = graph.suggestions(for: id(graph, "m0"), theme: "healthcare", axis: .vertical, today: "2026-11-29")
        #expect(suggestions.first?.node == id(graph, "vws"))
        #expect(!suggestions.contains { $0.node == id(graph, "ocw") })
    }

    @Test func gapsAndCentrality() {
        var graph = ring()
        graph.upsert(Node(key: "g40", kind: .network, name: "G40"))
        graph.upsert(Node(key: "lonely", kind: .partner, name: "Lonely"))
        graph.link(Relation(from: "m1", kind: .memberOf, to: "g40"))
        #expect(graph.unaffiliatedMunicipalities(today: "2026-11-29").count == 7)
        #expect(graph.isolatedNodes(today: "2026-11-29") == [id(graph, "lonely")])
        #expect(graph.verticalGaps(today: "2026-11-29").count == 8)
        let scores = graph.betweenness()
        // A path graph a-b-c: b lies on the one shortest path between a and c.
        let line = Graph(nodes: ["a", "b", "c"].map { Node(key: $0, kind: .municipality, name: $0) },
                         relations: [Relation(from: "a", kind: .worksWith, to: "b"), Relation(from: "b", kind: .worksWith, to: "c")])
        #expect(line.betweenness()[line.id(forKey: "b")!] == 1)
        #expect(scores[id(graph, "lonely")] == 0)
    }

    @Test func removeAndRelinkReuseSlots() {
        var graph = ring()
        let unlinked = graph.unlink(Relation(from: "m1", kind: .worksWith, to: "m0"))
        #expect(unlinked)
        #expect(graph.relationCount == 9)
        let removed = graph.remove(key: "p")
        #expect(removed == 2)
        #expect(graph.relationCount == 7)
        graph.upsert(Node(key: "q", kind: .province, name: "Q"))
        let linked = graph.link(Relation(from: "m0", kind: .partOf, to: "q", themes: ["x"], note: "n"))
        #expect(linked)
        #expect(graph.relations(of: "q").first?.note == "n")
        let dangling = graph.link(Relation(from: "m0", kind: .partOf, to: "nobody"))
        #expect(!dangling)
    }
}
