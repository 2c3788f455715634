import Foundation
import VerbinderProtocol
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient

/// The interactive shell: a prompt with line editing, history and TAB completion; answers
/// rendered as tables, long ones through the pager.
final class Shell {
    let settings: Settings
    let usePager: Bool
    private var connection: Connection?
    /// Whether the connection's data lines are JSON (`--json`, or `FORMAT json` typed in the shell).
    private var jsonMode: Bool
    private var verbs: [String] = []
    private var subverbs: [String: [String]] = [:]
    /// What each command's arguments are, from HELP's usage lines.
    private var usageBook = UsageBook()
    /// Trajectory keys, meeting ids and themes for TAB.
    private let cache = CandidateCache()
    private let color: Bool

    init(settings: Settings, pager: Bool) {
        self.settings = settings
        self.usePager = pager
        jsonMode = settings.json
        color = isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    static var historyPath: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["VERBINDER_HISTORY"], !path.isEmpty { return path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.verbinder_history"
    }

    func run() throws(ClientFailure) -> Int32 {
        signal(SIGPIPE, SIG_IGN) // a pager that quits early must not end the shell
        let connection = try settings.open()
        self.connection = connection
        try loadCommands(connection)
        let editor = LineEditor(prompt: "verbinder> ", historyPath: Shell.historyPath)
        editor.complete = { [unowned self] line, cursor in self.complete(line, cursor) }
        Output.standard.line(dim("connected to verbinderd at \(settings.address); HELP lists the commands, TAB completes, ctrl-d quits"))
        Output.standard.flush()
        while let line = editor.readLine() {
            if PendingRequest.isSilent(line) { continue }
            editor.remember(line)
            let request = try? Request.parse(line)
            let (data, status) = try connection.request(line)
            if request?.verb == "FORMAT", !isErrorLine(status), let value = request?.arguments.first?.lowercased() {
                jsonMode = value == "json"
            }
            cache.forgetAfter(verb: request?.verb)
            show(render(data, status: status))
            if request?.verb == "QUIT" { return ExitStatus.ok }
        }
        return ExitStatus.ok
    }

    // MARK: HELP, for completion

    private func loadCommands(_ connection: Connection) throws(ClientFailure) {
        let (data, status) = try connection.request("HELP")
        guard !isErrorLine(status) else { return }
        var seen: Set<String> = []
        for line in data {
            guard let fields = fields(of: line), let name = fields["name"] else { continue }
            let words = name.split(separator: " ").map(String.init)
            guard let verb = words.first else { continue }
            if seen.insert(verb).inserted { verbs.append(verb) }
            if let usage = fields["usage"] { usageBook.add(name: name, usage: usage) }
            if words.count > 1 { subverbs[verb, default: []].append(words[1]) }
            // Lower-case alternatives in the usage line: `GAPS unaffiliated|isolated|vertical`, `EXPORT dot`.
            if words.count == 1, let usage = fields["usage"] {
                let parts = usage.split(separator: " ")
                if parts.count > 1, parts[1].allSatisfy({ ("a"..."z").contains($0) || $0 == "|" }) {
                    subverbs[verb, default: []] += parts[1].split(separator: "|").map(String.init)
                }
            }
        }
    }

    private func fields(of line: [UInt8]) -> [String: String]? { Shell.fields(of: line) }

    /// The fields of a data line, text or JSON; nil for a line that is not a record.
    static func fields(of line: [UInt8]) -> [String: String]? {
        if line.first == UInt8(ascii: "{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
            var fields: [String: String] = [:]
            for (name, value) in object {
                switch value {
                case let text as String: fields[name] = text
                case let list as [Any]: fields[name] = list.map { "\($0)" }.joined(separator: ",")
                default: fields[name] = "\(value)"
                }
            }
            return fields
        }
        guard let record = Shell.record(line) else { return nil }
        return Dictionary(record.fields, uniquingKeysWith: { first, _ in first })
    }

    /// A text record: a lower-case type, then only `name=value` tokens.
    static func record(_ line: [UInt8]) -> (type: String, fields: [(String, String)])? {
        guard let tokens = try? Tokenizer.tokenize(line), case .argument(let type)? = tokens.first,
              let first = type.unicodeScalars.first, ("a"..."z").contains(first),
              type.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        var fields: [(String, String)] = []
        for token in tokens.dropFirst() {
            guard case .option(let name, let value) = token else { return nil }
            fields.append((name, value))
        }
        return (type, fields)
    }

    // MARK: completion

    func complete(_ line: [Character], _ cursor: Int) -> CompletionResult {
        var unchanged = CompletionResult(line: line, cursor: cursor)
        // Split what is before the cursor into words, minding quotes.
        var words: [String] = []
        var start: Int?
        var inQuote = false
        var escaped = false
        for index in 0..<cursor {
            let character = line[index]
            if inQuote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inQuote = false }
                continue
            }
            if character == " " || character == "\t" {
                if let begin = start { words.append(String(line[begin..<index])) }
                start = nil
            } else {
                if start == nil { start = index }
                if character == "\"" { inQuote = true }
            }
        }
        let wordStart = start ?? cursor
        let word = String(line[wordStart..<cursor])

