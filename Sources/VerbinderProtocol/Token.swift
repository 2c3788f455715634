/// One token of a request line: a positional argument or a `name=value` option.
public enum Token: Equatable, Sendable {
    case argument(String)
    case option(name: String, value: String)
}

/// Splits a request line into tokens by the protocol's quoting rules.
///
/// Rules (docs/protocol.md, "Requests"):
/// - tokens are separated by spaces or tabs;
/// - a token that starts with `"` is quoted and always positional; inside it `\"`, `\\`,
///   `\n`, `\t` and `\xHH` (two hex digits, 01 to 7F: an ASCII character such as ESC `\x1b`)
///   are escapes, and the closing quote must end the token;
/// - a bare token that starts with a lowercase name (`[a-z][a-z0-9_]*`) and `=` is an
///   option; its value may be quoted the same way;
/// - a bare token may not contain `"` or `\` (write such a value quoted);
/// - NUL (a raw 0x00 byte anywhere, or `\x00`) is never part of a value: `ERR INVALID`.
public enum Tokenizer {
    /// Tokenizes a line given as UTF-8 bytes (without the line ending).
    /// Invalid UTF-8 is a syntax error, as is any other malformed token.
    public static func tokenize(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> [Token] {
        var tokens: [Token] = []
        var cursor = Cursor(bytes: Array(bytes))
        while true {
            cursor.skipBlanks()
            guard let first = cursor.peek else { break }
            if first == UInt8(ascii: "\"") {
                tokens.append(.argument(try cursor.quoted()))
            } else if let name = cursor.optionName() {
                let value = cursor.peek == UInt8(ascii: "\"") ? try cursor.quoted() : try cursor.bare()
                tokens.append(.option(name: name, value: value))
            } else {
                tokens.append(.argument(try cursor.bare()))
            }
        }
        return tokens
    }

    /// Tokenizes a Swift string (always valid UTF-8).
    public static func tokenize(_ line: String) throws(ProtocolError) -> [Token] {
        try tokenize(Array(line.utf8))
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

        mutating func skipBlanks() {
            while let byte = peek, Cursor.isBlank(byte) { index += 1 }
        }

        /// If the token at the cursor is `name=...`, consumes `name=` and returns the name.
        mutating func optionName() -> String? {
            var end = index
            guard end < bytes.count, (0x61...0x7A).contains(bytes[end]) else { return nil }
            while end < bytes.count {
                let byte = bytes[end]
                if (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == UInt8(ascii: "_") {
                    end += 1
                } else {
                    break
                }
            }
            guard end < bytes.count, bytes[end] == UInt8(ascii: "=") else { return nil }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            index = end + 1
            return name
        }

        mutating func bare() throws(ProtocolError) -> String {
            let start = index
            while let byte = peek, !Cursor.isBlank(byte) {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    throw ProtocolError(.syntax, "quote or backslash inside an unquoted token (quote the whole token)")
                }
                if byte == 0 { throw Cursor.nul }
                if byte < 0x20 || byte == 0x7F {
                    throw ProtocolError(.syntax, "control character in an unquoted token")
                }
                index += 1
            }
            return try Cursor.decode(bytes[start..<index])
        }

        mutating func quoted() throws(ProtocolError) -> String {
            index += 1 // opening quote
            var value: [UInt8] = []
            while true {
                guard let byte = peek else { throw ProtocolError(.syntax, "unbalanced quote") }
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    if let next = peek, !Cursor.isBlank(next) {
                        throw ProtocolError(.syntax, "closing quote must end the token")
                    }
                    return try Cursor.decode(value[...])
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { throw ProtocolError(.syntax, "unbalanced quote") }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""): value.append(escaped)
                    case UInt8(ascii: "\\"): value.append(escaped)
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "t"): value.append(0x09)
                    case UInt8(ascii: "x"):
                        guard index + 1 < bytes.count, let high = Cursor.hex(bytes[index]), let low = Cursor.hex(bytes[index + 1]) else {
                            throw ProtocolError(.syntax, "\\x takes two hex digits (\\x1b)")
                        }
                        index += 2
                        let code = high * 16 + low
                        if code == 0 { throw Cursor.nul }
                        guard code < 0x80 else { throw ProtocolError(.syntax, "\\x\(String(code, radix: 16)) is not ASCII (\\x01 to \\x7f; write other characters as UTF-8)") }
                        value.append(code)
                    case 0: throw Cursor.nul
                    default: throw ProtocolError(.syntax, "unknown escape \\\(Character(Unicode.Scalar(escaped))) (use \\\" \\\\ \\n \\t \\xHH)")
                    }
                case 0:
                    throw Cursor.nul
                default:
                    value.append(byte)
                }
            }
        }

        static let nul = ProtocolError(.invalid, "a value may not contain NUL (0x00)")

        static func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }

        static func decode(_ slice: ArraySlice<UInt8>) throws(ProtocolError) -> String {
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw ProtocolError(.syntax, "invalid UTF-8")
            }
            return text
        }
    }
}

/// Writes values so that ``Tokenizer`` reads them back unchanged (records and requests share the rule).
public enum Quoting {
    /// Whether `value` must be written in double quotes.
    public static func needsQuotes(_ value: String) -> Bool {
        if value.isEmpty { return true }
        for byte in value.utf8 {
            switch byte {
            case 0x20, 0x09, UInt8(ascii: "\""), UInt8(ascii: "\\"): return true
            case 0..<0x20, 0x7F: return true
            default: continue
            }
        }
        return false
    }

    /// The value as a token: bare when it can be, quoted with escapes otherwise.
    public static func quote(_ value: String) -> String {
        guard needsQuotes(value) else { return value }
        return "\"" + escaped(value, quotes: true) + "\""
    }

    /// The value with line breaks, tabs and every other control character written as escapes
    /// (`\n`, `\t`, `\xHH`), and with `quotes`, `"` and `\` too: on one line, and never a byte
    /// that moves a terminal's cursor.
    public static func escaped(_ value: String, quotes: Bool) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"" where quotes: out += "\\\""
            case "\\" where quotes: out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += Quoting.hexEscape(UInt8(scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `\xHH` (lower-case hex) for a control character without a letter escape (ESC is `\x1b`).
    public static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// A positional argument as a token. Unlike a value, an argument that looks like an
    /// option (`a=b`) must be quoted, or it would be read as an option.
    public static func quoteArgument(_ value: String) -> String {
        if !needsQuotes(value), looksLikeOption(value) { return "\"" + value + "\"" }
        return quote(value)
    }

    static func looksLikeOption(_ value: String) -> Bool {
        var sawName = false
        for byte in value.utf8 {
            if byte == UInt8(ascii: "=") { return sawName }
            let lower = (0x61...0x7A).contains(byte)
            let digitOrUnderscore = (0x30...0x39).contains(byte) || byte == UInt8(ascii: "_")
            if lower || (sawName && digitOrUnderscore) { sawName = true } else { return false }
        }
        return false
    }
}
