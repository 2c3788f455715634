import Testing
@testable import VerbinderGraph

/// The advice's two axes and its tri-party meetings, decided by one rule each.
@Suite struct LayerTests {
    @Test func everyKindAndTierHasTheLayerOfTheAdvice() {
        for tier in Tier.allCases {
            #expect(Layer.of(kind: .municipality, tier: tier) == .decentral)
            #expect(Layer.of(kind: .region, tier: tier) == .decentral)
            #expect(Layer.of(kind: .network, tier: tier) == .decentral)
            // The VNG and its provincial departments are the municipalities' own side.
            #expect(Layer.of(kind: .vng, tier: tier) == .decentral)
            #expect(Layer.of(kind: .province, tier: tier) == .provincial)
            #expect(Layer.of(kind: .ministry, tier: tier) == .national)
        }
        for kind in [NodeKind.knowledge, .partner] {
            #expect(Layer.of(kind: kind, tier: .local) == .decentral)
            #expect(Layer.of(kind: kind, tier: .regional) == .decentral)
            #expect(Layer.of(kind: kind, tier: .provincial) == .provincial)
            #expect(Layer.of(kind: kind, tier: .national) == .national)
        }
    }

    @Test(arguments: Layer.allCases, Layer.allCases)
    func axisOfEveryPairOfLayers(_ a: Layer, _ b: Layer) {
        #expect(Axis.of(a, b) == (a == b ? .horizontal : .vertical))
        #expect(Axis.of(a, b) == Axis.of(b, a))
    }

    /// One node of each layer, to relate in a graph.
    static let representative: [Layer: Node] = [
        .decentral: Node(key: "GM0153", kind: .municipality, name: "Enschede"),
        .provincial: Node(key: "PV23", kind: .province, name: "Overijssel"),
        .national: Node(key: "vws", kind: .ministry, name: "VWS"),
    ]

    @Test(arguments: Layer.allCases, Layer.allCases)
    func aRelationTakesTheAxisOfItsEndsLayers(_ a: Layer, _ b: Layer) {
        let from = LayerTests.representative[a]!
        var to = LayerTests.representative[b]!
        if a == b { to = Node(key: to.key + "-2", kind: to.kind, name: to.name + " 2") }
        let graph = Graph(nodes: [from, to], relations: [Relation(from: from.key, kind: .worksWith, to: to.key)])
        #expect(graph.axis(of: Relation(from: from.key, kind: .worksWith, to: to.key)) == Axis.of(a, b))
    }

    @Test func aMunicipalityAndItsRegionNetworkAndVNGDepartmentAreHorizontal() {
        let graph = Graph(nodes: [Node(key: "GM0796", kind: .municipality, name: "'s-Hertogenbosch"),
                                  Node(key: "CR35", kind: .region, name: "COROP"), Node(key: "g40", kind: .network, name: "G40"),
                                  Node(key: "vng-noord-brabant", kind: .vng, name: "VNG afdeling", tier: .provincial),
                                  Node(key: "PV30", kind: .province, name: "Noord-Brabant")],
                          relations: [])
        for other in ["CR35", "g40", "vng-noord-brabant"] {
            #expect(graph.axis(of: Relation(from: "GM0796", kind: .memberOf, to: other)) == .horizontal)
        }
        #expect(graph.axis(of: Relation(from: "GM0796", kind: .partOf, to: "PV30")) == .vertical)
    }

    // MARK: - Tri-party

    typealias Participant = (kind: NodeKind, layer: Layer)
    static let municipality: Participant = (.municipality, .decentral)
    static let region: Participant = (.region, .decentral)
    static let network: Participant = (.network, .decentral)
    static let province: Participant = (.province, .provincial)
    static let ministry: Participant = (.ministry, .national)
    static let vng: Participant = (.vng, .decentral)
    static let vngDepartment: Participant = (.vng, .decentral)
    static let nationalBody: Participant = (.partner, .national)
    static let ipo: Participant = (.partner, .provincial)
    static let university: Participant = (.knowledge, .decentral)

