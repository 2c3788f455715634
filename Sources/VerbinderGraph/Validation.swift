/// Checks for values that arrive as text: dates, themes, CBS codes.
public enum Validation {
    /// The years a date may have (docs/protocol.md, Limits): PostgreSQL would take more, but
    /// before 1900 Amsterdam's clock was not a whole minute off UTC and dates before year 1
    /// are BC; after 9999 a date no longer has four digits and cannot be given back as input.
    public static let years: ClosedRange<Int> = 1900...9999

    /// `YYYY-MM-DD` with a real month and day, in the years ``years``.
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), years.contains(year) else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// Days from 1970-01-01 to a valid `YYYY-MM-DD` (proleptic Gregorian), nil if not ``isDate(_:)``.
    public static func dayNumber(_ text: String) -> Int? {
        guard isDate(text) else { return nil }
        let parts = text.split(separator: "-").map { Int($0)! }
        let (year, month, day) = (parts[0] - (parts[1] <= 2 ? 1 : 0), parts[1], parts[2])
        let era = year / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Splits `a,b, c` into lower-case theme slugs; nil if one is not `[a-z0-9-]+`.
    public static func themes(_ text: String) -> [String]? {
        var result: [String] = []
        for part in text.split(separator: ",") {
            let theme = part.trimmingSpaces().lowercased()
            if theme.isEmpty { continue }
            guard theme.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }) else {
                return nil
            }
            if !result.contains(theme) { result.append(theme) }
        }
        return result
    }

    /// `GM` + 4 digits (municipality) or `PV` + 2 digits (province): the CBS code forms.
    public static func isCBSCode(_ key: String, prefix: String, digits: Int) -> Bool {
        let upper = key.uppercased()
        guard upper.hasPrefix(prefix), upper.count == prefix.count + digits else { return false }
        return upper.dropFirst(prefix.count).allSatisfy(\.isNumber)
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
