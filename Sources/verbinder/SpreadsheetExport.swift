import ArgumentParser
import VerbinderClient
import VerbinderProtocol

/// `verbinder export csv signals|goals|contacts [--excel] [name=value...]`: a listing as a
/// spreadsheet for the monitoring officer. One row per record, one column per field in the
/// order the fields first appear (a field a record lacks is an empty cell), a header row of
/// field names. RFC 4180: CRLF line ends, fields with the separator, a quote or a line break
/// in double quotes. `--excel` writes what Dutch Excel opens without an import wizard: a UTF-8
/// byte order mark (so "Súdwest-Fryslân" stays intact) and `;` between fields (Excel's
/// separator where the decimal mark is a comma).
struct SpreadsheetExport {
    /// The listings that export, with the request verb and the record type they answer.
    static let listings: [(name: String, verb: String, record: String)] = [
        ("signals", "SIGNALS", "signal"), ("goals", "GOALS", "goal"), ("contacts", "CONTACTS", "contact"),
    ]
    static let usage = "usage: verbinder export csv signals|goals|contacts [--excel] [name=value...]"

    let settings: Settings

    func run(_ arguments: [String]) throws(ClientFailure) -> Int32 {
        var words = arguments
        let excel = words.contains("--excel")
        words.removeAll { $0 == "--excel" }
        guard let name = words.first?.lowercased(), let listing = Self.listings.first(where: { $0.name == name }),
              words.dropFirst().allSatisfy({ Verbinder.optionParts($0) != nil }) else {
            throw ClientFailure(Self.usage, exitCode: ExitCode.validationFailure.rawValue)
        }
        var settings = settings
        settings.json = false
        let filters = Array(words.dropFirst())
        // The whole list: a spreadsheet of the first hundred rows would mislead the officer.
        let limit = filters.contains { $0.hasPrefix("limit=") } ? [] : ["limit=100000"]
        let connection = try settings.open()
        connection.queue(Verbinder.requestLine([listing.verb] + filters + limit))
        var records: [[(String, String)]] = []
        let status = try connection.readResponse { line in
            if let record = Shell.record(line), record.type == listing.record { records.append(record.fields) }
        }
        if isErrorLine(status) {
            printError(status.text)
            return ExitStatus.failed
        }
        let separator: Character = excel ? ";" : ","
        var bytes: [UInt8] = excel ? [0xEF, 0xBB, 0xBF] : []
        bytes += Array(Self.csv(records, separator: separator).utf8)
        Output.standard.write(bytes)
        Output.standard.flush()
        return ExitStatus.ok
    }

    /// The records as CSV text: a header of every field name in first-seen order, then one line
    /// per record, each line ended by CRLF.
    static func csv(_ records: [[(String, String)]], separator: Character) -> String {
        var columns: [String] = []
        var seen: Set<String> = []
        for record in records {
            for (name, _) in record where seen.insert(name).inserted { columns.append(name) }
        }
        var text = columns.map { field($0, separator: separator) }.joined(separator: String(separator)) + "\r\n"
        for record in records {
            var values: [String: String] = [:]
            for (name, value) in record { values[name] = value }
            text += columns.map { field(values[$0] ?? "", separator: separator) }.joined(separator: String(separator)) + "\r\n"
        }
        return text
    }

    /// One field, quoted when it holds the separator, a quote or a line break. A text starting
    /// with a character a spreadsheet reads as a formula (`=`, `+`, `-`, `@`; not a number like
    /// `-4`) gets a leading `'`: a signal's text is somebody's words and must stay text.
    static func field(_ value: String, separator: Character) -> String {
        let formula = (value.first.map { "=+-@".contains($0) } ?? false) && Double(value) == nil
        let special = value.contains(separator) || value.contains("\"") || value.contains("\n") || value.contains("\r")
        let text = formula ? "'" + value : value
        guard special || formula else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
