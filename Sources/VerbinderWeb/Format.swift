/// Numbers and months as the pages write them. Decimals use a point, as the brief's
/// examples (`66.7 %`) do; a percentage has one decimal and a space before the sign.
///
/// No `Double.rounded` here: it calls C's `round`, `ceil`, … from libm, which a program
/// linking this module without Foundation would miss. Conversion to `Int` needs no library.
enum Format {
    /// Whether `value` is a whole number small enough to write as an `Int`.
    static func isWhole(_ value: Double) -> Bool {
        value.isFinite && abs(value) < 1e15 && Double(Int(value)) == value
    }

    /// The smallest whole number not below `value` (finite, non-negative, below 1e15).
    static func ceiling(_ value: Double) -> Double {
        let whole = Double(Int(value))
        return whole < value ? whole + 1 : whole
    }

    /// `value` rounded to `digits` decimals, always written with that many (`66.7`, `100.0`).
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = abs(value) * Double(scale)
        guard scaled < 1e15 else { return "\(value)" }
        let units = Int(scaled + 0.5)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(units) }
        let fraction = String(units % scale)
        return sign + String(units / scale) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// A share (0 to 1) as a percentage: `2/3` is `66.7 %`.
    static func percent(_ share: Double) -> String { fixed(share * 100, digits: 1) + " %" }

    /// A count as a whole number; any other figure (a median) with at most two decimals.
    static func number(_ value: Double) -> String {
        if isWhole(value) { return String(Int(value)) }
        var text = fixed(value, digits: 2)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A number for machines (`data-value`, SVG coordinates): whole numbers without `.0`.
    static func plain(_ value: Double) -> String {
        if isWhole(value) { return String(Int(value)) }
        return "\(value)"
    }

    /// An SVG coordinate, to a tenth of a unit.
    static func coordinate(_ value: Double) -> String {
        let text = fixed(value, digits: 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    static let monthNames = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]

    /// `2026-11` as `nov 2026`; anything else as it is.
    static func month(_ text: String) -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, Int(parts[0]) != nil, let month = Int(parts[1]), (1...12).contains(month)
        else { return text }
        return "\(monthNames[month - 1]) \(parts[0])"
    }

    /// Every month from the first to the last of `months` (`YYYY-MM`), so a chart shows the
    /// quiet months in between as zero. Months that do not parse are kept, sorted, as they are.
    static func monthRange(_ months: [String]) -> [String] {
        let sorted = Array(Set(months)).sorted()
        func parse(_ text: String) -> (Int, Int)? {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
                  (1...12).contains(month) else { return nil }
            return (year, month)
        }
        let parsed = sorted.compactMap(parse)
        guard parsed.count == sorted.count, let first = parsed.first, let last = parsed.last else { return sorted }
        var range: [String] = []
        var (year, month) = first
        while (year, month) <= last {
            range.append("\(year)-\(month < 10 ? "0" : "")\(month)")
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        return range
    }
}
