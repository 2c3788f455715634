import Foundation
import Testing
@testable import VerbinderWeb

/// Every page: complete, escaped, with its figures, marks and empty states.
@Suite("Dashboard pages")
struct PageTests {
    static let meeting = MeetingRow(id: 7, start: "2026-11-03 14:00", title: Hostile.title, axis: "vertical", tripartite: true,
                                    status: "held", participants: [Hostile.node, NodeRef(key: "PV23", name: "Overijssel", kind: "province")])

    static func month(_ month: String) -> Figure.Dimension { Figure.Dimension(name: "month", value: month) }

    static let figures: [Figure] = [
        Figure(name: "meetings_held", dimensions: [month("2026-09"), .init(name: "axis", value: "horizontal")], value: 2, isCount: true),
        Figure(name: "meetings_held", dimensions: [month("2026-11"), .init(name: "axis", value: "horizontal")], value: 1, isCount: true),
        Figure(name: "meetings_held", dimensions: [month("2026-11"), .init(name: "axis", value: "vertical")], value: 3, isCount: true),
        Figure(name: "tripartite_share", dimensions: [month("2026-09")], value: 0, isCount: false),
        Figure(name: "tripartite_share", dimensions: [month("2026-11")], value: 2.0 / 3.0, isCount: false),
        Figure(name: "milestones_done_on_time", dimensions: [month("2026-11")], value: 4, isCount: true),
        Figure(name: "milestones_done_late", dimensions: [month("2026-11")], value: 1, isCount: true),
        Figure(name: "milestones_open_overdue", value: 5, isCount: true),
        Figure(name: "municipalities_covered_by_kansenagenda", value: 14, isCount: true),
        Figure(name: "municipalities_covered_by_kansenagenda_share", value: 0.0409, isCount: false),
        Figure(name: "municipalities_covered_by_kansenagenda_share", dimensions: [.init(name: "province", value: "PV23")], value: 0.56, isCount: false),
        Figure(name: "municipalities_covered_by_kansenagenda_share", dimensions: [.init(name: "province", value: "PV99")], value: 0, isCount: false),
        Figure(name: "signals", dimensions: [.init(name: "kind", value: "problem"), .init(name: "theme", value: Hostile.title)], value: 2, isCount: true),
        Figure(name: "signals_answer_median_days", dimensions: [.init(name: "party", value: "bzk")], value: 3.5, isCount: false),
        Figure(name: "goals", dimensions: [.init(name: "state", value: "met")], value: 1, isCount: true),
        Figure(name: "some_new_metric", value: 9, isCount: true),
    ]

    static let dashboard = DashboardView(from: "2025-12-01", to: "2026-11-30\"><script>alert(1)</script>", figures: figures,
                                         names: ["PV23": "Overijssel", "PV99": Hostile.name, "bzk": "Ministerie van BZK"])

    static let node = NodeView(
        key: "GM-evil", name: Hostile.name, kind: "municipality", provinceName: Hostile.title, tier: "local",
        themes: ["zorg", Hostile.title], aliases: [Hostile.name],
        horizontalRelations: [.init(kind: "member_of", direction: .outgoing, other: NodeRef(key: "g40", name: "G40", kind: "network"), note: Hostile.title)],
        verticalRelations: [.init(kind: "works_with", direction: .mutual, other: Hostile.node)],
        trajectories: [.init(key: "ka twente", name: Hostile.title, role: "lead", status: "active")],
        meetings: [meeting],
        signals: [.init(id: 3, kind: "problem", theme: "zorg", text: Hostile.name, status: "raised")],
        egoSVG: "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>\(Hostile.title) ü</text></svg>",
        suggestions: [.init(node: Hostile.node, score: 2.25, reasons: ["gedeelde buren: \(Hostile.title)", "weinig verbonden"])])

    static let trajectory = TrajectoryView(
        key: "ka-twente", name: Hostile.name, kind: "kansenagenda", status: "active", themes: [Hostile.title], lead: Hostile.node,
        stakeholders: [.init(node: Hostile.node, role: "funder")],
        goals: [.init(id: 1, text: Hostile.title, indicator: "banen", target: "100", by: "2026-01-01", state: "open", latest: "50", overdue: true),
                .init(id: 2, text: "op koers", state: "met")],
        milestones: [.init(id: 11, due: "2026-01-01", title: Hostile.title, status: "open", owner: Hostile.node, overdue: true),
                     .init(id: 12, due: "2027-01-01", title: "later", status: "open")],
        meetings: [meeting], calendarPath: "/calendar/trajectory/ka-twente.ics")

