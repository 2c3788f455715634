import Foundation
import Testing
@testable import VerbinderWeb

/// The encoders every page relies on, and the shared frame.
@Suite("HTML escaping, path segments, numbers and the page frame")
struct HTMLTests {
    @Test func escapingTurnsMarkupIntoText() {
        #expect(HTML.escape(Hostile.name) == Hostile.nameEscaped)
        #expect(HTML.escape(Hostile.title) == Hostile.titleEscaped)
        #expect(HTML.escape("Súdwest-Fryslân") == "Súdwest-Fryslân")
        #expect(HTML.escape("") == "")
    }

    @Test func pathSegmentsKeepOnlyUnreservedCharacters() {
        #expect(HTML.pathSegment("Súdwest-Fryslân") == "S%C3%BAdwest-Frysl%C3%A2n")
        #expect(HTML.pathSegment("GM0153") == "GM0153")
        #expect(HTML.pathSegment("a-b.c_d~e") == "a-b.c_d~e")
        #expect(HTML.pathSegment("a/b?c#d e&f\"") == "a%2Fb%3Fc%23d%20e%26f%22")
        #expect(HTML.pathSegment("'s-Gravenhage") == "%27s-Gravenhage")
    }

    @Test(arguments: ["", "a", "ab", "abc", "abcd", "Súdwest-Fryslân <svg/>", String(repeating: "xyz€", count: 100)])
    func base64MatchesFoundation(_ text: String) {
        #expect(HTML.base64(text.utf8) == Data(text.utf8).base64EncodedString())
    }

    @Test func numbersAreWrittenAsTheFiguresSay() {
        #expect(Format.percent(2.0 / 3.0) == "66.7 %")
        #expect(Format.percent(1) == "100.0 %")
        #expect(Format.percent(0) == "0.0 %")
        #expect(Format.percent(0.0409) == "4.1 %")
        #expect(Format.number(14) == "14")
        #expect(Format.number(2.5) == "2.5")
        #expect(Format.number(1.0 / 3.0) == "0.33")
        #expect(Format.fixed(-0.04, digits: 1) == "0.0")
        #expect(Format.fixed(.nan, digits: 1) == "–")
    }

    @Test func monthsAreDutchAndRangesFillTheGaps() {
        #expect(Format.month("2026-11") == "nov 2026")
        #expect(Format.month("2026-03") == "mrt 2026")
        #expect(Format.month("garbage") == "garbage")
        #expect(Format.monthRange(["2027-02", "2026-11"]) == ["2026-11", "2026-12", "2027-01", "2027-02"])
        #expect(Format.monthRange([]) == [])
        #expect(Format.monthRange(["b", "a"]) == ["a", "b"])
    }

    @Test func theFrameIsACompleteDutchDocumentThatFetchesNothing() {
        let html = PageLayout.render(title: Hostile.title, body: "<p>inhoud</p>", searchQuery: Hostile.name)
        #expect(html.hasPrefix("<!doctype html>"))
        for part in ["<html lang=\"nl\">", "<meta charset=\"utf-8\">", "<meta name=\"viewport\"", "<style>",
                     "<a href=\"/\">Overzicht</a>", "<a href=\"/regions\">Regio's</a>",
                     "<form action=\"/search\" method=\"get\"", "id=\"search\" name=\"q\"", "<button>Zoeken</button>",
                     "<main id=\"content\">", "<h1>\(Hostile.titleEscaped)</h1>", "value=\"\(Hostile.nameEscaped)\""] {
            #expect(html.contains(part), "missing \(part)")
        }
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("http"), "nothing is fetched from elsewhere")
        #expect(Inspect.tagsBalance(html))
    }

    @Test func errorPagesSayWhatWentWrongInTheSameFrame() {
        let notFound = ErrorPage.render(status: 404, message: "Geen partij \(Hostile.name).")
        #expect(notFound.contains("<h1>Niet gevonden</h1>"))
        #expect(notFound.contains("Fout 404"))
        #expect(notFound.contains("Geen partij \(Hostile.nameEscaped)."))
        #expect(!notFound.contains("<script>alert"))
        #expect(ErrorPage.render(status: 403, message: "").contains("<h1>Geen toegang</h1>"))
        #expect(Inspect.tagsBalance(notFound))
    }
}
