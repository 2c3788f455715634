import CLibPQ

/// The rows of a statement, read from libpq's `PGresult` as text (NULL as `nil`).
///
/// The result is kept as libpq made it and values are decoded when asked for: turning every
/// value into a `String` first cost more than the decoding itself (an integer is parsed from
/// its bytes without one). libpq documents a `PGresult` as read-only after creation, safe to
/// pass between threads; ``Storage`` frees it exactly once, when the last copy goes.
public struct QueryResult: Sendable {
    public let columns: [String]
    private let storage: Storage?
    public let count: Int
    /// For INSERT/UPDATE/DELETE: the number of rows the statement touched.
    public let affectedRows: Int

    /// A statement that returned no rows (`INSERT`, `UPDATE`, `DELETE`, DDL).
    init(affectedRows: Int) {
        columns = []
        storage = nil
        count = 0
        self.affectedRows = affectedRows
    }

    /// Takes over `result` (the caller must not clear it).
    init(owning result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        storage = Storage(result)
        count = Int(PQntuples(result))
        affectedRows = count
    }

    public var isEmpty: Bool { count == 0 }

    /// Typed access to one row.
    public subscript(row: Int) -> Row {
        precondition(row >= 0 && row < count, "row \(row) of \(count)")
        // A result with rows always has its storage.
        return Row(storage: storage!, row: Int32(row), columns: columns)
    }

    /// All rows, for iteration.
    public var all: [Row] { (0..<count).map { self[$0] } }

    /// Owns one `PGresult`.
    final class Storage: @unchecked Sendable {
        let result: OpaquePointer

        init(_ result: OpaquePointer) { self.result = result }

        deinit { PQclear(result) }
    }

    /// One row with typed decoding by column index.
    public struct Row: Sendable {
        private let storage: Storage
        private let row: Int32
        let columns: [String]

        init(storage: Storage, row: Int32, columns: [String]) {
            self.storage = storage
            self.row = row
            self.columns = columns
        }

        /// The row's values in column order (NULL as nil).
        public var values: [String?] { (0..<columns.count).map { text(at: $0) } }

        /// The value's bytes, nil for NULL.
        private func bytes(at index: Int) -> UnsafeBufferPointer<UInt8>? {
            precondition(index >= 0 && index < columns.count, "column \(index) of \(columns.count)")
            let column = Int32(index)
            if PQgetisnull(storage.result, row, column) == 1 { return nil }
            let length = Int(PQgetlength(storage.result, row, column))
            return PQgetvalue(storage.result, row, column).withMemoryRebound(to: UInt8.self, capacity: length) {
                UnsafeBufferPointer(start: $0, count: length)
            }
        }

        private func text(at index: Int) -> String? {
            bytes(at: index).map { String(decoding: $0, as: UTF8.self) }
        }

        public func string(_ index: Int) throws -> String {
            guard let value = text(at: index) else { throw decodingError(index, "text", nil) }
            return value
        }
        public func optionalString(_ index: Int) -> String? { text(at: index) }
        public func int(_ index: Int) throws -> Int {
            guard let bytes = bytes(at: index), let value = QueryResult.integer(bytes) else { throw decodingError(index, "integer", text(at: index)) }
            return value
        }
        public func optionalInt(_ index: Int) throws -> Int? {
            guard let bytes = bytes(at: index) else { return nil }
            guard let value = QueryResult.integer(bytes) else { throw decodingError(index, "integer", text(at: index)) }
            return value
        }
        public func bool(_ index: Int) throws -> Bool {
            if let bytes = bytes(at: index), bytes.count == 1 {
                if bytes[0] == UInt8(ascii: "t") { return true }
                if bytes[0] == UInt8(ascii: "f") { return false }
            }
            throw decodingError(index, "boolean", text(at: index))
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

    /// An integer in PostgreSQL's text form (`-42`), as `Int(_:)` reads it: an optional sign and
    /// at least one decimal digit, nil on anything else or past `Int`'s range.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value = 0
        while index < bytes.count {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            // Accumulated negatively so that Int.min, whose magnitude has no positive Int, reads.
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowMinus) = times.subtractingReportingOverflow(digit)
            guard !overflowTimes && !overflowMinus else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
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
