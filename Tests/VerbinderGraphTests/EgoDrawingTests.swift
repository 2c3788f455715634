import Testing
import VerbinderText
@testable import VerbinderGraph

/// The ego network drawn for people (issue 17, point 6), and the graph answers behind
/// `NODES`, `PATH`'s reason and `MEETING PLAN`'s candidates (point 5).
@Suite struct EgoDrawingTests {
    /// The ego `GM0001` in PV01 with a neighbour in its province; a network with the ego, one
    /// more member at home and three members in PV02; a ministry funding the ego.
    static func graph() -> Graph {
        var nodes = [
            Node(key: "PV01", kind: .province, name: "Noord"), Node(key: "PV02", kind: .province, name: "Zuid"),
            Node(key: "net", kind: .network, name: "Netwerk"), Node(key: "min", kind: .ministry, name: "Ministerie"),
            Node(key: "alone", kind: .ministry, name: "Zonder relaties"),
        ]
        for n in 1...2 { nodes.append(Node(key: "GM000\(n)", kind: .municipality, name: "Thuis \(n)", province: "PV01")) }
        for n in 3...5 { nodes.append(Node(key: "GM000\(n)", kind: .municipality, name: "Ver \(n)", province: "PV02")) }
        var relations = (1...5).map { Relation(from: "GM000\($0)", kind: .memberOf, to: "net") }
        relations += [Relation(from: "GM0001", kind: .partOf, to: "PV01"), Relation(from: "min", kind: .funds, to: "GM0001")]
        return Graph(nodes: nodes, relations: relations)
    }

    static func draw(_ options: EgoDrawingOptions) -> [String] {
        let graph = graph()
        return graph.egoDotLines(center: graph.id(forKey: "GM0001")!, options: options)
    }

    @Test func theEgoIsMarkedAndOnlyItsRelationsAreLabelled() {
        let lines = Self.draw(EgoDrawingOptions(depth: 2))
        #expect(lines.first == "digraph verbinder {" && lines.last == "}")
        let marked = lines.filter { $0.contains("peripheries=2") }
        #expect(marked.count == 1 && marked[0].contains("\"GM0001\""))
        #expect(lines.contains { $0.contains("\"GM0001\" -> \"net\" [label=\"member_of\"") })
        #expect(lines.contains { $0.contains("\"GM0002\" -> \"net\" [tooltip=\"member_of\"") })
        #expect(lines.contains { $0.contains("fontname=\"Helvetica,Arial,sans-serif\"") })
        #expect(!lines.contains { $0.contains("Times") })
    }

    @Test func nodesAreGroupedByProvince() {
        let lines = Self.draw(EgoDrawingOptions(depth: 2, expand: true))
        let start = lines.firstIndex { $0.contains("subgraph \"cluster_PV01\"") }!
        let end = lines[start...].firstIndex { $0 == "  }" }!
        let inside = lines[start..<end].joined(separator: "\n")
        #expect(inside.contains("label=\"Noord\"") && inside.contains("\"GM0001\"") && inside.contains("\"GM0002\"") && inside.contains("\"PV01\" ["))
        #expect(!inside.contains("\"GM0003\""))
        #expect(lines.contains { $0.contains("subgraph \"cluster_PV02\"") })
        // A node of no province sits outside every box.
        #expect(lines.contains { $0.hasPrefix("  \"min\" [") })
    }

    @Test func membersOutsideTheEgosProvinceAreOneNodeUnlessExpanded() {
        let folded = Self.draw(EgoDrawingOptions(depth: 2))
        #expect(folded.contains { $0.contains("[label=\"+3 members elsewhere\"") })
        #expect(folded.contains { $0.contains("\"+net\" -> \"net\"") })
        #expect(!folded.contains { $0.contains("\"GM0003\"") || $0.contains("\"GM0005\"") })
        #expect(folded.contains { $0.contains("\"GM0002\" [") }, "a member in the ego's province stays")

        let expanded = Self.draw(EgoDrawingOptions(depth: 2, expand: true))
        #expect(!expanded.contains { $0.contains("elsewhere") })
        #expect(["GM0003", "GM0004", "GM0005"].allSatisfy { key in expanded.contains { $0.contains("\"\(key)\" -> \"net\"") } })
    }

