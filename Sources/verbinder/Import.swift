import Foundation
import VerbinderProtocol
import VerbinderClient

/// A CSV file as requests: the column rules of one import kind.
struct ImportKind {
    let noun: String
    let required: [String]
    let optional: [String]
    /// The columns that name what a row writes: the same values on two rows are one thing
    /// written twice, told by line here rather than by the database's refusal of the second.
    let identity: [String]

    static let nodes = ImportKind(noun: "nodes", required: ["kind", "name"], optional: ["key", "tier", "province", "themes", "valid_from", "valid_to", "note"],
                                  identity: ["key"])
    static let links = ImportKind(noun: "links", required: ["from", "relation", "to"], optional: ["themes", "since", "until", "note"],
                                  identity: ["from", "relation", "to"])

    /// The request for one row: the required columns as arguments, then the non-empty optional ones as options.
    func request(_ values: [String: String]) -> String {
        var parts = [noun == "nodes" ? "ADD" : "LINK"]
        parts += required.map { Quoting.quoteArgument(values[$0] ?? "") }
        for name in optional {
            if let value = values[name], !value.isEmpty { parts.append(name + "=" + Quoting.quote(value)) }
        }
        return parts.joined(separator: " ")
    }

    /// The good rows as requests, and an error for each fault of the others.
    struct Checked {
        var requests: [PendingRequest] = []
        var errors: [CSVError] = []
    }

    /// The header's columns (lower case; "" for a column without a name), or its errors: without
    /// a good header no row can be read.
    func columns(_ header: CSVRow?) throws(CSVErrors) -> [String] {
        guard let header else {
            throw CSVErrors([CSVError(line: 1, message: "the file is empty (a header line is needed: \((required + optional).joined(separator: ",")))")])
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var errors: [CSVError] = []
        var seen: Set<String> = []
        for column in columns where !column.isEmpty {
            if !required.contains(column) && !optional.contains(column) {
                errors.append(CSVError(line: header.line, message: "unknown column \"\(column)\" (columns: \(required.joined(separator: ",")) required, \(optional.joined(separator: ",")) optional)"))
            } else if !seen.insert(column).inserted {
                errors.append(CSVError(line: header.line, message: "column \"\(column)\" appears twice"))
            }
        }
        for column in required where !seen.contains(column) {
            errors.append(CSVError(line: header.line, message: "missing required column \"\(column)\""))
        }
        guard errors.isEmpty else { throw CSVErrors(errors) }
        return columns
    }

    /// Checks the header and every row. A bad header throws; a bad row is reported and left
    /// out, and the rest are still checked, so one run names every bad row.
    func check(_ table: CSVTable) throws(CSVErrors) -> Checked {
        let columns = try self.columns(table.rows.first)
        var checked = Checked()
        var firstLine: [String: Int] = [:]
        for row in table.rows.dropFirst() {
            var errors: [CSVError] = []
            // Excel ends rows with separators for columns it once used: empty extra fields are no fault.
            let extra = row.fields.dropFirst(columns.count)
            if row.fields.count < columns.count || extra.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                checked.errors.append(CSVError(line: row.line, message: "\(row.fields.count) field(s), but the header has \(columns.count)"))
                continue
            }
            var values: [String: String] = [:]
            for (index, (column, field)) in zip(columns, row.fields).enumerated() {
                let value = field.trimmingCharacters(in: .whitespaces)
                if column.isEmpty {
                    if !value.isEmpty { errors.append(CSVError(line: row.line, message: "a value in column \(index + 1), which has no name in the header")) }
                    continue
                }
                values[column] = value
            }
            for column in required where values[column, default: ""].isEmpty {
                errors.append(CSVError(line: row.line, column: column, message: "empty, but required"))
            }
            let identity = self.identity.map { values[$0, default: ""] }
            if errors.isEmpty, identity.allSatisfy({ !$0.isEmpty }) {
                // Keys are compared ignoring case, as the daemon does.
                let folded = identity.joined(separator: "\u{1F}").lowercased()
                if let earlier = firstLine[folded] {
                    errors.append(CSVError(line: row.line, column: self.identity.count == 1 ? self.identity[0] : nil,
                                           message: "\(identity.joined(separator: " ")) is also on line \(earlier)"))
                } else {
                    firstLine[folded] = row.line
                }
            }
            if errors.isEmpty {
                checked.requests.append(PendingRequest(line: request(values), number: row.line))
            } else {
                checked.errors += errors
            }
        }
        return checked
    }
}

/// The errors of a header (every one of them, not only the first).
struct CSVErrors: Error {
    let errors: [CSVError]
    init(_ errors: [CSVError]) { self.errors = errors }
}

