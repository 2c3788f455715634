import Testing
@testable import VerbinderGraph

/// Which municipalities a kansenagenda covers, and how the uncovered ones are grouped.
@Suite struct CoverageTests {
    /// Five municipalities in two provinces; a COROP area of three, a safety region of all five,
    /// a functional region of two; `GM0005` ended.
    static func graph() -> Graph {
        var nodes = [
            Node(key: "PV01", kind: .province, name: "Noord"), Node(key: "PV02", kind: .province, name: "Zuid"),
            Node(key: "CR01", kind: .region, name: "COROP Noord", regionType: .corop),
            Node(key: "CR02", kind: .region, name: "COROP Zuid", regionType: .corop),
            Node(key: "VR01", kind: .region, name: "Veiligheidsregio", regionType: .veiligheidsregio),
            Node(key: "samen", kind: .region, name: "Samen", regionType: .functional),
            Node(key: "net", kind: .network, name: "Netwerk"),
        ]
        for (n, province) in [(1, "PV01"), (2, "PV01"), (3, "PV01"), (4, "PV02")] {
            nodes.append(Node(key: "GM000\(n)", kind: .municipality, name: "M\(n)", province: province))
        }
        nodes.append(Node(key: "GM0005", kind: .municipality, name: "M5", province: "PV02", validTo: "2020-01-01"))
        var relations: [Relation] = []
        for n in 1...3 { relations.append(Relation(from: "GM000\(n)", kind: .memberOf, to: "CR01")) }
        for n in 4...5 { relations.append(Relation(from: "GM000\(n)", kind: .memberOf, to: "CR02")) }
        for n in 1...5 { relations.append(Relation(from: "GM000\(n)", kind: .memberOf, to: "VR01")) }
        relations += [Relation(from: "GM0002", kind: .memberOf, to: "samen"), Relation(from: "GM0003", kind: .memberOf, to: "samen"),
                      Relation(from: "GM0004", kind: .memberOf, to: "net")]
        return Graph(nodes: nodes, relations: relations)
    }

    static func keys(_ graph: Graph, _ ids: some Sequence<NodeID>) -> [String] { ids.map { graph.node(id: $0).key }.sorted() }

    @Test func aRegionsMembersAndItsLeadsAndPartnersAreCovered() {
        let graph = Self.graph()
        let agendas = [Kansenagenda(trajectory: "ka-samen", region: "samen", leadsAndPartners: ["samen", "GM0004", "PV01"])]
        // The region's members and the municipality named as partner; a province or the region
        // itself named as stakeholder is no municipality.
        #expect(Self.keys(graph, graph.coveredMunicipalities(by: agendas, today: "2026-12-04")) == ["GM0002", "GM0003", "GM0004"])
    }

    @Test func aSafetyRegionCoversNobodyAndAnEndedMunicipalityIsNotCounted() {
        let graph = Self.graph()
        // Not its members, and not its lead either.
        let safety = [Kansenagenda(trajectory: "ka-vr", region: "VR01", leadsAndPartners: ["GM0001"])]
        #expect(graph.coveredMunicipalities(by: safety, today: "2026-12-04").isEmpty)
        let zuid = [Kansenagenda(trajectory: "ka-zuid", region: "CR02", leadsAndPartners: ["GM0005"])]
        #expect(Self.keys(graph, graph.coveredMunicipalities(by: zuid, today: "2026-12-04")) == ["GM0004"])
    }

    @Test func uncoveredMunicipalitiesAreGroupedByTheUnitAsked() {
        let graph = Self.graph()
        let covered = graph.coveredMunicipalities(by: [Kansenagenda(trajectory: "k", region: "samen", leadsAndPartners: [])], today: "2026-12-04")

        let corop = graph.coverage(by: .corop, covered: covered, today: "2026-12-04")
        #expect(corop.map { $0.unit.map { graph.node(id: $0).key } } == ["CR01", "CR02"])
        #expect(Self.keys(graph, corop[0].members) == ["GM0001", "GM0002", "GM0003"])
        #expect(Self.keys(graph, corop[0].uncovered) == ["GM0001"])
        #expect(Self.keys(graph, corop[1].uncovered) == ["GM0004"], "the ended GM0005 is no member")

        let provinces = graph.coverage(by: .province, covered: covered, today: "2026-12-04")
        #expect(provinces.map { $0.members.count } == [3, 1])

        // Municipalities in no functional region come last, in an entry without a unit.
        let functional = graph.coverage(by: .functional, covered: covered, today: "2026-12-04")
        #expect(functional.count == 2)
        #expect(functional[0].unit.map { graph.node(id: $0).key } == "samen" && functional[0].uncovered.isEmpty)
        #expect(functional[1].unit == nil && Self.keys(graph, functional[1].uncovered) == ["GM0001", "GM0004"])
    }

    @Test func onlyRegionsHaveARegionType() {
        #expect(Node(key: "x", kind: .region, name: "X").regionType == .other)
        #expect(Node(key: "y", kind: .network, name: "Y", regionType: .functional).regionType == nil)
        #expect(RegionType.allCases.filter { !$0.countsForKansenagenda } == [.veiligheidsregio])
    }
}
