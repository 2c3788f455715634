import Testing
import VerbinderGraph

/// RFC 5545 3.1 line folding: at most 75 octets a line, continuations start with one space,
/// never inside a UTF-8 character, each line as full as the next character allows, and
/// unfolding gives the line back.
@Suite("iCalendar folding")
struct ICalendarFoldTests {
    /// Checks every property of a fold of `line`.
    func expectFolded(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let folded = ICalendar.fold(line)
        #expect(folded.dropFirst().allSatisfy { $0.hasPrefix(" ") }, sourceLocation: sourceLocation)
        #expect(folded.allSatisfy { $0.utf8.count <= 75 }, "\(folded.map(\.utf8.count))", sourceLocation: sourceLocation)
        let unfolded = folded.enumerated().map { index, part in index == 0 ? part : String(part.dropFirst()) }.joined()
        #expect(unfolded == line, sourceLocation: sourceLocation)
        // Greedy: a line ends early only when the next character would not fit.
        for index in folded.indices.dropLast() {
            let next = folded[index + 1].dropFirst().first.map { String($0).utf8.count } ?? 0
            #expect(folded[index].utf8.count + next > 75, "line \(index) of \(folded.map(\.utf8.count))", sourceLocation: sourceLocation)
        }
    }

    @Test func asciiLinesAreCutEverySeventyFiveThenSeventyFourOctets() {
        let alphabet = Array("ATTENDEE;CN=\"Jan de Vries (Enschede)\";ROLE=REQ-PARTICIPANT:mailto:jan@enschede.nl ")
        for length in [1, 74, 75, 76, 148, 149, 150, 223, 224, 500] {
            let line = String((0..<length).map { alphabet[$0 % alphabet.count] })
            expectFolded(line)
            let folded = ICalendar.fold(line)
            #expect(folded.count == (length <= 75 ? 1 : 1 + (length - 75 + 73) / 74), "\(length)")
            #expect(folded[0].utf8.count == min(length, 75))
        }
    }

    @Test func otherLinesNeverSplitACharacter() {
        for line in [String(repeating: "Súdwest-Fryslân ", count: 12), String(repeating: "Ë", count: 80) + "x",
                     "DESCRIPTION:" + String(repeating: "overleg\twonen ", count: 10), String(repeating: "🏛️ Rijk ", count: 30),
                     String(repeating: "a", count: 74) + "é" + String(repeating: "b", count: 100)] {
            expectFolded(line)
        }
    }

    /// TEXT escaping as RFC 5545 3.3.11 states it, by code point: backslash, semicolon and comma
    /// escaped, a line end as \n, other control characters but tab left out.
    static func statedEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", ";", ",": out += "\\" + String(scalar)
            case "\n": out += "\\n"
            case "\t": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 && scalar.value != 0x7F { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    @Test func escapingIsTheStatedRuleOnAnyText() {
        let pieces = ["a", "Zwolle ", "é", "e\u{301}", ";", ",", "\\", "\n", "\r\n", "\r", "\t", "\u{1B}", "\u{7F}", "😀",
                      "👩‍👩‍👧", ";\u{301}", "Ω", "\u{0}", "\"", ":"]
        var random = SplitMix(seed: 5545)
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            #expect(ICalendar.escape(text) == Self.statedEscape(text), "\(text.debugDescription)")
        }
        #expect(ICalendar.escape("Traject: ka-twente\r\nNotities: a;b,c\\d\u{7}") == "Traject: ka-twente\\nNotities: a\\;b\\,c\\\\d")
        #expect(ICalendar.escape("Overleg Zwolle") == "Overleg Zwolle")
    }
}
