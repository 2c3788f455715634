import Foundation

/// Something wrong in a CSV file: the line it is on (the header is line 1, a `sep=` line
/// before it counts), the column when one is to blame, and what is wrong.
struct CSVError: Error, Equatable {
    let line: Int
    var column: String? = nil
    let message: String

    /// `FILE:LINE: column "NAME": message`, as compilers write it, so editors can jump to it.
    func text(file: String) -> String {
        var text = "\(file):\(line): "
        if let column { text += "column \"\(column)\": " }
        return text + message
    }
}

/// One CSV record and the line it starts on.
struct CSVRow: Equatable {
    let line: Int
    let fields: [String]
}

/// The encodings a spreadsheet writes a CSV file in.
enum CSVEncoding: Equatable {
    case utf8
    /// What Excel on a Dutch Windows writes for "CSV (gescheiden door lijstscheidingsteken)".
    case windows1252
    /// Excel's "Unicode-tekst": UTF-16 with a byte-order mark.
    case utf16
}

/// Turns a file's bytes into text. UTF-8 (a byte-order mark is skipped) is taken as it is; a
/// file that is not valid UTF-8 is read as Windows-1252, the code page of Dutch Windows, when
/// it can be, so that "Súdwest-Fryslân" from Excel arrives as it was typed.
enum CSVDecoder {
    static func decode(_ bytes: [UInt8]) throws(CSVError) -> (text: String, encoding: CSVEncoding) {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            guard let text = String(data: Data(bytes), encoding: .utf16) else {
                throw CSVError(line: 1, message: "starts as UTF-16 but is not valid UTF-16 (save it as \"CSV UTF-8\")")
            }
            return (text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, .utf16)
        }
        let hasMark = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        let body = hasMark ? Array(bytes.dropFirst(3)) : bytes
        guard let bad = firstInvalidUTF8(body) else { return (String(decoding: body, as: UTF8.self), .utf8) }
        // A byte-order mark says UTF-8: a bad byte after it is damage, not another encoding.
        if hasMark {
            throw CSVError(line: lineOf(bad, in: body), message: "not valid UTF-8 (byte 0x\(hex(body[bad]))), though it starts with a UTF-8 byte-order mark")
        }
        if let undefined = body.firstIndex(where: { Windows1252.scalar($0) == nil }) {
            throw CSVError(line: lineOf(undefined, in: body),
                           message: "neither UTF-8 nor Windows-1252 (byte 0x\(hex(body[undefined]))); save it as \"CSV UTF-8\"")
        }
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(body.count)
        for byte in body { scalars.append(Windows1252.scalar(byte)!) }
        return (String(scalars), .windows1252)
    }

    /// The offset of the first byte that does not start a well-formed UTF-8 sequence, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    private static func lineOf(_ offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}

/// Windows code page 1252: Latin-1, except 0x80–0x9F, which hold €, ‚, „, …, ‘ ’ “ ” and more.
enum Windows1252 {
    /// 0x80 to 0x9F; nil where the code page defines no character (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    private static let high: [UInt32?] = [
        0x20AC, nil, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, nil, 0x017D, nil,
        nil, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, nil, 0x017E, 0x0178,
    ]

    static func scalar(_ byte: UInt8) -> Unicode.Scalar? {
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        return high[Int(byte - 0x80)].flatMap { Unicode.Scalar($0) }
    }
}

/// The records of a CSV file and what was wrong in the ones that could not be read.
struct CSVTable {
    var separator: Unicode.Scalar
    /// Readable records with at least one non-blank field, in file order.
    var rows: [CSVRow] = []
    /// Records that could not be read (a stray quote); reading went on at the next line.
    var errors: [CSVError] = []
}

/// RFC 4180 CSV as spreadsheets write it: the separator is `,`, `;` (Excel with Dutch regional
/// settings) or a tab, found in the header line (or given by Excel's `sep=;` first line); fields
/// in double quotes may hold separators, line breaks and doubled quotes; records end with CRLF
/// or LF. Blank records, and records of only separators (what Excel writes for a row it once
/// used), are skipped.
enum CSV {
    static let separators: [Unicode.Scalar] = [",", ";", "\t"]

