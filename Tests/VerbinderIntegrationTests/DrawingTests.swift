import Foundation
import Testing

/// The ego network as the README draws it: `verbinder export dot GM1731 depth=2` rendered by
/// GraphViz's own `sfdp` (issue 17, point 6).
@Suite("Drawing the ego network")
struct DrawingTests {
    func render(_ port: Int, _ request: String, language: String) throws -> (code: Int32, svg: String) {
        let command = "\(Paths.verbinder) --lang \(language) --port \(port) \(request) | sfdp -Goverlap=prism -Tsvg"
        let child = try ChildProcess(["/bin/sh", "-c", command])
        let code = try child.wait()
        return (code, child.output)
    }

    @Test func theReadmeCommandDrawsAMarkedGroupedPictureWithALegend() throws {
        let port = try SeededDaemon.get().port
        let dutch = try render(port, "export dot GM1731 depth=2", language: "nl")
        #expect(dutch.code == 0, "\(dutch.svg.prefix(400))")
        let svg = dutch.svg
        #expect(svg.contains("<svg"))
        // Province boxes (fdp keeps clusters; sfdp would drop them), the ego marked in red.
        #expect(svg.contains("<title>cluster_PV22</title>") && svg.contains(">Drenthe</text>"))
        #expect(svg.contains("#c0392b") && svg.contains(">Midden&#45;Drenthe</text>"))
        // The legend, in Dutch, and the P10's far-away members as one node.
        #expect(svg.contains(">Legenda</text>") && svg.contains("verticaal: tussen lagen"))
        #expect(svg.range(of: #">\+\d+ leden elders</text>"#, options: .regularExpression) != nil)
        #expect(svg.contains(">lid van</text>"))
        #expect(svg.contains("font-family=\"Helvetica,Arial,sans-serif\"") && !svg.contains("Times"))

        let english = try render(port, "export dot GM1731 depth=2 expand=yes", language: "en")
        #expect(english.code == 0)
        #expect(english.svg.contains(">Legend</text>") && english.svg.contains(">member_of</text>"))
        #expect(!english.svg.contains("elsewhere"), "expand=yes draws every member")
        // A P10 member far from Drenthe is drawn only when expanded (Dinkelland, Overijssel).
        #expect(english.svg.contains(">Dinkelland</text>") && !svg.contains(">Dinkelland</text>"))
    }

    @Test func expandGoesWithAnEgoNetworkOnly() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        #expect(try client.request("EXPORT dot expand=yes").status == "ERR USAGE expand= goes with EXPORT dot <node>")
        #expect(try client.request("EXPORT ics expand=yes").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("EXPORT dot GM1731 expand=yes").status.hasPrefix("OK lines="))
    }
}
