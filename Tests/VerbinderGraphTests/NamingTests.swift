import Testing
@testable import VerbinderGraph

/// The names people use (aliases, themes) and a national government with its history.
@Suite struct NamingTests {
    static let vocabulary = ThemeVocabulary([
        Theme(key: "zorg", label: "Zorg en gezondheid", synonyms: ["healthcare", "gezondheid"]),
        Theme(key: "landbouw", label: "Landbouw", synonyms: ["agriculture", "stikstof"]),
        Theme(key: "regionaal-beleid", label: "Regionaal beleid", synonyms: ["regio-deals", "elke-regio-telt"]),
        Theme(key: "wonen", label: "Wonen", synonyms: ["housing"]),
    ])

    @Test func wordsResolveToTheirKey() {
        let v = NamingTests.vocabulary
        #expect(v.resolve("zorg") == .found("zorg"))
        #expect(v.resolve("Healthcare") == .found("zorg"))
        #expect(v.resolve("GEZONDHEID") == .found("zorg"))
        #expect(v.resolve("Regio Deals") == .found("regionaal-beleid"))
        #expect(v.resolve("Elke regio telt!") == .found("regionaal-beleid"))
    }

    @Test func anUnknownWordNamesTheNearestTheme() {
        let v = NamingTests.vocabulary
        #expect(v.resolve("zorgg") == .unknown(nearest: "zorg"))
        #expect(v.resolve("agricultur") == .unknown(nearest: "landbouw"))
        #expect(v.resolve("wone") == .unknown(nearest: "wonen"))
        #expect(v.resolve("spaceflight") == .unknown(nearest: nil))
        #expect(v.resolve("") == .unknown(nearest: nil))
    }

    @Test func addingAThemeMakesItsWordsResolve() {
        var v = NamingTests.vocabulary
        v.upsert(Theme(key: "vrije-tijd", label: "Vrije tijd", synonyms: ["recreatie"]))
        #expect(v.resolve("recreatie") == .found("vrije-tijd"))
        #expect(v.owner(of: "Recreatie") == "vrije-tijd")
        #expect(v.owner(of: "zorg") == "zorg")
        #expect(v.owner(of: "nothing") == nil)
        // Replacing a theme drops the synonyms it no longer has.
        v.upsert(Theme(key: "vrije-tijd", label: "Vrije tijd", synonyms: ["toerisme"]))
        #expect(v.resolve("toerisme") == .found("vrije-tijd"))
        #expect(v.owner(of: "recreatie") == nil)
    }

    @Test func editDistanceGivesUpPastItsLimit() {
        let d = { (a: String, b: String) in ThemeVocabulary.editDistance(Array(a.utf8), Array(b.utf8), limit: 2) }
        #expect(d("zorg", "zorg") == 0)
        #expect(d("zorgg", "zorg") == 1)
        #expect(d("zrog", "zorg") == 2)
        #expect(d("abcdef", "zorg") == 3)
        #expect(d("", "ab") == 2)
    }

    static func government() -> Graph {
        Graph(nodes: [
            Node(key: "GM1731", kind: .municipality, name: "Midden-Drenthe", province: "PV22"),
            Node(key: "GM0518", kind: .municipality, name: "'s-Gravenhage", aliases: ["Den Haag"]),
            Node(key: "GM0373", kind: .municipality, name: "Bergen (NH.)", aliases: ["Bergen"]),
            Node(key: "GM0893", kind: .municipality, name: "Bergen (L.)", aliases: ["Bergen"]),
            Node(key: "PV22", kind: .province, name: "Drenthe"),
            Node(key: "CR07", kind: .region, name: "COROP Noord-Drenthe", province: "PV22"),
            Node(key: "p10", kind: .network, name: "P10"),
            Node(key: "lnv", kind: .ministry, name: "Ministerie van LNV", themes: ["landbouw"], validTo: "2024-07-02"),
            Node(key: "lvvn", kind: .ministry, name: "Ministerie van LVVN", themes: ["landbouw"], validFrom: "2024-07-02"),
            Node(key: "vws", kind: .ministry, name: "Ministerie van VWS", themes: ["zorg"]),
            Node(key: "future", kind: .ministry, name: "Ministerie van Later", themes: ["zorg"], validFrom: "2030-01-01"),
        ], relations: [
            Relation(from: "GM1731", kind: .memberOf, to: "CR07"),
            Relation(from: "GM1731", kind: .memberOf, to: "p10"),
            Relation(from: "GM1731", kind: .partOf, to: "PV22"),
            Relation(from: "CR07", kind: .partOf, to: "PV22"),
            Relation(from: "lnv", kind: .succeededBy, to: "lvvn"),
            Relation(from: "p10", kind: .worksWith, to: "lnv", until: "2024-07-01"),
        ])
    }

