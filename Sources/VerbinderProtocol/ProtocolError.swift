import VerbinderText

/// The protocol's error codes, as written on an `ERR` status line.
public enum ErrorCode: String, Sendable, CaseIterable {
    case syntax = "SYNTAX"
    case unknown = "UNKNOWN"
    case usage = "USAGE"
    case notFound = "NOTFOUND"
    case ambiguous = "AMBIGUOUS"
    case conflict = "CONFLICT"
    case invalid = "INVALID"
    case denied = "DENIED"
    case tooLong = "TOOLONG"
    case busy = "BUSY"
    case unavailable = "UNAVAILABLE"
    /// The connection to the database broke while a write committed, and the database could not
    /// be asked in time whether it did.
    case inDoubt = "INDOUBT"
    case internalError = "INTERNAL"
    case noPath = "NOPATH"
}

/// An error answered to the client as `ERR <CODE> <message>`, optionally after data lines
/// (for `AMBIGUOUS`, the candidates).
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    /// The message for people, written in the connection's language.
    public var text: Message
    public var records: [Record]

    public init(_ code: ErrorCode, _ text: Message, records: [Record] = []) {
        self.code = code
        self.text = text
        self.records = records
    }

    /// The message in English.
    public var message: String { text.english }

    /// The status line in English, without the line ending.
    public var statusLine: String { statusLine(in: .en) }

    /// The status line, without the line ending, its message in `language`. Line breaks in the
    /// message are flattened so the status stays one line; other control characters (but tab)
    /// are written `\xHH`, as in values, so no message can move a terminal's cursor.
    public func statusLine(in language: Language) -> String {
        let message = text.text(language)
        var flat = ""
        for scalar in message.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                flat.append(" ")
            } else if scalar != "\t", scalar.value < 0x20 || scalar.value == 0x7F {
                flat += Quoting.hexEscape(UInt8(scalar.value))
            } else {
                flat.unicodeScalars.append(scalar)
            }
        }
        return flat.isEmpty ? "ERR \(code.rawValue)" : "ERR \(code.rawValue) \(flat)"
    }

    public var description: String { statusLine }
}
