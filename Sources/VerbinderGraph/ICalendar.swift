/// Writes RFC 5545 calendars: escaping, and lines folded at 75 octets without splitting a character.
public struct ICalendar {
    public private(set) var lines: [String] = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//VNG//Verbinder//NL", "CALSCALE:GREGORIAN"]

    public init() {}

    /// Appends a property line (`NAME;PARAMS:value`), folded as the RFC requires.
    public mutating func add(_ name: String, _ value: String, escape: Bool = true) {
        lines += ICalendar.fold(name + ":" + (escape ? ICalendar.escape(value) : value))
    }

    public mutating func raw(_ line: String) { lines.append(line) }

    public mutating func finish() -> [String] {
        lines.append("END:VCALENDAR")
        return lines
    }

    /// TEXT escaping (RFC 5545 3.3.11).
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n": out += "\\n"
            case "\r": continue
            default:
                // TEXT holds no control characters but tab (RFC 5545 3.3.11): ESC, BEL and the like are left out.
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                   scalar != "\t", scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.append(character)
            }
        }
        return out
    }

    /// Splits a content line into lines of at most 75 octets; continuations start with a space.
    public static func fold(_ line: String) -> [String] {
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