    @Test func dutchLabelsAndALegend() {
        let dutch = Self.draw(EgoDrawingOptions(depth: 2, language: .nl))
        #expect(dutch.contains { $0.contains("\"GM0001\" -> \"net\" [label=\"lid van\"") })
        #expect(dutch.contains { $0.contains("\"min\" -> \"GM0001\" [label=\"financiert\"") })
        #expect(dutch.contains { $0.contains("+3 leden elders") })
        let legend = try! #require(dutch.first { $0.contains("\" legend\"") })
        for text in ["Legenda", "verticaal: tussen lagen", "horizontaal: binnen een laag", "#d9ecff", "#fff0c2", "#ffd6d6"] {
            #expect(legend.contains(text), "\(text)")
        }
        let english = Self.draw(EgoDrawingOptions(depth: 2, language: .en))
        #expect(english.contains { $0.contains("Legend") && $0.contains("vertical: across layers") })
        // Every relation kind has a Dutch label of its own.
        let labels = RelationKind.allCases.map { $0.label(in: .nl) }
        #expect(Set(labels).count == labels.count && !labels.contains { $0.contains("_") })
    }

    @Test func htmlLabelsAreEscaped() {
        #expect(Graph.htmlEscaped("a<b>&\"c\u{1B}") == "a&lt;b&gt;&amp;&quot;c ")
    }

    @Test func nodesOfAKindProvinceAndType() {
        let graph = Self.graph()
        #expect(graph.nodes(kind: .ministry).map(\.key) == ["alone", "min"])
        #expect(graph.nodes(kind: .municipality, province: "PV02").map(\.key) == ["GM0003", "GM0004", "GM0005"])
        #expect(graph.nodes(province: "PV01").map(\.key) == ["GM0001", "GM0002"])
        #expect(graph.nodes(regionType: .corop).isEmpty)
        #expect(graph.nodes().count == 10)
    }

    @Test func aNodeWithoutRelationsIsKnownAsSuch() {
        let graph = Self.graph()
        #expect(!graph.hasRelation(graph.id(forKey: "alone")!, filter: WalkFilter()))
        let ego = graph.id(forKey: "GM0001")!
        #expect(graph.hasRelation(ego, filter: WalkFilter()))
        #expect(graph.hasRelation(ego, filter: WalkFilter(axis: .vertical)))
        #expect(!graph.hasRelation(graph.id(forKey: "GM0003")!, filter: WalkFilter(axis: .vertical)))
    }

    @Test func theTrajectorysOwnStakeholderComesBeforeABetterFittingStranger() {
        let nodes = [
            Node(key: "PV01", kind: .province, name: "Noord"), Node(key: "GM0001", kind: .municipality, name: "A", province: "PV01"),
            Node(key: "GM0002", kind: .municipality, name: "B", province: "PV01"),
            Node(key: "fit", kind: .ministry, name: "Past", themes: ["wonen", "ruimte"]),
            Node(key: "own", kind: .ministry, name: "Eigen", themes: ["bestuur"]),
        ]
        let graph = Graph(nodes: nodes, relations: [])
        let participants = [graph.id(forKey: "GM0001")!, graph.id(forKey: "GM0002")!]
        let stranger = TrajectoryContext(lead: "GM0001", region: nil, themes: ["wonen", "ruimte"], stakeholders: ["GM0001"])
        #expect(graph.missingParties(for: stranger, participants: participants, today: "2026-12-04")
                    .first { $0.party == .national }.map { graph.node(id: $0.candidate).key } == "fit")
        let own = TrajectoryContext(lead: "GM0001", region: nil, themes: ["wonen", "ruimte"], stakeholders: ["GM0001", "own"])
        let national = graph.missingParties(for: own, participants: participants, today: "2026-12-04").first { $0.party == .national }
        #expect(national.map { graph.node(id: $0.candidate).key } == "own")
        #expect(national?.reason.text(.en) == "national level; stakeholder of the trajectory")
    }
}
