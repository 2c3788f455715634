/// A value in a record field. Text renders every kind as a token; JSON keeps the type.
public enum Value: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([String])

    /// The value as written in the text format (`yes`/`no` for booleans, lists comma-joined).
    public var text: String {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return Value.format(value)
        case .bool(let value): return value ? "yes" : "no"
        case .list(let values): return values.joined(separator: ",")
        }
    }

    static func format(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return "0" }
        let rounded = (value * 10_000).rounded() / 10_000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
}

/// One data line of a response: a lowercase record type and ordered `name=value` fields.
public struct Record: Sendable, Equatable {
    public var type: String
    public var fields: [(name: String, value: Value)]

    public init(_ type: String, _ fields: [(String, Value)] = []) {
        self.type = type
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Appends a field; `nil` values are left out, so optional data stays optional on the wire.
    public mutating func append(_ name: String, _ value: Value?) {
        if let value { fields.append((name: name, value: value)) }
    }

    /// The first field with this name.
    public subscript(name: String) -> Value? {
        fields.first { $0.name == name }?.value
    }

    public static func == (lhs: Record, rhs: Record) -> Bool {
        lhs.type == rhs.type && lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// A record to send as it is, with no type and fields: `EXPORT dot` lines and the like.
public extension Record {
    static func raw(_ line: String) -> Record { Record("", [("", .string(line))]) }
    var isRaw: Bool { type.isEmpty }
}
