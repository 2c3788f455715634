import VerbinderProtocol
import VerbinderText
import VerbinderClient

/// What the client tells a person about an answer's status line: its `name=value` fields
/// (the id of what a write created is often only there) and, for a listing that found
/// nothing, a sentence instead of silence.
enum StatusSummary {
    /// The first fields of a status line that make it a listing's count.
    static let countFields: Set<String> = ["rows", "count", "links"]

    /// The `name=value` fields of an `OK` line, written as the daemon writes them
    /// (`id=2`, `id=5 axis=vertical tripartite=no`); nil for an `ERR`, a bare `OK` or one with
    /// words only (`OK pong`).
    static func fields(of status: [UInt8]) -> String? {
        guard !isErrorLine(status), let tokens = try? Tokenizer.tokenize(status) else { return nil }
        let fields = options(tokens)
        guard !fields.isEmpty else { return nil }
        return fields.map { $0.name + "=" + Quoting.quote($0.value) }.joined(separator: " ")
    }

    /// Whether an answer is a listing that found nothing: no data lines, and an `OK` whose first
    /// field is a count of 0 (`OK rows=0`, `OK count=0 ...`, `OK links=0 nodes=0`).
    static func isEmptyListing(dataLines: Int, status: [UInt8]) -> Bool {
        guard dataLines == 0, !isErrorLine(status), let tokens = try? Tokenizer.tokenize(status),
              let first = options(tokens).first
        else { return false }
        return countFields.contains(first.name) && first.value == "0"
    }

    /// The fields of an empty listing's status other than its zero count (`GAPS agenda`'s
    /// `municipalities=342 covered=342 ...`); nil when there are none.
    static func otherFields(of status: [UInt8]) -> String? {
        guard let tokens = try? Tokenizer.tokenize(status) else { return nil }
        let rest = options(tokens).dropFirst()
        guard !rest.isEmpty else { return nil }
        return rest.map { $0.name + "=" + Quoting.quote($0.value) }.joined(separator: " ")
    }

    /// What an empty listing says to a person.
    static func noResults(_ language: Language) -> String {
        switch language {
        case .nl: return "(geen resultaten)"
        case .en: return "(no results)"
        }
    }

    private static func options(_ tokens: [Token]) -> [(name: String, value: String)] {
        tokens.compactMap { token in
            if case .option(let name, let value) = token { return (name, value) }
            return nil
        }
    }

    /// The lines a one-shot request prints after its data lines in the default output (neither
    /// `--raw` nor `--json`):
    /// - an empty listing: `(geen resultaten)` on a terminal, then any other fields; nothing in
    ///   a pipe, so that a script counting lines still counts none;
    /// - otherwise the status fields (`id=2`) when the answer had no data lines (a write), and
    ///   on a terminal also after data lines (`rows=10`, `GAPS`' totals).
    static func oneShotLines(dataLines: Int, status: [UInt8], terminal: Bool, language: Language) -> [String] {
        if isEmptyListing(dataLines: dataLines, status: status) {
            guard terminal else { return [] }
            return [noResults(language)] + (otherFields(of: status).map { [$0] } ?? [])
        }
        guard dataLines == 0 || terminal, let fields = fields(of: status) else { return [] }
        return [fields]
    }
}
