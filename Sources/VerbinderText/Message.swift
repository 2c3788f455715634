/// The language a person reads: Dutch by default (the users are Dutch civil servants), English
/// on request. Only texts for people change with it; record types, field names, codes and keys
/// never do.
public enum Language: String, Sendable, CaseIterable {
    case nl, en

    /// The language a locale name such as the `LANG` environment variable's stands for
    /// (`nl_NL.UTF-8` is Dutch, `en_GB` English); nil for any other (`C`, `de_DE`).
    public init?(locale: String) {
        let code = locale.prefix { $0.isLetter }.lowercased()
        guard let language = Language(rawValue: code) else { return nil }
        self = language
    }
}

/// A text for people, kept as its English template with the values put into it, so it can be
/// written in another language later: `"no node with key or name \(text)"` is the template
/// `no node with key or name {}` with one value. A value that is itself a `Message` is
/// translated too; any other value (a key, a name, a number) is written as it is.
///
/// A template without a translation is written as it is, with its messages translated: that
/// is how joined texts (`{}; {}`) and ``init(verbatim:)`` work.
public struct Message: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// A value put into the template.
    public indirect enum Argument: Sendable, Hashable {
        case text(String)
        case message(Message)
    }

    /// The English text with `{}` where each value goes.
    public let template: String
    public let arguments: [Argument]

    public init(template: String, arguments: [Argument]) {
        self.template = template
        self.arguments = arguments
    }

    /// A text that is never translated (a database's own message, a value given by a user).
    public init(verbatim text: String) {
        self.init(template: "{}", arguments: [.text(text)])
    }

    public init(stringLiteral value: String) {
        self.init(template: value, arguments: [])
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(template: stringInterpolation.template, arguments: stringInterpolation.arguments)
    }

    /// Records the literal parts as the template and each interpolated value as an argument.
    public struct StringInterpolation: StringInterpolationProtocol {
        var template = ""
        var arguments: [Argument] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            template.reserveCapacity(literalCapacity + 2 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { template += literal }

        public mutating func appendInterpolation(_ message: Message) {
            template += "{}"
            arguments.append(.message(message))
        }

        public mutating func appendInterpolation<T>(_ value: T) {
            template += "{}"
            arguments.append(.text(String(describing: value)))
        }
    }

    /// Messages one after the other, with `separator` between them (evidence joined by `; `).
    public static func joined(_ messages: [Message], separator: String) -> Message {
        Message(template: Array(repeating: "{}", count: messages.count).joined(separator: separator),
                arguments: messages.map(Argument.message))
    }

    /// Whether the text is empty.
    public var isEmpty: Bool { template.isEmpty && arguments.isEmpty }

    /// The text in `language`.
    public func text(_ language: Language) -> String {
        let pattern = language == .nl ? DutchTexts.messages[template] ?? template : template
        if arguments.isEmpty { return pattern }
        let values = arguments.map { argument -> String in
            switch argument {
            case .text(let text): return text
            case .message(let message): return message.text(language)
            }
        }
        return Message.fill(pattern, with: values)
    }

    /// The English text.
    public var english: String { text(.en) }

    public var description: String { english }

    /// `pattern` with `{}` replaced by the values in order, and `{1}`, `{2}`, ... by the value
    /// at that position (a translation may need another order).
    static func fill(_ pattern: String, with values: [String]) -> String {
        var result = ""
        var next = 0
        var index = pattern.startIndex
        while index < pattern.endIndex {
            let character = pattern[index]
            if character == "{", let close = pattern[index...].firstIndex(of: "}") {
                let inside = pattern[pattern.index(after: index)..<close]
                if inside.isEmpty, next < values.count {
                    result += values[next]
                    next += 1
                    index = pattern.index(after: close)
                    continue
                }
                if let position = Int(inside), position >= 1, position <= values.count {
                    result += values[position - 1]
                    index = pattern.index(after: close)
                    continue
                }
            }
            result.append(character)
            index = pattern.index(after: index)
        }
        return result
    }
}

/// HELP's summaries in a language: English as declared, Dutch from ``DutchTexts/summaries``.
public enum Summaries {
    public static func summary(of form: String, english: String, in language: Language) -> String {
        language == .nl ? DutchTexts.summaries[form] ?? english : english
    }
}
