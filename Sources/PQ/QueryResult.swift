import CLibPQ

/// The rows of a statement, copied out of libpq's `PGresult` as text (NULL kept as `nil`).
///
/// Copying keeps `PGresult` lifetimes trivially correct: the result is freed exactly once,
/// inside ``Connection``, before any caller sees the data.
public struct QueryResult: Sendable {
    public let columns: [String]
    /// Every value, row after row (`columns.count` a row): one array for the whole result
    /// rather than one a row, which cost more to make and free than the values themselves.
    private let values: [String?]
    public let count: Int
    /// For INSERT/UPDATE/DELETE: the number of rows the statement touched.
    public let affectedRows: Int

    init(columns: [String], rows: [[String?]], affectedRows: Int) {
        self.columns = columns
        values = rows.flatMap { $0 }
        count = rows.count
        self.affectedRows = affectedRows
    }

    init(copying result: OpaquePointer) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
        }
        self.values = values
        count = rowCount
        affectedRows = rowCount
    }

    public var isEmpty: Bool { count == 0 }

    /// Typed access to one row.
    public subscript(row: Int) -> Row {
        precondition(row >= 0 && row < count, "row \(row) of \(count)")
        return Row(storage: values, start: row * columns.count, columns: columns)
    }

    /// All rows, for iteration.
    public var all: [Row] { (0..<count).map { self[$0] } }

    /// One row with typed decoding by column index.
    public struct Row: Sendable {
        private let storage: [String?]
        private let start: Int
        let columns: [String]

        init(storage: [String?], start: Int, columns: [String]) {
            self.storage = storage
            self.start = start
            self.columns = columns
        }

        /// The row's values in column order (NULL as nil).
        public var values: [String?] { Array(storage[start..<start + columns.count]) }

        private func text(at index: Int) -> String? {
            precondition(index >= 0 && index < columns.count, "column \(index) of \(columns.count)")
            return storage[start + index]
        }

        public func string(_ index: Int) throws -> String {
            guard let value = text(at: index) else { throw decodingError(index, "text", nil) }
            return value
        }
        public func optionalString(_ index: Int) -> String? { text(at: index) }
        public func int(_ index: Int) throws -> Int {
            guard let text = text(at: index), let value = Int(text) else { throw decodingError(index, "integer", text(at: index)) }
            return value
        }
        public func optionalInt(_ index: Int) throws -> Int? {
            guard let text = text(at: index) else { return nil }
            guard let value = Int(text) else { throw decodingError(index, "integer", text) }
            return value
        }
        public func bool(_ index: Int) throws -> Bool {
            switch text(at: index) {
            case "t": return true
            case "f": return false
            default: throw decodingError(index, "boolean", text(at: index))
            }
        }
        public func double(_ index: Int) throws -> Double {
            guard let text = text(at: index), let value = Double(text) else { throw decodingError(index, "double", text(at: index)) }
            return value
        }
        /// A value of a closed vocabulary (a status, a kind): the column's text as the enum's raw value.
        public func value<T: RawRepresentable>(_ index: Int, as type: T.Type = T.self) throws -> T where T.RawValue == String {
            guard let text = text(at: index), let value = T(rawValue: text) else { throw decodingError(index, String(describing: T.self), text(at: index)) }
            return value
        }
        /// A PostgreSQL `text[]` in its text form (`{a,b,"c d"}`).
        public func textArray(_ index: Int) throws -> [String] {
            guard let text = text(at: index) else { return [] }
            guard let parsed = PostgresArray.parse(text) else { throw decodingError(index, "text[]", text) }
            return parsed
        }

        private func decodingError(_ index: Int, _ type: String, _ value: String?) -> PQError {
            let name = index < columns.count ? columns[index] : "#\(index)"
            return PQError(kind: .decoding, message: "column \(name): cannot decode \(value ?? "NULL") as \(type)")
        }
    }
}

/// The text form of one-dimensional PostgreSQL arrays, both ways.
public enum PostgresArray {
    /// Encodes strings as an array literal suitable for a `text[]` parameter.
    public static func literal(_ values: [String]) -> String {
        literal(optional: values.map(Optional.some))
    }

    /// Like ``literal(_:)``, with `nil` as a NULL element.
    public static func literal(optional values: [String?]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + values.reduce(0) { $0 + ($1?.utf8.count ?? 1) + 3 })
        out.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if let value { appendElement(value, to: &out) } else { out.append(contentsOf: "NULL".utf8) }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A quoted element: `"` and `\` get a backslash. Byte by byte, which is safe in UTF-8
    /// (neither byte occurs inside a multi-byte sequence) and, unlike walking `Character`s,
    /// cheap: a grouped `LINK` encodes a dozen arrays per statement.
    private static func appendElement(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Parses `{a,"b c",NULL}`; NULL elements are dropped. Returns nil on malformed input.
    public static func parse(_ text: String) -> [String]? {
        // Most arrays quote nothing (keys, themes): split them without the scalar walk below.
        let utf8 = text.utf8
        if utf8.first == UInt8(ascii: "{"), utf8.last == UInt8(ascii: "}"), utf8.count >= 2,
           !utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            let inner = text.utf8.dropFirst().dropLast()
            if inner.isEmpty { return [] }
            return inner.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).compactMap { item in
                let value = String(decoding: item, as: UTF8.self)
                return value == "NULL" ? nil : value
            }
        }
        var chars = Array(text.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { return nil }
        chars.removeFirst(); chars.removeLast()
        var result: [String] = []
        var index = 0
        while index < chars.count {
            var item = String.UnicodeScalarView()
            var quoted = false
            if chars[index] == "\"" {
                quoted = true
                index += 1
                while index < chars.count, chars[index] != "\"" {
                    if chars[index] == "\\", index + 1 < chars.count { index += 1 }
                    item.append(chars[index])
                    index += 1
                }
                guard index < chars.count else { return nil }
                index += 1
            } else {
                while index < chars.count, chars[index] != "," {
                    item.append(chars[index])
                    index += 1
                }
            }
            let value = String(item)
            if quoted || value != "NULL" { result.append(value) }
            if index < chars.count {
                guard chars[index] == "," else { return nil }
                index += 1
            }
        }
        return result
    }
}
