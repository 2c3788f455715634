import Foundation

/// What a word of a request stands for, as far as TAB completes it.
enum ArgumentKind: Equatable {
    /// A node key or name (found with `FIND`).
    case node
    /// A trajectory key (`TRAJECTORIES`).
    case trajectory
    /// A meeting id (`MEETINGS`).
    case meeting
    /// A theme key (`THEMES`).
    case theme
    /// One of these words (`problem|solution|example|need`).
    case words([String])
    /// Nothing to complete (a title, a date, a new key).
    case none
}

/// A completion candidate: what TAB writes, and what the list of candidates shows.
struct Candidate: Equatable {
    let value: String
    let label: String
}

/// The kinds of a command's arguments, read from the usage lines `HELP` gives
/// (`MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>]`), so that the daemon's
/// command table stays the one place that says what each argument is.
struct UsageBook {
    /// Usage lines by command name in upper case (`MILESTONE ADD`, `MEETING`).
    private(set) var usages: [String: [String]] = [:]

    mutating func add(name: String, usage: String) {
        usages[name.uppercased(), default: []].append(usage)
    }

    /// The kind of the positional argument at `index` (0 is the first after the verb) of a
    /// request whose positional words before the cursor, the verb left out, are `arguments`;
    /// nil when the daemon gave no usage for the verb (then the shell completes nodes).
    func positional(verb: String, arguments: [String], index: Int) -> ArgumentKind? {
        let verb = verb.uppercased()
        let sub = arguments.first?.uppercased()
        // A sub-command's own line (`MILESTONE ADD <trajectory> ...`) once its sub-verb is typed.
        if let sub, index >= 1, let line = usages[verb + " " + sub]?.first {
            return kind(of: UsageBook.placeholders(line, skipping: 2), at: index - 1, verb: verb, sub: sub)
        }
        guard let lines = usages[verb] else { return nil }
        var fallback: [String]?
        for line in lines {
            for alternative in UsageBook.alternatives(line) {
                let placeholders = UsageBook.placeholders(alternative, skipping: 1)
                guard let first = placeholders.first else { continue }
                // `EXPORT dot [<node>] ... | EXPORT ics ...`: the alternative whose first word was typed.
                if let sub, index >= 1, first.split(separator: "|").map({ $0.uppercased() }).contains(sub) {
                    return kind(of: placeholders, at: index, verb: verb, sub: sub)
                }
                if fallback == nil { fallback = placeholders }
            }
        }
        return kind(of: fallback ?? [], at: index, verb: verb, sub: nil)
    }

    /// The kind of an option's value: from the usage (`owner=<node>`), else by its name
    /// (`trajectory=`, `theme=`, `themes=`, `meeting=`).
    func option(verb: String, arguments: [String], name: String) -> ArgumentKind {
        switch name {
        case "trajectory": return .trajectory
        case "theme", "themes": return .theme
        case "meeting": return .meeting
        case "node", "owner", "lead", "region", "avoid": return .node
        default: break
        }
        let verb = verb.uppercased()
        let names = [arguments.first.map { verb + " " + $0.uppercased() }, verb].compactMap { $0 }
        for line in names.flatMap({ usages[$0] ?? [] }) where line.contains("[\(name)=<node>]") || line.contains(" \(name)=<node>") {
            return .node
        }
        return .none
    }

    /// `A | B`: the alternatives of a usage line, split where ` | ` separates them.
    static func alternatives(_ usage: String) -> [String] {
        usage.components(separatedBy: " | ").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The positional words of a usage line after its first `skipping` words, without `[]`
    /// and `<>`, options (`name=...`) left out: `MILESTONE ADD <trajectory> <YYYY-MM-DD> <title>
    /// [owner=<node>]` skipping 2 is `trajectory`, `YYYY-MM-DD`, `title`.
    static func placeholders(_ usage: String, skipping: Int) -> [String] {
        var out: [String] = []
        for word in usage.split(separator: " ").dropFirst(skipping) {
            if word.hasPrefix("(") { break } // `(fields: name, kind, ...)`: prose
            var text = String(word)
            text = text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if text.contains("=") { continue }
            let repeats = text.hasSuffix("...")
            if repeats { text = String(text.dropLast(3)) }
            text = text.replacingOccurrences(of: "<", with: "").replacingOccurrences(of: ">", with: "")
            if text.isEmpty { if repeats { out.append("...") }; continue }
            out.append(repeats ? text + "..." : text)
        }
        return out
    }

    /// The kind of the placeholder at `index`; a last placeholder written `name...` repeats.
    private func kind(of placeholders: [String], at index: Int, verb: String, sub: String?) -> ArgumentKind {
        var name: String
        if index < placeholders.count {
            name = placeholders[index]
        } else if let last = placeholders.last, last.hasSuffix("...") {
            name = last
        } else {
            return .none
        }
        if name.hasSuffix("...") { name = String(name.dropLast(3)) }
        return UsageBook.kind(placeholder: name, verb: verb, sub: sub)
    }

    /// What a placeholder stands for in this command; `.none` for what cannot be completed
    /// (a title, a date, the new key of an `ADD`).
    static func kind(placeholder: String, verb: String, sub: String?) -> ArgumentKind {
        let choices = placeholder.split(separator: "|").map(String.init)
        if choices.contains("trajectory") { return .trajectory }
        // An existing trajectory's key, not the new one of TRAJECTORY ADD.
        if choices.contains("key"), verb == "TRAJECTORY", sub != "ADD" { return .trajectory }
        if choices.contains("id"), verb == "MEETING" { return .meeting }
        if choices.contains("theme") { return .theme }
        if choices.contains(where: { ["node", "from", "to", "participant"].contains($0) }) { return .node }
        // FIND's text is usually the start of a name: completing it to a key is what people want.
        if choices == ["text"], verb == "FIND" { return .node }
        if choices.count > 1, choices.allSatisfy({ $0.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "-" } }) {
            return .words(choices)
        }
        return .none
    }
}

/// The trajectory keys, meeting ids and themes TAB offers, fetched from the daemon when first
/// needed and kept a while: a TAB must answer at once, and these lists change only with writes.
/// The shell forgets them after any request that may write (``forgetAfter(verb:)``), and they
/// expire after ``lifetime`` for what other clients write.
final class CandidateCache {
    static let lifetime: TimeInterval = 60
    private var entries: [String: (fetched: Date, candidates: [Candidate])] = [:]

    /// The requests that only read: after any other one the cached lists may be stale.
    static let readOnlyVerbs: Set<String> = [
        "PING", "HELP", "LANG", "FORMAT", "INFO", "FIND", "SHOW", "NEIGHBORS", "PATH", "SUGGEST", "GAPS",
        "CENTRAL", "EXPORT", "THEMES", "TRAJECTORIES", "MILESTONES", "DUE", "MEETINGS", "SIGNALS", "MATCH", "GOALS",
        "REPORT", "AUDIT", "CONTACTS", "AUTH",
    ]

    /// The cached list of `kind`, or what `fetch` returns (nil when the daemon refused: not kept).
    func candidates(_ kind: String, fetch: () -> [Candidate]?) -> [Candidate] {
        if let entry = entries[kind], Date().timeIntervalSince(entry.fetched) < CandidateCache.lifetime {
            return entry.candidates
        }
        guard let fetched = fetch() else { return [] }
        entries[kind] = (Date(), fetched)
        return fetched
    }

    /// Forgets every list after a request that may have written.
    func forgetAfter(verb: String?) {
        guard let verb, CandidateCache.readOnlyVerbs.contains(verb.uppercased()) else {
            entries.removeAll()
            return
        }
    }
}
