import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol

/// What a handler gets: the shared services, this connection's session and event loop.
public struct CommandContext {
    public let services: Services
    public let session: Session
    public let eventLoop: any EventLoop
    /// The request's `idem=` key, if it gave one (a write outside a batch).
    var idempotency: IdempotencyKey? = nil
}

/// How many positional arguments a form of a command takes (a sub-verb counts as one).
public enum Arity: Sendable {
    case exactly(Int)
    case atLeast(Int)
    case between(Int, Int)

    func allows(_ count: Int) -> Bool {
        switch self {
        case .exactly(let n): return count == n
        case .atLeast(let n): return count >= n
        case .between(let low, let high): return (low...high).contains(count)
        }
    }
}

/// One verb of the protocol, declared once: its forms (the verb alone, or with each sub-verb)
/// with their usage, summary, argument count and permission, its options, and its handler.
/// `HELP`, the access check, `ERR USAGE` and docs/protocol.md all come from this declaration.
public struct Command: Sendable {
    public typealias Handler = @Sendable (Request, CommandContext) throws -> Reply

    /// One form of a command: `MILESTONE ADD`, or the verb itself.
    public struct Form: Sendable {
        /// `MILESTONE ADD`, or the verb.
        public let name: String
        /// The usage line, as in docs/protocol.md.
        public let usage: String
        public let summary: String
        /// Positional arguments, the sub-verb included; nil when the handler checks them
        /// (`PING` takes anything).
        public let arity: Arity?
        public let permission: Permission
        /// The options this form takes; nil: the command's (a verb without sub-verbs, or the
        /// verb's own form).
        public let options: Set<String>?

        public init(_ name: String, _ usage: String, _ summary: String, arity: Arity?, permission: Permission,
                    options: Set<String>? = nil) {
            self.name = name
            self.usage = usage
            self.summary = summary
            self.arity = arity
            self.permission = permission
            self.options = options
        }
    }

    /// The verb, upper-case (`FIND`).
    public let verb: String
    /// The verb's own form: for a verb with sub-verbs, what an unknown or missing sub-verb
    /// (or a form like `TRAJECTORY <key>`) gets.
    public let form: Form
    /// Option names the command takes; any other is `ERR USAGE`.
    public let options: Set<String>
    public let handler: Handler
    /// For verbs with sub-verbs (`TRAJECTORY ADD`, ...): one form each, in `HELP` order.
    public let subcommands: [Form]

    /// BEGIN, COMMIT and ROLLBACK: an error they answer does not abort the open batch (their
    /// handlers decide what becomes of it), where any other command's error does.
    public let controlsBatch: Bool

    public var usage: String { form.usage }
    public var summary: String { form.summary }

    public init(_ verb: String, usage: String, summary: String, arity: Arity? = nil, permission: Permission = .read,
                options: Set<String> = [], subcommands: [Form] = [], controlsBatch: Bool = false, handler: @escaping Handler) {
        self.verb = verb
        self.controlsBatch = controlsBatch
        self.form = Form(verb, usage, summary, arity: arity, permission: permission)
        self.options = options
        self.subcommands = subcommands
        // Every command checks the length of its values before it does anything else, so no
        // SQL runs with a value the database would refuse (or index) only to answer INTERNAL.
        self.handler = { request, context in
            try FieldLimits.check(request)
            return try handler(request, context)
        }
    }

    /// The form a request takes: the sub-verb's when its first argument names one, otherwise
    /// the verb's own.
    public func form(for request: Request) -> Form {
        guard !subcommands.isEmpty, let first = request.arguments.first else { return form }
        let name = verb + " " + first.uppercased()
        return subcommands.first { $0.name == name } ?? form
    }

    /// The options a request of `form` may give.
    public func options(of form: Form) -> Set<String> { form.options ?? options }

    /// The `command` records `HELP` shows for this verb.
    var helpRecords: [(name: String, record: Record)] {
        (subcommands.isEmpty ? [form] : subcommands).map { entry in
            (entry.name, Record("command", [("name", .string(entry.name)), ("usage", .string(entry.usage)), ("summary", .string(entry.summary))]))
        }
    }
}

/// The verbs the server knows, by upper-case name, in the order `HELP` lists them.
public struct CommandTable: Sendable {
    public private(set) var commands: [Command] = []
    private var byVerb: [String: Command] = [:]

    public init(_ commands: [Command]) {
        for command in commands { register(command) }
    }

    public mutating func register(_ command: Command) {
        precondition(byVerb[command.verb] == nil, "verb \(command.verb) registered twice")
        commands.append(command)
        byVerb[command.verb] = command
    }

    public func command(for verb: String) -> Command? { byVerb[verb] }
}

