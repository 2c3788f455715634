import VerbinderGraph
import VerbinderProtocol
import VerbinderText

/// What the value of an option must be, declared with the command that takes it.
///
/// The dispatcher checks every option a request gives against its type before the handler runs
/// (``OptionSpec/check(_:)``), so each type has one error text wherever it is used; handlers read
/// the checked values from ``Options``. Values that name something in the graph (a node, a
/// province, a theme) are checked for their form here and resolved by the handler, in the graph
/// it reads for the rest of the request.
public enum OptionType: Sendable {
    /// Free text (its length is checked with the other values: ``FieldLimits``).
    case text
    /// A date `YYYY-MM-DD` from 1900 to 9999.
    case date
    /// A date, or empty to clear it (`valid_to=`).
    case dateOrEmpty
    /// A whole number from the range's lower bound; a larger one is capped to the top (a listing's
    /// maximum), since asking for more than there may be is not an error.
    case count(ClosedRange<Int>)
    /// A whole number that must lie in the range (`depth=`).
    case level(ClosedRange<Int>)
    /// The positive id of a row (`milestone=`); the text names what it is.
    case id(String)
    /// One word of a closed vocabulary, in any case.
    case choice([String], ChoiceMessage)
    /// yes/no: `yes`, `true` or `1` (any case) is yes, anything else no.
    case flag
    /// A duration like `90m`, `2h` or `1d`, in seconds within the range; `default` when absent.
    /// `message` replaces the generic error text.
    case duration(default: String, seconds: ClosedRange<Int>, message: String?)
    /// A number of days like `14d` or `2w`; `default` when absent.
    case days(default: String)
    /// Reminder offsets like `14d,3d,0d`, normalised to whole days, largest first.
    case reminderOffsets
    /// Node kinds separated by commas (`via=`).
    case nodeKinds
    /// A node key or name; resolved by the handler.
    case node
    /// Node keys or names separated by commas; resolved by the handler.
    case nodes
    /// A province's key or name, or empty to clear; resolved by the handler.
    case province
    /// A word of the theme vocabulary; resolved by the handler.
    case theme
    /// Theme words separated by commas; resolved by the handler.
    case themes

    /// How a value outside a closed vocabulary is reported (each form is in use on the wire).
    public enum ChoiceMessage: Sendable {
        /// `kind=bogus is not one of: a, b`
        case assignment
        /// `kind "bogus" is not one of: a, b`
        case quoted
        /// `state= is one of: a, b`
        case listed
    }
}

/// The value an option was checked to have.
public enum OptionValue: Sendable, Equatable {
    case text(String)
    case number(Int)
    case flag(Bool)
    /// Given empty where that clears the field.
    case cleared
}

/// One option of a command: its name (without `=`) and its type.
public struct OptionSpec: Sendable {
    public let name: String
    public let type: OptionType

    public init(_ name: String, _ type: OptionType) {
        self.name = name
        self.type = type
    }