    @Test func aliasesResolveLikeNames() {
        var graph = NamingTests.government()
        #expect(graph.resolve("den haag") == .found(graph.node(key: "GM0518")!))
        #expect(graph.resolve("Den Haag") == .found(graph.node(key: "GM0518")!))
        guard case .ambiguous(let nodes) = graph.resolve("bergen") else { Issue.record("not ambiguous"); return }
        #expect(nodes.map(\.key) == ["GM0373", "GM0893"])
        // An alias taken off no longer resolves; a rename keeps the aliases.
        var node = graph.node(key: "GM0518")!
        node.aliases = []
        graph.upsert(node)
        #expect(graph.resolve("den haag") == .notFound)
    }

    @Test func anEndedNodeIsNoCurrentParty() {
        let graph = NamingTests.government()
        let today = "2026-11-29"
        #expect(graph.node(key: "lnv")!.isEnded(on: today))
        #expect(!graph.node(key: "lnv")!.isEnded(on: "2024-07-01"))
        #expect(graph.node(key: "lvvn")!.isCurrent(on: today))
        #expect(!graph.node(key: "future")!.isCurrent(on: today))
        #expect(graph.notCurrent(on: today) == Set(["lnv", "future"].map { graph.id(forKey: $0)! }))
        let suggestions = graph.suggestions(for: graph.id(forKey: "GM1731")!, theme: "landbouw", axis: .vertical, today: today)
        #expect(suggestions.first.map { graph.node(id: $0.node).key } == "lvvn")
        #expect(!suggestions.contains { ["lnv", "future"].contains(graph.node(id: $0.node).key) })
        // lnv is no gap of today; lvvn, whose only tie is to lnv, is isolated.
        #expect(graph.isolatedNodes(today: today).map { graph.node(id: $0).key }.sorted() == ["GM0373", "GM0518", "GM0893", "lvvn", "vws"])
        #expect(!graph.verticalGaps(today: today).contains(graph.id(forKey: "lnv")!))
    }

    @Test func missingPartiesProposeCurrentCandidatesFromTheTrajectory() {
        let graph = NamingTests.government()
        let trajectory = TrajectoryContext(lead: "GM1731", region: "CR07", themes: ["landbouw"], stakeholders: ["GM1731"])
        let ids = { (keys: [String]) in keys.map { graph.id(forKey: $0)! } }
        // Municipality and province: only the national government is missing, and LNV has ended.
        let national = graph.missingParties(for: trajectory, participants: ids(["GM1731", "PV22"]), today: "2026-11-29")
        #expect(national.map(\.party) == [.national])
        #expect(national.map { graph.node(id: $0.candidate).key } == ["lvvn"])
        #expect(national.first?.reason.english == "themes landbouw")
        // Before 2 July 2024 it was LNV (lvvn did not exist yet).
        let before = graph.missingParties(for: trajectory, participants: ids(["GM1731", "PV22"]), today: "2024-01-01")
        #expect(before.map { graph.node(id: $0.candidate).key } == ["lnv"])
        // A ministry alone: the province of the trajectory's region, its region, its lead.
        let side = graph.missingParties(for: trajectory, participants: ids(["vws"]), today: "2026-11-29")
        #expect(side.map(\.party) == [.province, .region, .municipality])
        #expect(side.map { graph.node(id: $0.candidate).key } == ["PV22", "CR07", "GM1731"])
        #expect(side.last?.reason.english == "the trajectory's lead; stakeholder of the trajectory")
        // A tri-party meeting lacks nothing.
        #expect(graph.missingParties(for: trajectory, participants: ids(["GM1731", "PV22", "vws"]), today: "2026-11-29").isEmpty)
    }
}