        // Replaces what lies between `from` and the cursor.
        func replace(from begin: Int, _ text: String) -> CompletionResult {
            var result = line
            result.replaceSubrange(begin..<cursor, with: Array(text))
            return CompletionResult(line: result, cursor: begin + text.count)
        }

        // Completes what lies between `from` and the cursor to one of the candidates, or to
        // their common start; lists them when that changes nothing.
        func choose(_ options: [Candidate], from begin: Int) -> CompletionResult {
            let typed = String(line[begin..<cursor]).uppercased()
            let matches = options.filter { $0.value.uppercased().hasPrefix(typed) }
            if matches.count == 1 { return replace(from: begin, matches[0].value + " ") }
            let common = commonPrefix(matches.map(\.value))
            if common.count > typed.count { return replace(from: begin, common) }
            unchanged.candidates = matches.map(\.label)
            return unchanged
        }

        func complete(_ kind: ArgumentKind, from begin: Int) -> CompletionResult {
            switch kind {
            case .node:
                return completeNode(String(line[begin..<cursor]), replace: { replace(from: begin, $0) }, unchanged: unchanged)
            case .trajectory, .meeting, .theme:
                return choose(candidates(kind), from: begin)
            case .words(let words):
                return choose(words.map { Candidate(value: $0, label: $0) }, from: begin)
            case .none:
                return unchanged
            }
        }

