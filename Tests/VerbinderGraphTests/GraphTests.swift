import Testing
@testable import VerbinderGraph

@Suite("Text folding and keys")
struct TextTests {
    @Test func foldStripsDiacriticsAndCase() {
        #expect(Search.fold("Súdwest-Fryslân") == "sudwest-fryslan")
        #expect(Search.fold("'s-Hertogenbosch") == "'s-hertogenbosch")
        #expect(Search.fold("Veenkoloniën") == "veenkolonien")
        #expect(Search.fold("Bergen (NH.)") == "bergen (nh.)")
    }

    @Test func slugs() {
        #expect(Keys.slug("Súdwest-Fryslân") == "sudwest-fryslan")
        #expect(Keys.slug("Raad voor het Openbaar Bestuur (ROB)") == "raad-voor-het-openbaar-bestuur-rob")
        #expect(Keys.isValid("GM0014") && Keys.isValid("vng-drenthe"))
        #expect(!Keys.isValid("") && !Keys.isValid("-x") && !Keys.isValid("a b"))
    }

    /// Folding a key byte by byte is lowercased() on any text: short and long, ASCII or not.
    @Test func keyFoldingIsLowercasing() {
        let pieces = ["GM", "0014", "a", "Z", "@", "[", "`", "{", "-", "_", "VNG-Drenthe", "É", "ß", "İ", "Σ", String(repeating: "AbC", count: 9)]
        var random = SplitMix(seed: 14)
        for _ in 0..<3_000 {
            let key = (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            #expect(Keys.fold(key) == key.lowercased(), "\(key)")
        }
    }
}

@Suite("Graph")
struct GraphTests {
    func sample() -> Graph {
        Graph(nodes: [
            Node(key: "GM0014", kind: .municipality, name: "Groningen", province: "PV20"),
            Node(key: "PV20", kind: .province, name: "Groningen"),
            Node(key: "GM1900", kind: .municipality, name: "Súdwest-Fryslân", province: "PV21"),
            Node(key: "bzk", kind: .ministry, name: "Ministerie van BZK"),
            Node(key: "vng", kind: .vng, name: "VNG"),
        ], relations: [
            Relation(from: "GM0014", kind: .partOf, to: "PV20"),
            Relation(from: "vng", kind: .worksWith, to: "bzk"),
        ])
    }

    @Test func resolvesKeysCaseInsensitively() {
        #expect(sample().resolve("gm0014") == .found(sample().node(key: "GM0014")!))
    }

    @Test func resolvesNamesWithoutDiacritics() {
        guard case .found(let node) = sample().resolve("sudwest-fryslan") else { Issue.record("not found"); return }
        #expect(node.key == "GM1900")
    }

    @Test func sharedNameIsAmbiguous() {
        guard case .ambiguous(let nodes) = sample().resolve("groningen") else { Issue.record("not ambiguous"); return }
        #expect(nodes.map(\.key) == ["GM0014", "PV20"])
    }

    @Test func axisFollowsLayers() {
        let graph = sample()
        #expect(graph.axis(of: Relation(from: "GM0014", kind: .partOf, to: "PV20")) == .vertical)
        #expect(Axis.of(.decentral, .decentral) == .horizontal)
    }

    @Test func symmetricRelationsHaveOneIdentity() {
        var graph = sample()
        graph.link(Relation(from: "bzk", kind: .worksWith, to: "VNG"))
        #expect(graph.relationCount == 2)
        #expect(graph.relations(of: "vng").count == 1)
        #expect(RelationIdentity(from: "a", kind: .partOf, to: "b") != RelationIdentity(from: "b", kind: .partOf, to: "a"))
    }

    @Test func removingANodeRemovesItsRelations() {
        var graph = sample()
        graph.remove(key: "pv20")
        #expect(graph.relationCount == 1)
        #expect(graph.relations(of: "GM0014").isEmpty)
        #expect(graph.resolve("Groningen") == .found(graph.node(key: "GM0014")!))
    }

    @Test func versionsMoveForExactlyTheNodesAChangeTouches() {
        var graph = Graph(nodes: [Node(key: "a", kind: .municipality, name: "A"), Node(key: "b", kind: .municipality, name: "B"),
                                  Node(key: "c", kind: .province, name: "C"), Node(key: "d", kind: .partner, name: "D")],
                          relations: [Relation(from: "a", kind: .partOf, to: "c")])
        func v(_ key: String) -> UInt64 { graph.version(of: graph.id(forKey: key)!) }
        var before = ["a", "b", "c", "d"].map(v)
        func moved() -> [Bool] {
            let now = ["a", "b", "c", "d"].map(v)
            defer { before = now }
            return zip(before, now).map { $0 != $1 }
        }
        graph.link(Relation(from: "a", kind: .worksWith, to: "b"))
        #expect(moved() == [true, true, false, false])
        graph.link(Relation(from: "a", kind: .worksWith, to: "b", note: "new note"))  // same pair, new extra
        #expect(moved() == [true, true, false, false])
        // A rename shows in the neighbours' link records: they move too, the others do not.
        graph.upsert(Node(key: "a", kind: .municipality, name: "A renamed"))
        #expect(moved() == [true, true, true, false])
        graph.unlink(Relation(from: "a", kind: .worksWith, to: "b"))
        #expect(moved() == [true, true, false, false])
        let (a, b, d) = (v("a"), v("b"), v("d"))
        graph.remove(key: "c")  // a was its neighbour
        #expect(graph.id(forKey: "c") == nil)
        #expect(v("a") != a && v("b") == b && v("d") == d)
        // A node added in a freed slot starts from a version no earlier answer was stamped with.
        let reused = graph.upsert(Node(key: "e", kind: .partner, name: "E"))
        #expect(!["a", "b", "d"].map(v).contains(graph.version(of: reused)))
    }
}
