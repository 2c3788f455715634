/// How data lines are written on a connection (`FORMAT text|json`).
public enum OutputFormat: String, Sendable {
    case text
    case json

    /// One data line for the record, without the line ending.
    public func render(_ record: Record) -> String {
        if record.isRaw {
            let text = record.fields.first?.value.text ?? ""
            // JSON keeps one object per data line even for raw lines (EXPORT dot).
            return self == .json ? OutputFormat.renderJSON(Record("line", [("text", .string(text))])) : text
        }
        switch self {
        case .text: return OutputFormat.renderText(record)
        case .json: return OutputFormat.renderJSON(record)
        }
    }

    /// Appends the data line (without LF) as UTF-8 bytes: the hot path for text answers, with no
    /// intermediate Strings. Produces exactly the bytes of ``render(_:)``.
    public func write(_ record: Record, into bytes: inout [UInt8]) {
        if self == .text, record.isRaw, case .string(let line)? = record.fields.first?.value {
            bytes.append(contentsOf: line.utf8)
            return
        }
        guard self == .text, !record.isRaw else {
            bytes.append(contentsOf: render(record).utf8)
            return
        }
        bytes.append(contentsOf: record.type.utf8)
        for field in record.fields {
            bytes.append(0x20)
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(UInt8(ascii: "="))
            switch field.value {
            case .string(let value): OutputFormat.appendQuoted(value, into: &bytes)
            case .int(let value): bytes.append(contentsOf: String(value).utf8)
            default: OutputFormat.appendQuoted(field.value.text, into: &bytes)
            }
        }
    }

    static func appendQuoted(_ value: String, into bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            // Bare when it can be: not empty, no space, quote, backslash or control byte
            // (``Quoting/needsQuotes(_:)``).
            guard utf8.isEmpty || utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            bytes.append(UInt8(ascii: "\""))
            // The runs between escapes are copied whole.
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case UInt8(ascii: "\\"): bytes.append(byte); bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                default: bytes.append(contentsOf: Quoting.hexEscape(byte).utf8)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    static func renderText(_ record: Record) -> String {
        var line = record.type
        for field in record.fields {
            line += " "
            line += field.name
            line += "="
            line += Quoting.quote(field.value.text)
        }
        return line
    }

    static func renderJSON(_ record: Record) -> String {
        var line = "{\"type\":"
        JSON.appendString(record.type, to: &line)
        for field in record.fields {
            line += ","
            JSON.appendString(field.name, to: &line)
            line += ":"
            switch field.value {
            case .string(let value): JSON.appendString(value, to: &line)
            case .int(let value): line += String(value)
            case .double(let value): line += Value.format(value)
            case .bool(let value): line += value ? "true" : "false"
            case .list(let values):
                line += "["
                for (index, value) in values.enumerated() {
                    if index > 0 { line += "," }
                    JSON.appendString(value, to: &line)
                }
                line += "]"
            }
        }
        line += "}"
        return line
    }
}

/// The `OK` status line with optional fields (`OK rows=3`).
public struct Status: Sendable, Equatable {
    public var fields: [(name: String, value: Value)]
    /// Free words after `OK` (`OK pong`, `OK bye`), written before the fields.
    public var words: [String]

    public init(_ fields: [(String, Value)] = [], words: [String] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
        self.words = words
    }

    public static let ok = Status()

    public var line: String {
        var line = "OK"
        for word in words { line += " " + word }
        for field in fields { line += " \(field.name)=\(Quoting.quote(field.value.text))" }
        return line
    }

    public static func == (lhs: Status, rhs: Status) -> Bool { lhs.line == rhs.line }
}

/// Minimal JSON string escaping (RFC 8259): enough for our flat objects, no Foundation needed.
public enum JSON {
    /// The value as a JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out = ""
        appendString(value, to: &out)
        return out
    }

    static func appendString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