/// The most characters (Unicode code points, as PostgreSQL counts them) a value may have:
/// docs/protocol.md, Limits. Over the limit is `ERR TOOLONG <field> has at most N characters`.
enum FieldLimits {
    /// Names, aliases, titles, labels, places, roles, a worker's name.
    static let short = 200
    /// An e-mail address (RFC 5321's longest path).
    static let email = 254
    /// Notes, texts, goals, outcomes, reasons, errors, and any value not named here.
    static let long = 4000

    /// Options with a shorter limit than ``long``.
    static let options: [String: Int] = ["name": short, "title": short, "place": short, "role": short]

    /// Positional fields by verb and sub-verb: (first argument, field, limit); a field runs to the
    /// end of the arguments when it is the last one (a title or text of several words).
    static let arguments: [String: [(index: Int, field: String, limit: Int, rest: Bool)]] = [
        "ADD": [(1, "name", short, true)],
        "ALIAS ADD": [(2, "alias", short, true)],
        "ALIAS REMOVE": [(2, "alias", short, true)],
        "THEME ADD": [(2, "label", short, true)],
        "TRAJECTORY ADD": [(2, "name", short, true)],
        "MILESTONE ADD": [(3, "title", short, true)],
        "MEETING FOLLOWUP": [(3, "title", short, true)],
        "MEETING NOTE": [(2, "text", long, true)],
        "SIGNAL ADD": [(4, "text", long, true)],
        "CONTACT ADD": [(2, "name", short, false), (3, "email", email, false)],
        "REMINDERS CLAIM": [(1, "worker", short, false)],
    ]

    static func check(_ request: Request) throws(ProtocolError) {
        let sub = request.arguments.first.map { request.verb + " " + $0.uppercased() }
        let fields = sub.flatMap { arguments[$0] } ?? arguments[request.verb] ?? []
        var checked: Set<Int> = []
        for field in fields where field.index < request.arguments.count {
            let indices = field.rest ? Array(field.index..<request.arguments.count) : [field.index]
            let length = indices.reduce(0) { $0 + request.arguments[$1].unicodeScalars.count } + indices.count - 1
            if length > field.limit { throw tooLong(field.field, field.limit) }
            checked.formUnion(indices)
        }
        for (index, argument) in request.arguments.enumerated() where !checked.contains(index) {
            if argument.unicodeScalars.count > long { throw tooLong("argument \(index + 1)", long) }
        }
        for name in request.optionOrder {
            let limit = options[name] ?? long
            if let value = request.options[name], value.unicodeScalars.count > limit { throw tooLong(name + "=", limit) }
        }
    }

    static func tooLong(_ field: String, _ limit: Int) -> ProtocolError {
        ProtocolError(.tooLong, "\(field) has at most \(limit) characters")
    }
}

// MARK: - Option helpers shared by handlers

extension Request {
    /// An integer option within `range`; `default` when absent. Values above the range are clamped
    /// to its top (a listing's maximum), values below or non-numbers are `ERR INVALID`.
    func intOption(_ name: String, default value: Int, range: ClosedRange<Int>) throws(ProtocolError) -> Int {
        guard let text = options[name] else { return value }
        // A whole number too large for Int is still above the range: capped like any other.
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        if Int(text) == nil, !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            return range.upperBound
        }
        guard let number = Int(text), number >= range.lowerBound else {
            throw ProtocolError(.invalid, "\(name)= must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return min(number, range.upperBound)
    }

    /// An option drawn from a closed vocabulary.
    func enumOption<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(ProtocolError) -> T? where T.RawValue == String {
        guard let text = options[name] else { return nil }
        return try closedValue(text, T.self, label: "\(name)=\(text)")
    }

    /// A yes/no option (`yes`, `true` or `1` for yes, any case); no when absent.
    func flagOption(_ name: String) -> Bool {
        ["yes", "true", "1"].contains((options[name] ?? "no").lowercased())
    }
}

/// `text` as a value of a closed vocabulary (any case), or `ERR INVALID <label> is not one of: ...`.
func closedValue<T: RawRepresentable & CaseIterable>(_ text: String, _ type: T.Type, label: String) throws(ProtocolError) -> T where T.RawValue == String {
    guard let value = T(rawValue: text.lowercased()) else {
        throw ProtocolError(.invalid, "\(label) is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return value
}

extension Graph {
    /// Resolves a `<node>` argument or throws `NOTFOUND` / `AMBIGUOUS` (with the candidates as records).
    func require(_ text: String) throws(ProtocolError) -> Node {
        switch resolve(text) {
        case .found(let node):
            return node
        case .notFound:
            throw ProtocolError(.notFound, "no node with key or name \(Quoting.quote(text))")
        case .ambiguous(let nodes):
            throw ProtocolError(.ambiguous, "\(nodes.count) nodes are named \(Quoting.quote(text)); use a key",
                                records: nodes.map { Records.node($0) })
        }
    }
}
