/// The one place that decides how keys, names and search text compare.
public enum Keys {
    /// Keys compare case-insensitively (ASCII: keys are CBS codes or slugs).
    public static func fold(_ key: String) -> String {
        // Keys are ASCII: lowering A–Z byte by byte is what lowercased() does to them, without
        // its walk over Unicode (every graph lookup by key folds the key first).
        let utf8 = key.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return key.lowercased() }
        guard utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return key }
        return String(unsafeUninitializedCapacity: utf8.count) { buffer in
            for (index, byte) in utf8.enumerated() { buffer[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
            return utf8.count
        }
    }

    /// Whether `key` is acceptable as a node key: 1–64 of `[A-Za-z0-9_-]`, starting with a letter or digit.
    public static func isValid(_ key: String) -> Bool {
        guard !key.isEmpty, key.utf8.count <= 64, let first = key.utf8.first else { return false }
        let isAlnum: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard isAlnum(first) else { return false }
        return key.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// A slug for a new node's key from its name: `Súdwest-Fryslân` → `sudwest-fryslan`.
    public static func slug(_ name: String) -> String {
        var out = ""
        var pendingDash = false
        for character in Search.fold(name) {
            if character.isASCII, character.isLetter || character.isNumber {
                if pendingDash, !out.isEmpty { out.append("-") }
                pendingDash = false
                out.append(character)
            } else {
                pendingDash = true
            }
        }
        return String(out.prefix(64))
    }
}

/// Case- and diacritics-insensitive text, for names and `FIND`.
public enum Search {
    /// Lower-cases and strips diacritics: `Súdwest-Fryslân` → `sudwest-fryslan`,
    /// `'s-Hertogenbosch` → `'s-hertogenbosch`. Letters outside the table are kept lower-cased.
    public static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            // Combining marks (already-decomposed input) are dropped.
            if (0x0300...0x036F).contains(scalar.value) { continue }
            if let plain = table[scalar] {
                out.append(contentsOf: plain.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Lower-case Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A) to plain ASCII.
    private static let table: [Unicode.Scalar: String] = {
        let groups: [(String, String)] = [
            ("a", "àáâãäåāăą"), ("ae", "æ"), ("c", "çćĉċč"), ("d", "ďđð"),
            ("e", "èéêëēĕėęě"), ("g", "ĝğġģ"), ("h", "ĥħ"), ("i", "ìíîïĩīĭįı"),
            ("ij", "ĳ"), ("j", "ĵ"), ("k", "ķ"), ("l", "ĺļľŀł"), ("n", "ñńņňŉ"),
            ("o", "òóôõöøōŏő"), ("oe", "œ"), ("r", "ŕŗř"), ("s", "śŝşšſ"), ("ss", "ß"),
            ("t", "ţťŧ"), ("th", "þ"), ("u", "ùúûüũūŭůűų"), ("w", "ŵ"), ("y", "ýÿŷ"), ("z", "źżž"),
            ("'", "‘’ʼ"),
        ]
        var table: [Unicode.Scalar: String] = [:]
        for (plain, accented) in groups {
            for scalar in accented.unicodeScalars { table[scalar] = plain }
        }
        return table
    }()
}