    /// The separator the header line uses most outside quotes; `,` when it uses none.
    static func detectSeparator(_ scalars: ArraySlice<Unicode.Scalar>) -> Unicode.Scalar {
        var counts: [Unicode.Scalar: Int] = [:]
        var quoted = false
        for scalar in scalars {
            if scalar == "\"" { quoted.toggle(); continue }
            if !quoted && (scalar == "\n" || scalar == "\r") { break }
            if !quoted, separators.contains(scalar) { counts[scalar, default: 0] += 1 }
        }
        return separators.max { counts[$0, default: 0] < counts[$1, default: 0] }.flatMap { counts[$0, default: 0] > 0 ? $0 : nil } ?? ","
    }

    static func parse(_ text: String) -> CSVTable {
        var scalars = Array(text.unicodeScalars)[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }  // a byte-order mark from spreadsheets
        var line = 1
        // Excel's own hint, `sep=;` alone on the first line.
        var separator: Unicode.Scalar?
        let firstLine = scalars.prefix { $0 != "\n" && $0 != "\r" }
        if firstLine.count == 5, String(String.UnicodeScalarView(firstLine.prefix(4))).lowercased() == "sep=" {
            separator = firstLine.last
            scalars = scalars.dropFirst(5).drop { $0 == "\r" }
            if scalars.first == "\n" { scalars = scalars.dropFirst() }
            line = 2
        }
        var table = CSVTable(separator: separator ?? detectSeparator(scalars))
        var reader = Reader(scalars: scalars, separator: table.separator, line: line)
        while let result = reader.next() {
            switch result {
            case .success(let row):
                if row.fields.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) { table.rows.append(row) }
            case .failure(let error):
                table.errors.append(error)
            }
        }
        return table
    }

    /// Reads one record at a time; after a malformed one it goes on at the next line.
    private struct Reader {
        var scalars: ArraySlice<Unicode.Scalar>
        let separator: Unicode.Scalar
        var line: Int
        var index: Int

        init(scalars: ArraySlice<Unicode.Scalar>, separator: Unicode.Scalar, line: Int) {
            self.scalars = scalars
            self.separator = separator
            self.line = line
            index = scalars.startIndex
        }

        var atEnd: Bool { index >= scalars.endIndex }

        /// At a record's end: LF, CRLF, or a lone CR at the end of the file.
        func endsRecord(_ at: Int) -> Bool {
            guard at < scalars.endIndex else { return true }
            if scalars[at] == "\n" { return true }
            return scalars[at] == "\r" && (at + 1 == scalars.endIndex || scalars[at + 1] == "\n")
        }

        /// Moves past the record's end (LF or CRLF).
        mutating func skipRecordEnd() {
            if index < scalars.endIndex, scalars[index] == "\r" { index += 1 }
            if index < scalars.endIndex, scalars[index] == "\n" { index += 1; line += 1 }
        }

        /// Moves past the rest of the physical line, after an error.
        mutating func skipLine() {
            while index < scalars.endIndex, scalars[index] != "\n" { index += 1 }
            if index < scalars.endIndex { index += 1; line += 1 }
        }

        mutating func next() -> Result<CSVRow, CSVError>? {
            guard !atEnd else { return nil }
            let rowLine = line
            var fields: [String] = []
            while true {
                var field = String.UnicodeScalarView()
                if index < scalars.endIndex, scalars[index] == "\"" {
                    // A quoted field runs to the quote that is not doubled.
                    index += 1
                    var closed = false
                    while index < scalars.endIndex {
                        let scalar = scalars[index]
                        if scalar == "\"" {
                            if index + 1 < scalars.endIndex, scalars[index + 1] == "\"" {
                                field.append("\"")
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if scalar == "\n" { line += 1 }
                        field.append(scalar)
                        index += 1
                    }
                    if !closed {
                        return .failure(CSVError(line: rowLine, message: "a quoted field is not closed (it runs to the end of the file)"))
                    }
                    if !endsRecord(index), scalars[index] != separator {
                        let error = CSVError(line: line, message: "unexpected character after a closing quote (double a quote inside a quoted field: \"\")")
                        skipLine()
                        return .failure(error)
                    }
                } else {
                    while !endsRecord(index), scalars[index] != separator {
                        if scalars[index] == "\"" {
                            let error = CSVError(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)")
                            skipLine()
                            return .failure(error)
                        }
                        field.append(scalars[index])
                        index += 1
                    }
                }
                fields.append(String(field))
                if endsRecord(index) {
                    skipRecordEnd()
                    return .success(CSVRow(line: rowLine, fields: fields))
                }
                index += 1  // the separator
            }
        }
    }
}
