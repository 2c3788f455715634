/// A parsed request: the verb, its positional arguments and its options.
///
/// `verb` is upper-cased (verbs are case-insensitive). Arguments keep their case.
public struct Request: Sendable, Equatable {
    public var verb: String
    public var arguments: [String]
    public var options: [String: String]
    /// Option names in the order they were given (for error messages and audit).
    public var optionOrder: [String]

    public init(verb: String, arguments: [String] = [], options: [String: String] = [:], optionOrder: [String]? = nil) {
        self.verb = verb
        self.arguments = arguments
        self.options = options
        self.optionOrder = optionOrder ?? options.keys.sorted()
    }

    /// Parses one request line (bytes without the line ending).
    /// Returns nil for lines that get no response: empty, blank, or starting with `#`.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> Request? {
        var start = bytes.startIndex
        while start < bytes.endIndex, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        if start == bytes.endIndex { return nil }
        if bytes[start] == UInt8(ascii: "#") { return nil }
        // The verb is a bare word: a quoted one could hold blanks or control bytes (found by the fuzzer).
        if bytes[start] == UInt8(ascii: "\"") { throw ProtocolError(.syntax, "a request starts with a bare command verb") }
        let tokens = try Tokenizer.tokenize(bytes)
        guard case .argument(let verb)? = tokens.first else {
            throw ProtocolError(.syntax, "a request starts with a command verb")
        }
        // Verbs usually arrive in capitals already; uppercased() would build a new string.
        let upper = verb.utf8.contains { (0x61...0x7A).contains($0) } ? verb.uppercased() : verb
        var request = Request(verb: upper, optionOrder: [])
        for token in tokens.dropFirst() {
            switch token {
            case .argument(let value):
                request.arguments.append(value)
            case .option(let name, let value):
                if request.options[name] != nil {
                    throw ProtocolError(.usage, "option \(name)= given twice")
                }
                request.options[name] = value
                request.optionOrder.append(name)
            }
        }
        return request
    }

    public static func parse(_ line: String) throws(ProtocolError) -> Request? {
        try parse(Array(line.utf8))
    }

    /// The request written back as a line (quoting as needed); used for audit and the client.
    public var line: String {
        var parts = [verb]
        parts += arguments.map(Quoting.quoteArgument)
        parts += optionOrder.compactMap { name in options[name].map { "\(name)=\(Quoting.quote($0))" } }
        return parts.joined(separator: " ")
    }
}
