import Foundation
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

    /// The calendar writes each property as ``ICalendar/fold(_:)`` folds its escaped line (its
    /// ASCII fast path cuts where the walk over characters would), with the line end asked for,
    /// and a remembered line appended again is the same lines.
    @Test func propertiesAreWrittenAsTheyFoldOnAnyText() {
        let pieces = ["a", "Zwolle ", "é", "e\u{301}", ";", ",", "\\", "\n", "\r\n", "\r", "\t", "\u{1B}", "\u{7F}", "😀",
                      "👩‍👩‍👧", "Ω", "\"", ":", String(repeating: "x", count: 70), String(repeating: "Súdwest-Fryslân ", count: 3)]
        var random = SplitMix(seed: 75)
        for _ in 0..<2_000 {
            let name = ["SUMMARY", "DESCRIPTION", "LOCATION", "ATTENDEE;CN=\"Jan (Súdwest-Fryslân)\";ROLE=REQ-PARTICIPANT"].randomElement(using: &random)!
            let value = (0..<Int.random(in: 0...14, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let escape = Bool.random(using: &random)
            let expected = ICalendar.fold(name + ":" + (escape ? ICalendar.escape(value) : value.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")))
            var lf = ICalendar(lineEnd: .lf), crlf = ICalendar(lineEnd: .crlf)
            let header = lf.lines.count
            if escape {
                lf.add(name, value)
                crlf.add(name, value)
            } else {
                // Unescaped values are the writer's own (UIDs, statuses, remembered ATTENDEE lines): never a line end.
                let line = name + ":" + value.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
                let remembered = lf.addRemembering(line)
                lf.append(folded: remembered.bytes, lines: remembered.lines)
                _ = crlf.addRemembering(line)
                #expect(remembered.lines == expected.count)
                #expect(Array(lf.lines.dropFirst(header + expected.count)) == expected, "\(line.debugDescription)")
            }
            #expect(Array(lf.lines.dropFirst(header).prefix(expected.count)) == expected, "\(name) \(value.debugDescription)")
            #expect(lf.lineCount == header + (escape ? 1 : 2) * expected.count)
            let crlfText = String(decoding: crlf.bytes, as: UTF8.self)
            #expect(crlfText.hasSuffix(expected.joined(separator: "\r\n") + "\r\n"))
            #expect(crlf.lineCount == header + expected.count)
        }
    }

    /// A value written as a label and a text is the value written whole; a UID is the kind,
    /// the id and the domain.
    @Test func labelledValuesAndUIDsAreWrittenAsTheirWholeText() {
        let pieces = ["Traject: ", "Doel: ", "", "a", "é", "e\u{301}", ";", ",", "\\", "\n", "\r\n", "\r", "\t", "\u{1B}", "😀",
                      String(repeating: "x", count: 70), String(repeating: "Súdwest-Fryslân ", count: 3)]
        var random = SplitMix(seed: 9)
        for _ in 0..<1_000 {
            let label = (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            var parts = ICalendar(lineEnd: .crlf), whole = ICalendar(lineEnd: .crlf)
            parts.add("DESCRIPTION", label: label, text)
            whole.add("DESCRIPTION", label + text)
            #expect(parts.bytes == whole.bytes && parts.lineCount == whole.lineCount, "\(label.debugDescription) \(text.debugDescription)")
        }
        for id in [0, 7, 123_456, Int.max] {
            var uid = ICalendar(lineEnd: .lf), plain = ICalendar(lineEnd: .lf)
            uid.addUID("milestone", id)
            plain.add("UID", "milestone-\(id)@verbinder.vng.nl", escape: false)
            #expect(uid.bytes == plain.bytes)
            #expect(uid.lines.last == "UID:milestone-\(id)@verbinder.vng.nl")
        }
    }

    /// Dates and times are written as the standard library's Gregorian calendar tells them.
    @Test func datesAndTimesAreWrittenAsTheCalendarTellsThem() {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(identifier: "UTC")!
        var random = SplitMix(seed: 1970)
        for _ in 0..<2_000 {
            let seconds = Int.random(in: -2_208_988_800...4_102_444_800, using: &random)  // 1900 to 2100
            let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let expected = String(format: "%04d%02d%02dT%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
            var calendar = ICalendar(lineEnd: .lf)
            calendar.add("DTSTAMP", utcSeconds: seconds)
            calendar.add("DUE", days: Int((Double(seconds) / 86_400).rounded(.down)))
            calendar.add("DTSTART", amsterdamAt: seconds)
            let lines = calendar.lines.suffix(3)
            #expect(Array(lines) == ["DTSTAMP:\(expected)Z", "DUE;VALUE=DATE:\(expected.prefix(8))",
                                     AmsterdamTime.wallTime(fromUTC: expected + "Z").map { "DTSTART;TZID=Europe/Amsterdam:\($0)" } ?? "DTSTART:\(expected)Z"],
                    "\(seconds)")
        }
    }
}