/// `verbinder import nodes|links FILE.csv`: every row in one batch, all or nothing.
///
/// A file from Excel is read as it comes (`;` or `,`, Windows-1252 or UTF-8), and a file with
/// faults is answered with all of them: the rows that are well formed still go to the daemon,
/// in a batch that reports each refused row (`BEGIN errors=all`) and is then rolled back.
struct Importer {
    let settings: Settings

    static let usage = "usage: verbinder import nodes FILE.csv | verbinder import links FILE.csv"
    /// At most this many errors are printed; the rest are counted.
    static let shownErrors = 50

    func run(_ arguments: [String]) throws(ClientFailure) -> Int32 {
        guard arguments.count == 2 else { throw ClientFailure(Importer.usage, exitCode: 64) }
        let kind: ImportKind
        switch arguments[0] {
        case "nodes": kind = .nodes
        case "links": kind = .links
        default: throw ClientFailure(Importer.usage, exitCode: 64)
        }
        let path = arguments[1]
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientFailure("cannot read \(path)", exitCode: ExitStatus.failed)
        }
        let text: String
        do throws(CSVError) {
            let decoded = try CSVDecoder.decode(Array(data))
            text = decoded.text
            switch decoded.encoding {
            case .utf8: break
            case .windows1252: complain("\(path) is Windows-1252; converted to UTF-8")
            case .utf16: complain("\(path) is UTF-16; converted to UTF-8")
            }
        } catch {
            printError(error.text(file: path))
            return ExitStatus.failed
        }
        let table = CSV.parse(text)
        let checked: ImportKind.Checked
        do throws(CSVErrors) {
            checked = try kind.check(table)
        } catch {
            for error in (table.errors + error.errors).sorted(by: { $0.line < $1.line }) { printError(error.text(file: path)) }
            return ExitStatus.failed
        }
        let faults = table.errors + checked.errors
        if checked.requests.isEmpty && !faults.isEmpty { return report(faults, path: path) }

        let connection = try settings.open(json: false)
        var everyError = true
        var (_, begin) = try connection.request("BEGIN errors=all")
        if begin.text.hasPrefix("ERR USAGE") {
            // A daemon from before errors=all: only its first refusal can be told.
            everyError = false
            (_, begin) = try connection.request("BEGIN")
        }
        if isErrorLine(begin) {
            printError("BEGIN failed: \(begin.text)")
            return ExitStatus.failed
        }
        var refused: [CSVError] = []
        try Pipeline(connection: connection).run(RequestSource(requests: checked.requests), data: { _, _ in
            // Data lines of a failed row (AMBIGUOUS candidates) are not needed: the ERR names the row.
        }, status: { request, line in
            guard isErrorLine(line) else { return .next }
            if everyError || refused.isEmpty { refused.append(CSVError(line: request.number, message: line.text)) }
            return everyError ? .next : .drain
        })
        if !faults.isEmpty {
            // Rows of the file were left out: whatever the daemon said of the rest, nothing is written.
            _ = try connection.request("ROLLBACK")
            return report(faults + refused, path: path)
        }
        // Keyed by the file's content: an import run again after an unclear end (ERR INDOUBT)
        // within 24 hours gets the first answer instead of importing twice.
        let key = "import-" + kind.noun + "-" + SHA256.hex(text).prefix(40)
        if !refused.isEmpty {
            // An aborted batch writes nothing at COMMIT; with the key, a file imported before
            // (its rows now conflict) is answered with that import's OK.
            let (_, commit) = try connection.request("COMMIT idem=\(key)")
            if !isErrorLine(commit) {
                Output.standard.line("imported \(checked.requests.count) \(kind.noun)")
                return ExitStatus.ok
            }
            return report(refused, path: path)
        }
        let (_, commit) = try connection.request("COMMIT idem=\(key)")
        if commit.text.hasPrefix("ERR INDOUBT") {
            printError("COMMIT: the database connection broke while the import committed; it may have been imported. Run the same import again: it is keyed to the file, and within 24 hours it imports nothing twice. (\(commit.text))")
            return ExitStatus.failed
        }
        if isErrorLine(commit) {
            printError("COMMIT failed, nothing imported: \(commit.text)")
            return ExitStatus.failed
        }
        Output.standard.line("imported \(checked.requests.count) \(kind.noun)")
        return ExitStatus.ok
    }

    /// Prints the errors in line order (at most ``shownErrors``) and how many rows were bad.
    private func report(_ errors: [CSVError], path: String) -> Int32 {
        let sorted = errors.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
        for error in sorted.prefix(Importer.shownErrors) { printError(error.text(file: path)) }
        if sorted.count > Importer.shownErrors {
            printError("\(path): \(sorted.count - Importer.shownErrors) more error(s) not shown")
        }
        let rows = Set(sorted.map(\.line)).count
        printError("\(path): \(rows) bad row(s); nothing imported")
        return ExitStatus.failed
    }
}
