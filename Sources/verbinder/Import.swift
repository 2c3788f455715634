import Foundation
import VerbinderProtocol
import VerbinderClient

/// A malformed CSV file: the line number and what is wrong.
struct CSVError: Error {
    let line: Int
    let message: String
}

/// One CSV record and the line it starts on (the header is line 1).
struct CSVRow {
    let line: Int
    let fields: [String]
}

/// RFC 4180 CSV: comma-separated fields, fields in double quotes may hold commas, line breaks
/// and doubled quotes; records end with CRLF or LF. Blank lines are skipped.
enum CSV {
    static func parse(_ text: String) throws(CSVError) -> [CSVRow] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() } // a byte-order mark from spreadsheets
        var rows: [CSVRow] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var rowLine = 1
        var index = 0
        var quotedField = false
        var fieldStarted = false

        func endRow() {
            fields.append(String(field))
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) {
                rows.append(CSVRow(line: rowLine, fields: fields))
            }
            fields = []
            field = String.UnicodeScalarView()
            quotedField = false
            fieldStarted = false
        }

        while index < scalars.count {
            let scalar = scalars[index]
            if !fieldStarted && scalar == "\"" {
                // A quoted field: runs to the quote that is not doubled.
                quotedField = true
                fieldStarted = true
                index += 1
                var closed = false
                while index < scalars.count {
                    let inner = scalars[index]
                    if inner == "\"" {
                        if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                            field.append("\"")
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if inner == "\n" { line += 1 }
                    field.append(inner)
                    index += 1
                }
                if !closed { throw CSVError(line: rowLine, message: "a quoted field is not closed") }
                // After the closing quote: a comma, the end of the line, or the end of the file.
                if index < scalars.count {
                    let next = scalars[index]
                    let endsLine = next == "\n" || (next == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n")
                        || (next == "\r" && index + 1 == scalars.count)
                    if next != ",", !endsLine {
                        throw CSVError(line: line, message: "unexpected character after a closing quote (double a quote inside a quoted field: \"\")")
                    }
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(String(field))
                field = String.UnicodeScalarView()
                quotedField = false
                fieldStarted = false
                index += 1
            case "\r" where index + 1 < scalars.count && scalars[index + 1] == "\n":
                index += 1
            case "\r" where index + 1 == scalars.count:
                index += 1
            case "\n":
                endRow()
                line += 1
                rowLine = line
                index += 1
            case "\"":
                throw CSVError(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)")
            default:
                field.append(scalar)
                fieldStarted = true
                index += 1
            }
        }
        if fieldStarted || !fields.isEmpty || !field.isEmpty { endRow() }
        return rows
    }
}

/// A CSV file as requests: the column rules of one import kind.
struct ImportKind {
    let noun: String
    let required: [String]
    let optional: [String]

    static let nodes = ImportKind(noun: "nodes", required: ["kind", "name"], optional: ["key", "tier", "province", "themes", "valid_from", "valid_to", "note"])
    static let links = ImportKind(noun: "links", required: ["from", "relation", "to"], optional: ["themes", "since", "until", "note"])

    /// The request for one row: the required columns as arguments, then the non-empty optional ones as options.
    func request(_ values: [String: String]) -> String {
        var parts = [noun == "nodes" ? "ADD" : "LINK"]
        parts += required.map { Quoting.quoteArgument(values[$0] ?? "") }
        for name in optional {
            if let value = values[name], !value.isEmpty { parts.append(name + "=" + Quoting.quote(value)) }
        }
        return parts.joined(separator: " ")
    }

    /// Checks the header and every row, and returns the requests; nothing is sent before this succeeds.
    func requests(from rows: [CSVRow]) throws(CSVError) -> [PendingRequest] {
        guard let header = rows.first else { throw CSVError(line: 1, message: "the file is empty (a header line is needed: \((required + optional).joined(separator: ",")))") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var seen: Set<String> = []
        for column in columns {
            guard required.contains(column) || optional.contains(column) else {
                throw CSVError(line: header.line, message: "unknown column \"\(column)\" (columns: \(required.joined(separator: ",")) required, \(optional.joined(separator: ",")) optional)")
            }
            guard seen.insert(column).inserted else { throw CSVError(line: header.line, message: "column \"\(column)\" appears twice") }
        }
        for column in required where !seen.contains(column) {
            throw CSVError(line: header.line, message: "missing required column \"\(column)\"")
        }
        var requests: [PendingRequest] = []
        for row in rows.dropFirst() {
            guard row.fields.count == columns.count else {
                throw CSVError(line: row.line, message: "\(row.fields.count) field(s), but the header has \(columns.count)")
            }
            var values: [String: String] = [:]
            for (column, value) in zip(columns, row.fields) { values[column] = value.trimmingCharacters(in: .whitespaces) }
            for column in required where values[column, default: ""].isEmpty {
                throw CSVError(line: row.line, message: "empty \(column)")
            }
            requests.append(PendingRequest(line: request(values), number: row.line))
        }
        return requests
    }
}

/// `verbinder import nodes|links FILE.csv`: every row in one batch, all or nothing.
struct Importer {
    let settings: Settings

    static let usage = "usage: verbinder import nodes FILE.csv | verbinder import links FILE.csv"

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
        guard let text = String(data: data, encoding: .utf8) else {
            throw ClientFailure("\(path): not valid UTF-8", exitCode: ExitStatus.failed)
        }
        let requests: [PendingRequest]
        do throws(CSVError) {
            requests = try kind.requests(from: CSV.parse(text))
        } catch {
            printError("\(path): line \(error.line): \(error.message)")
            return ExitStatus.failed
        }

        let connection = try settings.open(json: false)
        let (_, begin) = try connection.request("BEGIN")
        if isErrorLine(begin) {
            printError("BEGIN failed: \(begin.text)")
            return ExitStatus.failed
        }
        var failure: (line: Int, status: String)?
        try Pipeline(connection: connection).run(RequestSource(requests: requests), data: { _, _ in
            // Data lines of a failed row (AMBIGUOUS candidates) are not needed: the ERR names the row.
        }, status: { request, line in
            guard isErrorLine(line) else { return .next }
            if failure == nil { failure = (request.number, line.text) }
            return .drain
        })
        // Keyed by the file's content: an import run again after an unclear end (ERR INDOUBT)
        // within 24 hours gets the first answer instead of importing twice.
        let key = "import-" + kind.noun + "-" + SHA256.hex(text).prefix(40)
        if let failure {
            // An aborted batch writes nothing at COMMIT; with the key, a file imported before
            // (its rows now conflict) is answered with that import's OK.
            let (_, commit) = try connection.request("COMMIT idem=\(key)")
            if !isErrorLine(commit) {
                Output.standard.line("imported \(requests.count) \(kind.noun)")
                return ExitStatus.ok
            }
            printError("line \(failure.line): \(failure.status)")
            return ExitStatus.failed
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
        Output.standard.line("imported \(requests.count) \(kind.noun)")
        return ExitStatus.ok
    }
}
