import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderText

/// What a handler gets: the shared services, this connection's session and event loop.
public struct CommandContext {
    public let services: Services
    public let session: Session
    public let eventLoop: any EventLoop
    /// The request's `idem=` key, if it gave one (a write outside a batch).
    var idempotency: IdempotencyKey? = nil
    /// The request's options, checked against the command's declaration.
    var options: Options = .none
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
/// with their usage, summary, argument count, permission and the options each takes, the
/// options' types, and its handler. `HELP`, the access check, the checks of arguments and
/// options (`ERR USAGE`, `ERR INVALID`, `ERR TOOLONG`) and docs/protocol.md all come from this
/// declaration.
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
        /// The options this form takes, by name (their types are the command's); nil: all of the
        /// command's (a verb without sub-verbs, or the verb's own form).
        public let options: Set<String>?
        /// Options the form cannot do without: missing one is `ERR USAGE` with the usage line.
        public let required: Set<String>

        public init(_ name: String, _ usage: String, _ summary: String, arity: Arity?, permission: Permission,
                    options: Set<String>? = nil, required: Set<String> = []) {
            self.name = name
            self.usage = usage
            self.summary = summary
            self.arity = arity
            self.permission = permission
            self.options = options
            self.required = required
        }
    }

    /// The verb, upper-case (`FIND`).
    public let verb: String
    /// The verb's own form: for a verb with sub-verbs, what an unknown or missing sub-verb
    /// (or a form like `TRAJECTORY <key>`) gets.
    public let form: Form
    /// The options the command takes, with their types, by name; any other is `ERR USAGE`.
    public let optionSpecs: [String: OptionSpec]
    /// The names of the options the command takes.
    public var options: Set<String> { Set(optionSpecs.keys) }
    public let handler: Handler
    /// For verbs with sub-verbs (`TRAJECTORY ADD`, ...): one form each, in `HELP` order.
    public let subcommands: [Form]

    /// BEGIN, COMMIT and ROLLBACK: an error they answer does not abort the open batch (their
    /// handlers decide what becomes of it), where any other command's error does.
    public let controlsBatch: Bool

    public var usage: String { form.usage }
    public var summary: String { form.summary }

    public init(_ verb: String, usage: String, summary: String, arity: Arity? = nil, permission: Permission = .read,
                options: [OptionSpec] = [], subcommands: [Form] = [], controlsBatch: Bool = false, handler: @escaping Handler) {
        self.verb = verb
        self.controlsBatch = controlsBatch
        self.form = Form(verb, usage, summary, arity: arity, permission: permission)
        self.optionSpecs = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in
            preconditionFailure("option \(first.name)= of \(verb) declared twice")
        })
        self.subcommands = subcommands
        self.handler = handler
        for form in subcommands {
            let undeclared = (form.options ?? []).union(form.required).subtracting(optionSpecs.keys)
            precondition(undeclared.isEmpty, "\(form.name) takes options \(undeclared.sorted()) that \(verb) does not declare")
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

    /// Checks a request against the form it takes, before its handler runs: option names, the
    /// argument count, required options, the length of every value (so no SQL runs with a value
    /// the database would refuse, or index, only to answer INTERNAL), and each option's type.
    func check(_ request: Request, as form: Form) throws(ProtocolError) -> Options {
        let allowed = options(of: form)
        if let unknown = request.optionOrder.first(where: { !allowed.contains($0) }) {
            throw ProtocolError(.usage, "unknown option \(unknown)=; usage: \(form.usage)")
        }
        if let arity = form.arity, !arity.allows(request.arguments.count) {
            throw ProtocolError(.usage, "usage: \(form.usage)")
        }
        if !form.required.isEmpty, form.required.contains(where: { request.options[$0] == nil }) {
            throw ProtocolError(.usage, "usage: \(form.usage)")
        }
        try FieldLimits.check(request)
        return try Options.check(request, against: optionSpecs)
    }

    /// The `command` records `HELP` shows for this verb, their summaries in `language`.
    func helpRecords(in language: Language = .en) -> [(name: String, record: Record)] {
        (subcommands.isEmpty ? [form] : subcommands).map { entry in
            let summary = Summaries.summary(of: entry.name, english: entry.summary, in: language)
            return (entry.name, Record("command", [("name", .string(entry.name)), ("usage", .string(entry.usage)), ("summary", .string(summary))]))
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
    static let options: [String: Int] = ["name": short, "title": short, "place": short, "role": short, "email": email]

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
        "GOAL ADD": [(2, "text", long, true)],
        "GOAL PROGRESS": [(2, "value", long, true)],
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

/// `text` as a value of a closed vocabulary (any case), or `ERR INVALID <label> is not one of: ...`.
func closedValue<T: RawRepresentable & CaseIterable>(_ text: String, _ type: T.Type, label: String) throws(ProtocolError) -> T where T.RawValue == String {
    guard let value = T(rawValue: text.lowercased()) else { throw notOneOf(label, T.allCases.map(\.rawValue)) }
    return value
}

/// `ERR INVALID <label> is not one of: a, b, c`.
func notOneOf(_ label: String, _ words: [String]) -> ProtocolError {
    ProtocolError(.invalid, "\(label) is not one of: \(words.joined(separator: ", "))")
}

extension Graph {
    /// Resolves a `<node>` argument or throws `NOTFOUND` / `AMBIGUOUS` (with the candidates as records).
    public func require(_ text: String) throws(ProtocolError) -> Node {
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
