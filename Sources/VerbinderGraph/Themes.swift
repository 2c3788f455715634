/// One theme of the vocabulary: a Dutch key (`zorg`), a Dutch label and other words for it.
public struct Theme: Sendable, Equatable {
    public var key: String
    public var label: String
    /// Other words (slugs) that mean this theme: `healthcare`, `gezondheid`.
    public var synonyms: [String]

    public init(key: String, label: String, synonyms: [String] = []) {
        self.key = key
        self.label = label
        self.synonyms = synonyms
    }
}

/// The themes the daemon knows. Every `theme=`/`themes=` option and every signal's theme
/// resolves through it, so `healthcare`, `Gezondheid` and `zorg` are one theme, and a typo is
/// an error that names the nearest theme instead of a silent empty answer.
public struct ThemeVocabulary: Sendable {
    public private(set) var themes: [Theme] = []
    /// Every word (key or synonym, as a slug) to the index of its theme.
    private var words: [String: Int] = [:]

    public init(_ themes: [Theme] = []) {
        for theme in themes { upsert(theme) }
    }

    /// How a theme word resolved.
    public enum Resolution: Sendable, Equatable {
        case found(String)
        /// Not in the vocabulary; `nearest` is the key of the closest theme, if one is close.
        case unknown(nearest: String?)
    }

    /// The form a word is compared in: folded like names and slugged (`Regio Deals` →
    /// `regio-deals`).
    public static func normalize(_ text: String) -> String { Keys.slug(text) }

    /// The theme key a word stands for.
    public func resolve(_ text: String) -> Resolution {
        let word = ThemeVocabulary.normalize(text)
        if let index = words[word] { return .found(themes[index].key) }
        return .unknown(nearest: nearest(to: word))
    }

    /// The theme with this key.
    public func theme(key: String) -> Theme? {
        guard let index = words[key], themes[index].key == key else { return nil }
        return themes[index]
    }

    /// Whether a word (key or synonym) is taken, and by which theme's key.
    public func owner(of word: String) -> String? {
        words[ThemeVocabulary.normalize(word)].map { themes[$0].key }
    }

    /// Adds a theme or replaces the one with the same key.
    public mutating func upsert(_ theme: Theme) {
        if let index = words[theme.key], themes[index].key == theme.key {
            for word in themes[index].synonyms where words[word] == index { words[word] = nil }
            themes[index] = theme
            reindex(at: index)
        } else {
            themes.append(theme)
            reindex(at: themes.count - 1)
        }
    }

    private mutating func reindex(at position: Int) {
        let theme = themes[position]
        words[theme.key] = position
        for word in theme.synonyms where words[word] == nil { words[word] = position }
    }

    /// The key of the theme with a word closest to `word` (edit distance at most 2, and less
    /// than half the word), or nil.
    func nearest(to word: String) -> String? {
        guard !word.isEmpty else { return nil }
        var best: (distance: Int, key: String)?
        let target = Array(word.utf8)
        let limit = min(2, max(1, target.count / 2))
        for (candidate, index) in words {
            let distance = ThemeVocabulary.editDistance(target, Array(candidate.utf8), limit: limit)
            guard distance <= limit else { continue }
            let key = themes[index].key
            if best == nil || (distance, key) < (best!.distance, best!.key) { best = (distance, key) }
        }
        return best?.key
    }

    /// Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
