import Foundation
import Testing
@testable import VerbinderWeb

/// Inline SVG charts: well-formed, accessible, and with the same numbers in their table.
@Suite("SVG charts")
struct ChartTests {
    let series = [SVGChart.Series(name: "horizontaal", colour: SVGChart.horizontalColour, values: [2, 0, 1]),
                  SVGChart.Series(name: Hostile.title, colour: SVGChart.verticalColour, values: [0, 0, 3])]
    let categories = ["sep 2026", "okt 2026", Hostile.name]

    @Test(arguments: [SVGChart.Layout.grouped, .stacked])
    func barChartsAreWellFormedAndCarryEveryValue(_ layout: SVGChart.Layout) throws {
        let html = SVGChart.bars(title: Hostile.title, categories: categories, series: series, layout: layout,
                                 categoryAxis: "Maand", valueAxis: "Aantal")
        let svg = try #require(Inspect.svgs(in: html).first)
        #expect(Inspect.isWellFormedXML(svg))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("aria-label=\"\(Hostile.titleEscaped)\""))
        #expect(svg.contains("<title>\(Hostile.titleEscaped)</title>"))
        #expect(svg.contains(">Maand</text>") && svg.contains(">Aantal</text>"), "axis titles")
        // One bar per category and series, each with its exact value as a tooltip.
        #expect(svg.components(separatedBy: "<rect").count - 1 == 6 + series.count, "six bars and a legend swatch per series")
        #expect(svg.contains("<title>\(Hostile.titleEscaped), \(Hostile.nameEscaped): 3</title>"))
        #expect(svg.contains("<title>horizontaal, sep 2026: 2</title>"))
        #expect(!html.contains("<script>alert"))
        // The table holds the same numbers.
        let table = try #require(Inspect.between(html, "<table class=\"data\">", "</table>"))
        #expect(table.contains("<td>sep 2026</td><td class=\"num\">2</td><td class=\"num\">0</td>"))
        #expect(table.contains("<td>\(Hostile.nameEscaped)</td><td class=\"num\">1</td><td class=\"num\">3</td>"))
        #expect(table.contains("Totaal") == (layout == .stacked))
        #expect(Inspect.tagsBalance(html))
    }

    @Test func percentagesRunFromZeroToAHundred() throws {
        let html = SVGChart.line(title: "Aandeel", categories: ["nov 2026", "dec 2026"],
                                 series: [SVGChart.Series(name: "Driepartijen", colour: SVGChart.shareColour, values: [2.0 / 3.0, 1])],
                                 categoryAxis: "Maand", valueAxis: "Aandeel")
        let svg = try #require(Inspect.svgs(in: html).first)
        #expect(Inspect.isWellFormedXML(svg))
        #expect(svg.contains(">100 %</text>") && svg.contains(">0 %</text>"))
        #expect(svg.contains("<polyline"))
        #expect(svg.contains("<title>Driepartijen, nov 2026: 66.7 %</title></circle>"))
        #expect(html.contains("<td>nov 2026</td><td class=\"num\">66.7 %</td>"))
        #expect(html.contains("<td>dec 2026</td><td class=\"num\">100.0 %</td>"))
    }

    @Test func countAxesEndOnARoundNumber() {
        #expect(SVGChart.Frame.countTicks(upTo: 0) == [0, 1])
        #expect(SVGChart.Frame.countTicks(upTo: 3) == [0, 1, 2, 3])
        #expect(SVGChart.Frame.countTicks(upTo: 7) == [0, 2, 4, 6, 8])
        #expect(SVGChart.Frame.countTicks(upTo: 341) == [0, 100, 200, 300, 400])
        #expect(SVGChart.Frame.countTicks(upTo: .infinity).count == 2, "never loops forever")
    }

    @Test func anEmptyChartIsStillWellFormed() throws {
        let html = SVGChart.bars(title: "Leeg", categories: [], series: [], categoryAxis: "x", valueAxis: "y")
        #expect(Inspect.isWellFormedXML(try #require(Inspect.svgs(in: html).first)))
    }
}
