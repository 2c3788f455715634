/// Writes RFC 5545 calendars: escaping, and lines folded at 75 octets without splitting a character.
public struct ICalendar {
    public private(set) var lines: [String] = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//VNG//Verbinder//NL", "CALSCALE:GREGORIAN"]

    public init() {}

    /// Appends a property line (`NAME;PARAMS:value`), folded as the RFC requires.
    public mutating func add(_ name: String, _ value: String, escape: Bool = true) {
        let line = name + ":" + (escape ? ICalendar.escape(value) : value)
        if line.utf8.count <= 75 { lines.append(line) } else { lines += ICalendar.fold(line) }
    }

    public mutating func raw(_ line: String) { lines.append(line) }

    /// Appends lines as they are (already folded, such as an ATTENDEE line written once and
    /// repeated in every meeting of the participant).
    public mutating func raw(contentsOf folded: [String]) { lines += folded }

    /// The time-zone id of the wall times written with ``addTime(_:utc:)``.
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

    /// Appends a DATE-TIME property on the Amsterdam wall clock (`DTSTART;TZID=Europe/Amsterdam:20261124T100000`)
    /// from a UTC time (`20261124T090000Z`); as UTC when it cannot be (before 1996).
    public mutating func addTime(_ name: String, utc: String) {
        if let local = AmsterdamTime.wallTime(fromUTC: utc) {
            addTime(name, amsterdam: local)
        } else {
            add(name, utc, escape: false)
        }
    }

    /// Appends a DATE-TIME property on the Amsterdam wall clock from a wall time already
    /// computed (``AmsterdamTime/wallTime(fromUTC:)``).
    public mutating func addTime(_ name: String, amsterdam local: String) {
        add(name + ";TZID=" + ICalendar.amsterdam, local, escape: false)
    }

    public mutating func finish() -> [String] {
        lines.append("END:VCALENDAR")
        return lines
    }

    /// TEXT escaping (RFC 5545 3.3.11).
    public static func escape(_ text: String) -> String {
        // Most values need nothing: no backslash, semicolon, comma or control byte.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") }) {
            return text
        }
        // Byte by byte, which is the rule by code point: every byte changed is ASCII, and no
        // byte of a longer UTF-8 sequence is. CR LF becomes one \n as the CR goes. A `;`, `,` or
        // `\` followed by a combining mark is escaped too (a walk over characters would see one
        // character there and leave it): a parser reads code points, not graphemes.
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ","): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\t"): out.append(byte)
            // TEXT holds no control characters but tab (RFC 5545 3.3.11): CR, ESC, BEL and the like are left out.
            case 0..<0x20, 0x7F: continue
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits a content line into lines of at most 75 octets; continuations start with a space.
    public static func fold(_ line: String) -> [String] {
        let utf8 = line.utf8
        if utf8.count <= 75 { return [line] }
        // Printable ASCII, the usual case: every character is one octet, so the cuts fall every
        // 75 (then 74) octets, as the walk over characters below would put them.
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            let bytes = Array(utf8)
            var result = [String(decoding: bytes[0..<75], as: UTF8.self)]
            var start = 75
            while start < bytes.count {
                let end = min(start + 74, bytes.count)
                result.append(" " + String(decoding: bytes[start..<end], as: UTF8.self))
                start = end
            }
            return result
        }
        var result: [String] = []
        var current = ""
        var octets = 0
        for character in line {
            let size = String(character).utf8.count
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