        let plain = { (options: [String]) in options.map { Candidate(value: $0, label: $0) } }
        if words.isEmpty { return choose(plain(verbs), from: wordStart) }
        let verb = words[0].uppercased()
        let positionals = words.dropFirst().filter { Verbinder.optionParts($0) == nil }
        if words.count == 1, Verbinder.optionParts(word) == nil {
            if verb == "HELP" { return choose(plain(verbs), from: wordStart) }
            if let options = subverbs[verb], !options.isEmpty {
                // `TRAJECTORY <key>` and `MEETING <id>` take a key or an id where a sub-verb may stand.
                var offered = plain(options)
                let kind = usageBook.positional(verb: verb, arguments: [], index: 0)
                if kind == .trajectory || kind == .meeting { offered += candidates(kind ?? .none) }
                return choose(offered, from: wordStart)
            }
        }
        if let (name, value) = Verbinder.optionParts(word) {
            // The value after `name=`; of a list (`themes=zorg,wo`), the item after the last comma.
            let item = value.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            let begin = cursor - item.count
            return complete(usageBook.option(verb: verb, arguments: positionals, name: name), from: begin)
        }
        let kind = usageBook.positional(verb: verb, arguments: positionals, index: positionals.count) ?? .node
        return complete(kind, from: wordStart)
    }

    /// The trajectory keys, meeting ids or themes the daemon has, from the cache.
    private func candidates(_ kind: ArgumentKind) -> [Candidate] {
        switch kind {
        case .trajectory:
            return cache.candidates("trajectory") {
                fetch("TRAJECTORIES limit=1000") { fields in
                    fields["key"].map { Candidate(value: $0, label: [$0, fields["name"]].compactMap { $0 }.joined(separator: " ")) }
                }
            }
        case .meeting:
            return cache.candidates("meeting") {
                fetch("MEETINGS limit=1000") { fields in
                    fields["id"].map { id in
                        let about = [fields["start"], fields["trajectory"], fields["title"]].compactMap { $0 }.filter { !$0.isEmpty }
                        return Candidate(value: id, label: ([id] + about).joined(separator: " "))
                    }
                }
            }
        case .theme:
            return cache.candidates("theme") {
                fetch("THEMES") { fields in
                    fields["key"].map { Candidate(value: $0, label: [$0, fields["label"]].compactMap { $0 }.joined(separator: " ")) }
                }
            }
        default:
            return []
        }
    }

    /// The candidates in the records of one request; nil when it could not be asked.
    private func fetch(_ request: String, _ candidate: ([String: String]) -> Candidate?) -> [Candidate]? {
        guard let connection, let (data, status) = try? connection.request(request), !isErrorLine(status) else { return nil }
        return data.compactMap { fields(of: $0).flatMap(candidate) }
    }

    private func completeNode(_ word: String, replace: (String) -> CompletionResult,
                              unchanged: CompletionResult) -> CompletionResult {
        var prefix = word
        if prefix.hasPrefix("\"") {
            prefix = String(prefix.dropFirst())
            if prefix.hasSuffix("\""), !prefix.hasSuffix("\\\"") { prefix = String(prefix.dropLast()) }
            prefix = prefix.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
        }
        guard !prefix.isEmpty, let connection,
              let (data, status) = try? connection.request("FIND \(Quoting.quoteArgument(prefix)) limit=20"),
              !isErrorLine(status)
        else { return unchanged }
        let folded = fold(prefix)
        var nodes: [(key: String, name: String, byKey: Bool)] = []
        for line in data {
            guard let fields = fields(of: line), let key = fields["key"], let name = fields["name"] else { continue }
            let byKey = key.lowercased().hasPrefix(prefix.lowercased())
            if byKey || fold(name).hasPrefix(folded) { nodes.append((key, name, byKey)) }
        }
        if nodes.count == 1 { return replace(nodes[0].key + " ") }
        if nodes.isEmpty { return unchanged }
        let common = commonPrefix(nodes.map { $0.byKey ? $0.key : $0.name })
        if common.count > prefix.count {
            // A partial name with blanks or quotes is written as an open quoted token.
            return replace(Quoting.needsQuotes(common) ? String(Quoting.quote(common).dropLast()) : common)
        }
        var result = unchanged
        result.candidates = nodes.map { "\($0.key) \($0.name)" }
        return result
    }

    private func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .replacingOccurrences(of: "\u{2019}", with: "'")
    }

    /// The longest common prefix, compared case- and diacritics-insensitively, spelled as in the first.
    private func commonPrefix(_ options: [String]) -> String {
        guard var prefix = options.first.map({ Array($0) }) else { return "" }
        for option in options.dropFirst() {
            let characters = Array(option)
            var length = 0
            while length < prefix.count, length < characters.count,
                  fold(String(prefix[length])) == fold(String(characters[length])) {
                length += 1
            }
            prefix = Array(prefix[..<length])
        }
        return String(prefix)
    }

    // MARK: rendering

    private func dim(_ text: String) -> String { color ? "\u{1B}[2m\(text)\u{1B}[0m" : text }

    /// The answer as lines to show: tables of records (grouped by type), or the lines as they
    /// came (`--raw`, JSON, lines that are not records), then the status line (which carries
    /// a write's id), after `(geen resultaten)` for a listing that found nothing.
    func render(_ data: [[UInt8]], status: [UInt8]) -> [String] {
        var out: [String] = []
        let records = settings.raw || jsonMode ? nil : data.map(Shell.record)
        if let records, !records.isEmpty, records.allSatisfy({ $0 != nil }) {
            out = table(records.compactMap { $0 })
        } else {
            out = data.map(\.text)
        }
        if settings.raw {
            out.append(status.text)
        } else if isErrorLine(status) {
            out.append(color ? "\u{1B}[31m\(status.text)\u{1B}[0m" : status.text)
        } else {
            if StatusSummary.isEmptyListing(dataLines: data.count, status: status) {
                out.append(StatusSummary.noResults(settings.clientLanguage))
            }
            out.append(dim(status.text))
        }
        return out
    }

    /// Aligned tables, one per record type (in order of first appearance), the type as a heading
    /// and the field names, in first-seen order, as columns.
    private func table(_ records: [(type: String, fields: [(String, String)])]) -> [String] {
        var types: [String] = []
        var columns: [String: [String]] = [:]
        var rows: [String: [[String: String]]] = [:]
        for record in records {
            if columns[record.type] == nil { types.append(record.type); columns[record.type] = [] }
            var row: [String: String] = [:]
            for (name, value) in record.fields {
                if !columns[record.type]!.contains(name) { columns[record.type]!.append(name) }
                if row[name] == nil { row[name] = Shell.cell(value) }
            }
            rows[record.type, default: []].append(row)
        }
        let screen = terminalSize().columns
        var out: [String] = []
        for type in types {
            let names = columns[type]!
            let body = rows[type]!
            let widths = Shell.columnWidths(names: names, cells: body.map { row in names.map { row[$0] ?? "" } }, screen: screen)
            if !out.isEmpty { out.append("") }
            out.append(color ? "\u{1B}[1m\(type)\u{1B}[0m" : type)
            out.append(Shell.row(names, widths))
            out.append(dim(Shell.row(widths.map { String(repeating: "-", count: $0) }, widths)))
            for row in body { out.append(Shell.row(names.map { row[$0] ?? "" }, widths)) }
        }
        return out
    }

    /// Fields whose values are prose or lists, cut first when a table is too wide.
    static let freeTextFields: Set<String> = [
        "name", "title", "notes", "note", "outcome", "reason", "label", "summary", "usage", "description",
        "place", "text", "from_name", "to_name", "aliases", "synonyms", "path", "participants", "attributes",
        "themes", "last_error", "members",
    ]

    /// Column widths that fit `screen` columns (two blanks between columns) where they can.
    /// Columns are narrowed widest first, in three rounds, so that what people read whole is
    /// cut last: prose and lists (``freeTextFields``, or any value with a blank) down to 8
    /// columns first; then other columns down to 12; then dates and times
    /// (`2026-11-24T10:30+01:00`), which cut are useless, down to 12.
    static func columnWidths(names: [String], cells: [[String]], screen: Int) -> [Int] {
        var widths = names.indices.map { index in
            max(names[index].displayWidth, cells.map { $0[index].displayWidth }.max() ?? 0)
        }
        let ranks = names.indices.map { index -> Int in
            let values = cells.map { $0[index] }.filter { !$0.isEmpty }
            if !values.isEmpty, values.allSatisfy(isDateOrTime) { return 2 }
            if freeTextFields.contains(names[index]) || values.contains(where: { $0.contains(" ") }) { return 0 }
            return 1
        }
        var total = widths.reduce(0, +) + 2 * max(0, widths.count - 1)
        for (rank, minimum) in [(0, 8), (1, 12), (2, 12)] {
            while total > screen,
                  let widest = widths.indices.filter({ ranks[$0] == rank && widths[$0] > minimum })
                      .max(by: { widths[$0] < widths[$1] }) {
                widths[widest] -= 1
                total -= 1
            }
        }
        return widths
    }

    /// A value that starts as a date, `YYYY-MM-DD` (a due date, a meeting's start).
    static func isDateOrTime(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars.prefix(10))
        guard scalars.count == 10 else { return false }
        for (index, scalar) in scalars.enumerated() {
            if index == 4 || index == 7 {
                if scalar != "-" { return false }
            } else if !("0"..."9").contains(scalar) {
                return false
            }
        }
        return true
    }

    /// A value on one line: line breaks and tabs shown as escapes, other control characters as
    /// `\xHH` as in the protocol's text (a value must not move the terminal's cursor).
    static func cell(_ value: String) -> String { Quoting.escaped(value, quotes: false) }

    static func row(_ cells: [String], _ widths: [Int]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            var text = cell
            if text.displayWidth > widths[index] {
                var cut = ""
                for character in text {
                    if (cut + String(character)).displayWidth > widths[index] - 1 { break }
                    cut.append(character)
                }
                text = cut + "…"
            }
            if index < cells.count - 1 {
                text += String(repeating: " ", count: max(0, widths[index] - text.displayWidth) + 2)
            }
            line += text
        }
        return line
    }

    /// Prints the lines, through `$PAGER` when they do not fit the screen.
    private func show(_ lines: [String]) {
        let size = terminalSize()
        let text = lines.joined(separator: "\n") + "\n"
        if usePager, isatty(1) == 1, lines.count >= size.rows - 1 || lines.contains(where: { $0.displayWidth > size.columns && !$0.contains("\u{1B}") }) {
            let pager = ProcessInfo.processInfo.environment["PAGER"] ?? Shell.defaultPager
            if !pager.isBlank, runPager(pager, text) { return }
        }
        Output.standard.write(text)
        Output.standard.flush()
    }

    /// `less` that also quits on ctrl-c (`-K`): ctrl-c in the pager ends the page, as people expect.
    static let defaultPager = "less -FRXK"

    /// Runs `/bin/sh -c PAGER` with the text on its standard input; false if it could not start.
    ///
    /// The pager shares the terminal's foreground process group with the shell, so ctrl-c sends
    /// SIGINT to both: the shell ignores SIGINT and SIGQUIT until the pager has ended, or the
    /// key meant for the pager would end the whole client (exit 130). The pager gets the
    /// default actions back (and SIGPIPE, which the shell ignores), so a pager without a
    /// handler of its own, such as `more` or `cat`, simply ends.
    private func runPager(_ command: String, _ text: String) -> Bool {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return false }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGQUIT, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let interrupt = signal(SIGINT, SIG_IGN)
        let quit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, interrupt)
            signal(SIGQUIT, quit)
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        close(pipeEnds[0])
        guard spawned == 0 else { close(pipeEnds[1]); return false }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { systemWrite(pipeEnds[1], $0.baseAddress, $0.count) }
            if count <= 0 { break } // the pager quit early
            offset += count
        }
        close(pipeEnds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return true
    }
}
