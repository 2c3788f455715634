/// Writes RFC 5545 calendars straight into bytes: escaping, and lines folded at 75 octets
/// without splitting a character.
///
/// A calendar of a decade is some 17,000 lines: writing them as bytes, each line ended as the
/// reader wants it (LF on the line protocol, CRLF in an HTTP feed), leaves no `String` per line
/// to build, hold and copy again.
public struct ICalendar {
    /// What ends each line: LF where the line protocol carries it, CRLF as RFC 5545 writes it.
    public enum LineEnd: Sendable {
        case lf
        case crlf
    }

    /// The calendar so far, every line ended.
    public private(set) var bytes: [UInt8] = []
    /// How many lines ``bytes`` holds (a folded property counts each of its lines).
    public private(set) var lineCount = 0
    private let lineEnd: LineEnd
    /// One property line before folding, kept to reuse its memory.
    private var line: [UInt8] = []

    /// `header`: whether to begin with `BEGIN:VCALENDAR` and the calendar's properties; a
    /// part of a calendar written apart (its components) begins without.
    public init(lineEnd: LineEnd = .crlf, capacity: Int = 4096, header: Bool = true) {
        self.lineEnd = lineEnd
        bytes.reserveCapacity(capacity)
        line.reserveCapacity(256)
        guard header else { return }
        for header in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//VNG//Verbinder//NL", "CALSCALE:GREGORIAN"] { raw(header) }
    }

