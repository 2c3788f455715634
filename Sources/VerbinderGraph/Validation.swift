/// Checks for values that arrive as text: dates, themes, CBS codes.
public enum Validation {
    /// `YYYY-MM-DD` with a real month and day.
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), year >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
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