    public static func text(_ name: String) -> OptionSpec { OptionSpec(name, .text) }
    public static func date(_ name: String) -> OptionSpec { OptionSpec(name, .date) }
    public static func flag(_ name: String) -> OptionSpec { OptionSpec(name, .flag) }
    public static func node(_ name: String) -> OptionSpec { OptionSpec(name, .node) }
    /// `limit=`: from 1, capped to `maximum`.
    public static func limit(_ maximum: Int = 1000) -> OptionSpec { OptionSpec("limit", .count(1...maximum)) }
    public static func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type,
                                                                  _ message: OptionType.ChoiceMessage = .assignment) -> OptionSpec where T.RawValue == String {
        OptionSpec(name, .choice(T.allCases.map(\.rawValue), message))
    }

    /// Checks `text` against the type: the value the handler reads, or `ERR INVALID`.
    public func check(_ text: String) throws(ProtocolError) -> OptionValue {
        switch type {
        case .text, .node, .nodes, .theme, .themes:
            return .text(text)
        case .province:
            return text.isEmpty ? .cleared : .text(text)
        case .date, .dateOrEmpty:
            if text.isEmpty, case .dateOrEmpty = type { return .cleared }
            guard Validation.isDate(text) else { throw ProtocolError(.invalid, "\(name)= must be a date YYYY-MM-DD from 1900 to 9999") }
            return .text(text)
        case .count(let range):
            // A whole number too large for Int is still above the range: capped like any other.
            let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            if Int(text) == nil, !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
                return .number(range.upperBound)
            }
            guard let number = Int(text), number >= range.lowerBound else {
                throw ProtocolError(.invalid, "\(name)= must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return .number(min(number, range.upperBound))
        case .level(let range):
            guard let number = Int(text), range.contains(number) else {
                throw ProtocolError(.invalid, "\(name)= must be \(range.lowerBound) to \(range.upperBound)")
            }
            return .number(number)
        case .id(let what):
            guard let id = Int(text), id > 0 else { throw ProtocolError(.invalid, "\(what) id must be a positive number") }
            return .number(id)
        case .choice(let words, let message):
            let word = text.lowercased()
            guard words.contains(word) else {
                switch message {
                case .assignment: throw notOneOf("\(name)=\(text)", words)
                case .quoted: throw notOneOf("\(name) \(Quoting.quote(text))", words)
                case .listed: throw ProtocolError(.invalid, "\(name)= is one of: \(words.joined(separator: ", "))")
                }
            }
            return .text(word)
        case .flag:
            return .flag(["yes", "true", "1"].contains(text.lowercased()))
        case .duration(let fallback, let seconds, let message):
            // Durations.minutes counts up to Int.max minutes; in seconds that could overflow.
            guard let minutes = Durations.minutes(text), case (let value, false) = minutes.multipliedReportingOverflow(by: 60),
                  seconds.contains(value) else {
                throw ProtocolError(.invalid, message.map { Message(template: $0, arguments: []) }
                                    ?? "\(name)= is a duration like \(fallback) (\(seconds.lowerBound / 60)m to \(seconds.upperBound / 3600)h)")
            }
            return .number(value)
        case .days:
            guard let days = Durations.days(text) else { throw ProtocolError(.invalid, "\(name)= is a number of days like 14d or 2w") }
            return .number(days)
        case .reminderOffsets:
            guard let offsets = Durations.offsets(text) else { throw ProtocolError(.invalid, "\(name)= is a list like 14d,3d,0d") }
            return .text(offsets.map { "\($0)d" }.joined(separator: ","))
        case .nodeKinds:
            for word in text.split(separator: ",") where NodeKind(rawValue: word.lowercased()) == nil {
                throw ProtocolError(.invalid, "\(name)=\(word) is not a node kind (\(NodeKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return .text(text)
        }
    }

    /// The value an absent option stands for: the declared default of a duration or a number of days.
    var absentValue: OptionValue? {
        switch type {
        case .duration(let fallback, _, _): return Durations.minutes(fallback).map { .number($0 * 60) }
        case .days(let fallback): return Durations.days(fallback).map(OptionValue.number)
        default: return nil
        }
    }
}

/// The options of one request, checked against the command's declaration: handlers read typed
/// values here rather than the request's text.
public struct Options: Sendable {
    private let values: [String: OptionValue]
    private let specs: [String: OptionSpec]

    /// No options: the common case, and what a request without any gets.
    static let none = Options(values: [:], specs: [:])

    init(values: [String: OptionValue], specs: [String: OptionSpec]) {
        self.values = values
        self.specs = specs
    }

    /// Checks each option `request` gives against `specs` (every name is known: the dispatcher
    /// refused unknown ones), in the order they were given.
    static func check(_ request: Request, against specs: [String: OptionSpec]) throws(ProtocolError) -> Options {
        if request.options.isEmpty { return Options(values: [:], specs: specs) }
        var values: [String: OptionValue] = [:]
        for name in request.optionOrder {
            guard let text = request.options[name] else { continue }
            values[name] = try specs[name]?.check(text) ?? .text(text)
        }
        return Options(values: values, specs: specs)
    }

    /// Whether the request gave the option at all.
    func given(_ name: String) -> Bool { values[name] != nil }

    /// Whether the request gave no option.
    var isEmpty: Bool { values.isEmpty }

    /// The names of the options given.
    var names: Dictionary<String, OptionValue>.Keys { values.keys }

    /// A text value (free text, a checked date or offsets, or a word to resolve); nil when absent.
    func text(_ name: String) -> String? {
        if case .text(let text)? = values[name] { return text }
        return nil
    }

    /// A number (`count`, `level`, `id`, a duration in seconds, days); the declared default of a
    /// duration or a number of days when absent; nil otherwise.
    func number(_ name: String) -> Int? {
        if case .number(let number)? = values[name] ?? specs[name]?.absentValue { return number }
        return nil
    }

    /// A duration (in seconds) or a number of days: the given value, else the default its
    /// declaration names, so the default is written in one place.
    func measure(_ name: String) -> Int {
        guard let value = number(name) else { preconditionFailure("option \(name)= declares no default") }
        return value
    }

    /// A yes/no option; no when absent.
    func flag(_ name: String) -> Bool {
        if case .flag(let yes)? = values[name] { return yes }
        return false
    }

    /// A word of a closed vocabulary as its enum value; nil when absent.
    func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) -> T? where T.RawValue == String {
        text(name).flatMap(T.init(rawValue:))
    }

    /// A date that may be cleared: nil when absent, `.some(nil)` when given empty.
    func clearable(_ name: String) -> String?? {
        switch values[name] {
        case .cleared?: return .some(nil)
        case .text(let text)?: return .some(text)
        default: return nil
        }
    }

    /// A theme word resolved through the vocabulary; nil when absent.
    func theme(_ name: String = "theme", in vocabulary: ThemeVocabulary) throws(ProtocolError) -> String? {
        try text(name).map { text throws(ProtocolError) in try vocabulary.require(text) }
    }

    /// Theme words resolved through the vocabulary, in order, without duplicates; nil when absent.
    func themes(_ name: String = "themes", in vocabulary: ThemeVocabulary) throws(ProtocolError) -> [String]? {
        try text(name).map { text throws(ProtocolError) in try vocabulary.requireList(text) }
    }

    /// A node option resolved to its key (``Graph/require(_:)``); nil when absent.
    func node(_ name: String, in graph: borrowing Graph) throws(ProtocolError) -> String? {
        guard let text = text(name) else { return nil }
        return try graph.require(text).key
    }

    /// Node kinds of a `nodeKinds` option; empty when absent.
    func nodeKinds(_ name: String) -> Set<NodeKind> {
        Set((text(name) ?? "").split(separator: ",").compactMap { NodeKind(rawValue: $0.lowercased()) })
    }
}

extension CommandContext {
    /// A node option resolved to its key in the live graph; nil when absent.
    func node(_ name: String) throws -> String? {
        guard options.given(name) else { return nil }
        return try services.graph.read { try options.node(name, in: $0) }
    }

    /// A theme option resolved through the vocabulary; nil when absent.
    func theme(_ name: String = "theme") throws(ProtocolError) -> String? {
        guard options.given(name) else { return nil }
        return try options.theme(name, in: services.graph.vocabulary)
    }

    /// A themes option resolved through the vocabulary; nil when absent.
    func themes(_ name: String = "themes") throws(ProtocolError) -> [String]? {
        guard options.given(name) else { return nil }
        return try options.themes(name, in: services.graph.vocabulary)
    }
}