    /// The lines written so far, without their ends.
    public var lines: [String] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: lineEnd == .crlf ? line.dropLast() : line[...], as: UTF8.self)
        }
        lines.removeLast()  // after the last line end
        return lines
    }

    /// Appends a property line (`NAME;PARAMS:value`), folded as the RFC requires; the value is
    /// escaped as TEXT unless `escape` is false.
    public mutating func add(_ name: String, _ value: String, escape: Bool = true) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(UInt8(ascii: ":"))
        if escape { ICalendar.appendEscaped(value, to: &line) } else { line.append(contentsOf: value.utf8) }
        appendLine()
    }

    /// Appends a TEXT property whose value is `label` followed by `text`, escaped and folded
    /// as ``add(_:_:escape:)`` would the two joined (escaping goes byte by byte, so the parts
    /// escape as the whole).
    public mutating func add(_ name: String, label: String, _ text: String) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(UInt8(ascii: ":"))
        ICalendar.appendEscaped(label, to: &line)
        ICalendar.appendEscaped(text, to: &line)
        appendLine()
    }

    /// Appends `UID:<kind>-<id>@verbinder.vng.nl`.
    public mutating func addUID(_ kind: String, _ id: Int) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: "UID:".utf8)
        line.append(contentsOf: kind.utf8)
        line.append(UInt8(ascii: "-"))
        line.append(contentsOf: String(id).utf8)
        line.append(contentsOf: "@verbinder.vng.nl".utf8)
        appendLine()
    }

    /// Appends a DATE-TIME property in UTC (`DTSTAMP:20261124T090000Z`) from seconds since 1970.
    public mutating func add(_ name: String, utcSeconds: Int) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(UInt8(ascii: ":"))
        AmsterdamTime.appendDateTime(utcSeconds, to: &line)
        line.append(UInt8(ascii: "Z"))
        appendLine()
    }

    /// Appends a DATE property (`DUE;VALUE=DATE:20261124`) from days since 1970-01-01.
    public mutating func add(_ name: String, days: Int) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(contentsOf: ";VALUE=DATE:".utf8)
        AmsterdamTime.appendDate(days: days, to: &line)
        appendLine()
    }

    /// Appends a DATE-TIME property on the Amsterdam wall clock
    /// (`DTSTART;TZID=Europe/Amsterdam:20261124T100000`) from an instant in seconds since 1970;
    /// in UTC when the wall clock cannot be told (before ``AmsterdamTime/firstYear``).
    public mutating func add(_ name: String, amsterdamAt utcSeconds: Int) {
        guard let local = AmsterdamTime.wallSeconds(utcSeconds: utcSeconds) else {
            add(name, utcSeconds: utcSeconds)
            return
        }
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: name.utf8)
        line.append(contentsOf: ";TZID=".utf8)
        line.append(contentsOf: ICalendar.amsterdam.utf8)
        line.append(UInt8(ascii: ":"))
        AmsterdamTime.appendDateTime(local, to: &line)
        appendLine()
    }

    /// Appends a line as it is (`BEGIN:VEVENT`); it must not need folding.
    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        endLine()
    }

    /// Appends a property line (`NAME;PARAMS:value` with the value already escaped where it
    /// needs to be), folded, and returns its bytes with their line ends: for a line that
    /// repeats (an ATTENDEE in every meeting of a participant), to append again with
    /// ``append(folded:lines:)``.
    public mutating func addRemembering(_ text: String) -> (bytes: [UInt8], lines: Int) {
        let start = bytes.count, count = lineCount
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: text.utf8)
        appendLine()
        return (Array(bytes[start...]), lineCount - count)
    }

    /// Appends lines as ``addRemembering(_:)`` gave them.
    public mutating func append(folded: [UInt8], lines: Int) {
        bytes.append(contentsOf: folded)
        lineCount += lines
    }

    /// Ends the calendar.
    public mutating func finish() {
        raw("END:VCALENDAR")
    }

    private mutating func endLine() {
        if lineEnd == .crlf { bytes.append(13) }
        bytes.append(10)
        lineCount += 1
    }

    /// Appends ``line``, folded at 75 octets; continuations start with a space.
    private mutating func appendLine() {
        if line.count <= 75 {
            bytes.append(contentsOf: line)
            endLine()
            return
        }
        // ASCII without CR or LF, the usual case: every byte is a character of its own (CR LF
        // is the one ASCII pair that is a single character), so the cuts fall every 75 (then
        // 74) octets, where the walk over characters in ``fold(_:)`` would put them.
        if !line.contains(where: { $0 >= 0x80 || $0 == 13 || $0 == 10 }) {
            bytes.append(contentsOf: line[0..<75])
            endLine()
            var start = 75
            while start < line.count {
                let end = min(start + 74, line.count)
                bytes.append(0x20)
                bytes.append(contentsOf: line[start..<end])
                endLine()
                start = end
            }
            return
        }
        for part in ICalendar.fold(String(decoding: line, as: UTF8.self)) {
            bytes.append(contentsOf: part.utf8)
            endLine()
        }
    }

    /// The time-zone id of the wall times written with ``add(_:amsterdamAt:)``.
    public static let amsterdam = "Europe/Amsterdam"

    /// `VTIMEZONE` for Europe/Amsterdam by the EU rule (the one ``AmsterdamTime`` computes), so
    /// that a client without its own time-zone data reads the wall times right. The rule is
    /// stated from 1970 as calendar programs write it; times before 1996, when the Dutch autumn
    /// change differed, are never written with this TZID.
    public static let amsterdamTimeZone = [
        "BEGIN:VTIMEZONE", "TZID:\(amsterdam)",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "END:VTIMEZONE",
    ]

    /// TEXT escaping (RFC 5545 3.3.11).
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` escaped as TEXT (RFC 5545 3.3.11).
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        // Most values need nothing: no backslash, semicolon, comma or control byte.
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") }) else {
            out.append(contentsOf: utf8)
            return
        }
        // Byte by byte, which is the rule by code point: every byte changed is ASCII, and no
        // byte of a longer UTF-8 sequence is. CR LF becomes one \n as the CR goes. A `;`, `,` or
        // `\` followed by a combining mark is escaped too (a walk over characters would see one
        // character there and leave it): a parser reads code points, not graphemes.
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ","): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\t"): out.append(byte)
            // TEXT holds no control characters but tab (RFC 5545 3.3.11): CR, ESC, BEL and the like are left out.
            case 0..<0x20, 0x7F: continue
            default: out.append(byte)
            }
        }
    }

    /// Splits a content line into lines of at most 75 octets; continuations start with a space.
    public static func fold(_ line: String) -> [String] {
        let utf8 = line.utf8
        if utf8.count <= 75 { return [line] }
        var result: [String] = []
        var current = ""
        var octets = 0
        for character in line {
            let size = character.utf8.count
            let limit = result.isEmpty ? 75 : 74
            if octets + size > limit {
                result.append(result.isEmpty ? current : " " + current)
                current = ""
                octets = 0
            }
            current.append(character)
            octets += size
        }
        result.append(result.isEmpty ? current : " " + current)
        return result
    }
}