    @Test func theAdvicesExamples() {
        let (m, r, p, n) = (LayerTests.municipality, LayerTests.region, LayerTests.province, LayerTests.ministry)
        #expect(MeetingClass(participants: [m, p, n]) == MeetingClass(axis: .vertical, tripartite: true))
        #expect(MeetingClass(participants: [m, r, n]) == MeetingClass(axis: .vertical, tripartite: true))
        #expect(MeetingClass(participants: [r, p, n]) == MeetingClass(axis: .vertical, tripartite: true))
        // Municipality, region and province: vertical, but the national government is absent.
        #expect(MeetingClass(participants: [m, r, p]) == MeetingClass(axis: .vertical, tripartite: false))
        // Two municipalities and their VNG department: one side, one layer.
        #expect(MeetingClass(participants: [m, m, LayerTests.vngDepartment]) == MeetingClass(axis: .horizontal, tripartite: false))
        // The VNG convenes; it is no party.
        #expect(MeetingClass(participants: [m, p, LayerTests.vng]) == MeetingClass(axis: .vertical, tripartite: false))
        #expect(MeetingClass(participants: [m, LayerTests.vng, n]) == MeetingClass(axis: .vertical, tripartite: false))
        // A network stands for the regional side; another national body for the national government.
        #expect(MeetingClass(participants: [LayerTests.network, p, n]).tripartite)
        #expect(MeetingClass(participants: [m, p, LayerTests.nationalBody]).tripartite)
        // IPO, the provinces' association, sits for the provinces; a university is no party.
        #expect(MeetingClass(participants: [m, LayerTests.ipo, n]).tripartite)
        #expect(!MeetingClass(participants: [m, LayerTests.university, n]).tripartite)
    }

    /// Every set of participant types: the rule written out independently.
    @Test func everyCombinationOfParties() {
        let types: [Participant] = [LayerTests.municipality, LayerTests.region, LayerTests.network, LayerTests.province,
                                    LayerTests.ministry, LayerTests.vng, LayerTests.nationalBody, LayerTests.ipo, LayerTests.university]
        for mask in 1..<(1 << types.count) {
            let participants = types.indices.filter { mask & (1 << $0) != 0 }.map { types[$0] }
            let parties = participants.filter { $0.kind != .vng }
            let national = parties.contains { $0.layer == .national }
            let side = [parties.contains { $0.kind == .municipality },
                        parties.contains { $0.kind == .region || $0.kind == .network },
                        parties.contains { $0.kind == .province || ($0.kind == .partner && $0.layer == .provincial) }].filter { $0 }.count
            let expected = MeetingClass(axis: Set(participants.map(\.layer)).count > 1 ? .vertical : .horizontal,
                                        tripartite: national && side >= 2)
            #expect(MeetingClass(participants: participants) == expected, "participants \(participants)")
            #expect(MeetingClass.missingParties(participants).isEmpty == expected.tripartite)
        }
    }

    @Test func missingPartiesNameTheNationalGovernmentFirst() {
        let (m, r, p, n) = (LayerTests.municipality, LayerTests.region, LayerTests.province, LayerTests.ministry)
        #expect(MeetingClass.missingParties([m, r, p]) == [.national])
        #expect(MeetingClass.missingParties([m, p, LayerTests.vng]) == [.national])
        #expect(MeetingClass.missingParties([m, m]) == [.national, .province, .region])
        #expect(MeetingClass.missingParties([m, n]) == [.province, .region])
        #expect(MeetingClass.missingParties([LayerTests.vng, n]) == [.province, .region, .municipality])
        #expect(MeetingClass.missingParties([m, p, n]) == [])
    }
}

extension MeetingClass {
    init(axis: Axis, tripartite: Bool) {
        self.init(participants: [])
        self.axis = axis
        self.tripartite = tripartite
    }
}