    static let regions = RegionsView(
        provinces: [CoverageRow(key: "PV23", name: "Overijssel", covered: 2, total: 3), CoverageRow(key: "PV99", name: Hostile.name, covered: 0, total: 0)],
        regions: [CoverageRow(key: "Súdwest-Fryslân", name: Hostile.title, covered: 1, total: 4)],
        uncovered: [Hostile.node, NodeRef(key: "Súdwest-Fryslân", name: "Súdwest-Fryslân", kind: "municipality")],
        unaffiliated: [Hostile.node])

    static let search = SearchView(query: Hostile.title, results: [Hostile.node])

    /// Every page with the hostile values in it.
    static let pages: [String] = [
        DashboardPage.render(dashboard), RegionsPage.render(regions), NodePage.render(node), TrajectoryPage.render(trajectory),
        SearchPage.render(search), SearchPage.render(SearchView(query: Hostile.name, results: [])),
        ErrorPage.render(status: 404, message: Hostile.name),
    ]

    @Test(arguments: pages)
    func everyPageEscapesItsDataAndIsComplete(_ html: String) throws {
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("'b'"), "quotes of values are escaped")
        #expect(html.contains(Hostile.nameEscaped) || html.contains(Hostile.titleEscaped))
        #expect(html.hasPrefix("<!doctype html>\n<html lang=\"nl\">"))
        #expect(html.contains("<main id=\"content\">") && html.contains("id=\"search\""))
        #expect(Inspect.tagsBalance(html), "elements nest and close")
        for svg in Inspect.svgs(in: html) { #expect(Inspect.isWellFormedXML(svg)) }
        // Nothing is fetched from elsewhere: no absolute sources or links, no stylesheets, fonts or imports.
        for fetch in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "<link", "@import", "url("] {
            #expect(!html.contains(fetch), "\(fetch)")
        }
    }

    @Test func theDashboardShowsItsFiguresInChartsAndTables() throws {
        let html = DashboardPage.render(Self.dashboard)
        #expect(html.contains("<form method=\"get\" action=\"/\""))
        #expect(html.contains("<input type=\"date\" name=\"from\" value=\"2025-12-01\">"))
        #expect(html.contains("name=\"to\" value=\"2026-11-30&quot;&gt;&lt;script&gt;"))
        #expect(html.contains("<button>Toon</button>"))

        let meetings = try #require(Inspect.section(html, "meetings"))
        #expect(meetings.contains("<td>sep 2026</td><td class=\"num\">2</td><td class=\"num\">0</td>"))
        #expect(meetings.contains("<td>okt 2026</td><td class=\"num\">0</td><td class=\"num\">0</td>"), "a quiet month is zero")
        #expect(meetings.contains("<td>nov 2026</td><td class=\"num\">1</td><td class=\"num\">3</td>"))
        #expect(meetings.contains("<title>verticaal, nov 2026: 3</title>"))
        #expect(meetings.contains("fill=\"#1f77b4\"") && meetings.contains("fill=\"#d62728\""))

        let tripartite = try #require(Inspect.section(html, "tripartite"))
        #expect(tripartite.contains("<td>nov 2026</td><td class=\"num\">66.7 %</td>"))
        #expect(tripartite.contains("<td>sep 2026</td><td class=\"num\">0.0 %</td>"))

        let milestones = try #require(Inspect.section(html, "milestones"))
        #expect(milestones.contains("<td>nov 2026</td><td class=\"num\">4</td><td class=\"num\">1</td><td class=\"num\">5</td>"))

        let coverage = try #require(Inspect.section(html, "kansenagenda"))
        #expect(coverage.contains("<td>Overijssel</td><td class=\"num\">56.0 %</td>"))
        #expect(coverage.contains("<td>\(Hostile.nameEscaped)</td><td class=\"num\">0.0 %</td>"))

        let rest = try #require(Inspect.section(html, "figures"))
        #expect(rest.contains("<td>Open mijlpalen over hun streefdatum (vandaag)</td><td></td><td class=\"num\">5</td>"))
        #expect(rest.contains("<td class=\"num\">4.1 %</td>"))
        #expect(rest.contains("soort: probleem, thema: \(Hostile.titleEscaped)"))
        #expect(rest.contains("partij: Ministerie van BZK</td><td class=\"num\">3.5</td>"))
        #expect(rest.contains("<td>some_new_metric</td>"), "an unknown metric keeps its name")
        #expect(!rest.contains("tripartite_share") && !rest.contains("Gehouden overleggen"), "charted figures are not repeated")
    }

    @Test func aDashboardWithoutFiguresSaysSo() {
        let html = DashboardPage.render(DashboardView(from: "2026-01-01", to: "2026-01-31", figures: []))
        #expect(html.contains("Geen vergaderingen in deze periode."))
        #expect(html.contains("Geen afgeronde mijlpalen in deze periode."))
        #expect(html.contains("Geen cijfers over kansenagenda&#39;s per provincie."))
        #expect(html.contains("Geen overige cijfers."))
        #expect(!html.contains("<svg"))
        #expect(Inspect.tagsBalance(html))
    }

    @Test func regionsShowSharesLinksAndWhoFallsOutside() throws {
        let html = RegionsPage.render(Self.regions)
        #expect(html.contains("<h1>Regio&#39;s</h1>"))
        #expect(html.contains("class=\"sortable\""))
        let provinces = try #require(Inspect.section(html, "provinces"))
        #expect(provinces.contains("<a href=\"/node/PV23\">Overijssel</a></td><td class=\"num\" data-value=\"2\">2</td>"
            + "<td class=\"num\" data-value=\"3\">3</td><td class=\"num\" data-value=\"0.6666666666666666\">66.7 %</td>"))
        #expect(provinces.contains("<td class=\"num\" data-value=\"0\">0.0 %</td>"), "an area without municipalities is 0, not NaN")
        #expect(provinces.contains("<td>Overijssel</td><td class=\"num\">66.7 %</td>"), "the chart's table")
        let regions = try #require(Inspect.section(html, "regions"))
        #expect(regions.contains("href=\"/node/S%C3%BAdwest-Frysl%C3%A2n\""))
        #expect(regions.contains("25.0 %"))
        let uncovered = try #require(Inspect.section(html, "uncovered"))
        #expect(uncovered.contains("(2)</h2>"))
        #expect(uncovered.contains("<a href=\"/node/S%C3%BAdwest-Frysl%C3%A2n\">Súdwest-Fryslân</a>"))
        #expect(try #require(Inspect.section(html, "unaffiliated")).contains("<a href=\"/node/GM-evil\">\(Hostile.nameEscaped)</a>"))
        let script = try #require(Inspect.between(html, "<script>", "</script>"))
        #expect(script.split(separator: "\n").count <= 40)

        let empty = RegionsPage.render(RegionsView(provinces: [], regions: [], uncovered: [], unaffiliated: []))
        #expect(empty.contains("Alle gemeenten vallen onder een actieve kansenagenda."))
        #expect(empty.contains("Elke gemeente zit in minstens één netwerk."))
        #expect(Inspect.tagsBalance(empty))
    }

    @Test func aNodeShowsItsRelationsPerAxisAndItsEgoNetworkAsAnImage() throws {
        let html = NodePage.render(Self.node)
        #expect(html.contains("<h1>\(Hostile.nameEscaped)</h1>"))
        let horizontal = try #require(Inspect.section(html, "relations-horizontal"))
        #expect(horizontal.contains("<td>lid van</td><td>uitgaand</td><td><a href=\"/node/g40\">G40</a> <span class=\"kind\">netwerk</span></td>"))
        #expect(horizontal.contains("<td>\(Hostile.titleEscaped)</td>"))
        let vertical = try #require(Inspect.section(html, "relations-vertical"))
        #expect(vertical.contains("<td>werkt samen met</td><td>wederzijds</td>"))
        #expect(try #require(Inspect.section(html, "trajectories")).contains("<a href=\"/trajectory/ka%20twente\">\(Hostile.titleEscaped)</a></td><td>trekker</td><td>actief</td>"))
        #expect(try #require(Inspect.section(html, "meetings")).contains("<td>2026-11-03 14:00</td><td>\(Hostile.titleEscaped)</td><td>verticaal</td><td>ja</td><td>gehouden</td>"))
        #expect(try #require(Inspect.section(html, "signals")).contains("<td>probleem</td><td>zorg</td><td>\(Hostile.nameEscaped)</td><td>ingebracht</td>"))
        let suggestions = try #require(Inspect.section(html, "suggestions"))
        #expect(suggestions.contains("score 2.25"))
        #expect(suggestions.contains("<li>gedeelde buren: \(Hostile.titleEscaped)</li><li>weinig verbonden</li>"))

        // The ego picture is a base64 data URL that decodes to GraphViz's SVG exactly.
        let figure = try #require(Inspect.between(html, "<figure id=\"ego\">", "</figure>"))
        let encoded = try #require(Inspect.between(figure, "src=\"data:image/svg+xml;base64,", "\""))
        let decoded = try #require(Data(base64Encoded: encoded))
        #expect(String(decoding: decoded, as: UTF8.self) == Self.node.egoSVG)
        #expect(figure.contains("<img alt=\"Ego-netwerk van \(Hostile.nameEscaped)"))
    }

    @Test func withoutAPictureTheNeighboursAreListed() throws {
        var view = Self.node
        view.egoSVG = nil
        view.egoNeighbours = [NodeRef(key: "PV23", name: "Overijssel", kind: "province")]
        let html = NodePage.render(view)
        #expect(!html.contains("<figure id=\"ego\">"))
        #expect(html.contains("<ul id=\"neighbours\" class=\"columns\">\n<li><a href=\"/node/PV23\">Overijssel</a> <span class=\"kind\">provincie</span></li>"))

        let bare = NodePage.render(NodeView(key: "x", name: "X", kind: "vng", tier: "national"))
        for sentence in ["Geen horizontale relaties.", "Geen verticale relaties.", "Geen buren bekend.", "Geen trajecten.",
                         "Geen overleggen.", "Geen signalen.", "Geen suggesties."] {
            #expect(bare.contains(sentence), "missing \(sentence)")
        }
        #expect(Inspect.tagsBalance(bare))
    }

    @Test func aTrajectoryMarksWhatIsLate() throws {
        let html = TrajectoryPage.render(Self.trajectory)
        #expect(html.contains("<a id=\"calendar\" href=\"/calendar/trajectory/ka-twente.ics\">Abonneer op de agenda</a>"))
        #expect(html.contains("webcal://"))
        #expect(html.contains("<dd>kansenagenda</dd>") && html.contains("<dd>actief</dd>"))
        let milestones = try #require(Inspect.section(html, "milestones"))
        #expect(milestones.contains("<tr class=\"overdue\"><td class=\"num\">11</td><td>2026-01-01</td><td>\(Hostile.titleEscaped)</td>"
            + "<td>open <strong class=\"late\">te laat</strong></td>"))
        #expect(milestones.contains("<tr><td class=\"num\">12</td>"), "a milestone on time is not marked")
        #expect(milestones.components(separatedBy: "te laat").count == 2)
        let goals = try #require(Inspect.section(html, "goals"))
        #expect(goals.contains("<tr class=\"overdue\"><td class=\"num\">1</td>"))
        #expect(goals.contains("<td>gehaald</td>"))
        let meetings = try #require(Inspect.section(html, "meetings"))
        #expect(meetings.contains("verticaal <span class=\"mark\">driepartijen</span>"))
        #expect(meetings.contains("<a href=\"/node/GM-evil\">\(Hostile.nameEscaped)</a>, <a href=\"/node/PV23\">Overijssel</a>"))
        #expect(try #require(Inspect.section(html, "stakeholders")).contains("<td>financier</td>"))

        let bare = TrajectoryPage.render(TrajectoryView(key: "t", name: "T", kind: "codesign", status: "paused", calendarPath: "/c.ics"))
        for sentence in ["Geen betrokken partijen.", "Geen doelen.", "Geen mijlpalen.", "Geen overleggen."] {
            #expect(bare.contains(sentence), "missing \(sentence)")
        }
        #expect(!bare.contains("class=\"overdue\""))
    }

    @Test func searchEchoesTheQueryAndSaysWhenNothingMatches() {
        let found = SearchPage.render(Self.search)
        #expect(found.contains("value=\"\(Hostile.titleEscaped)\""))
        #expect(found.contains("<h1>Zoeken naar &quot;\(Hostile.titleEscaped)&quot;</h1>"))
        #expect(found.contains("<ul id=\"results\">\n<li><a href=\"/node/GM-evil\">\(Hostile.nameEscaped)</a> <span class=\"kind\">gemeente</span></li>"))

        let none = SearchPage.render(SearchView(query: " twente ", results: []))
        #expect(none.contains("Geen resultaten voor \"twente\"."))
        let empty = SearchPage.render(SearchView(query: "  ", results: []))
        #expect(empty.contains("<h1>Zoeken</h1>") && empty.contains("Zoek een partij op naam"))
        #expect(!empty.contains("Geen resultaten"))
    }
}
