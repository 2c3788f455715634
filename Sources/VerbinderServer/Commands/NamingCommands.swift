import Foundation
import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The names people use: aliases of nodes (ALIAS) and the theme vocabulary (THEMES, THEME).
/// Both live in PostgreSQL and in the in-memory graph; writes are audited like every write.
enum NamingCommands {
    static var all: [Command] { [alias, themes, theme] }

    /// Longest alias or theme label, in characters.
    static let maximumLength = 200

    static let alias = Command(
        "ALIAS", usage: "ALIAS ADD|REMOVE <node> <alias>", summary: "Other names of a node.", permission: .write,
        subcommands: [
            .init("ALIAS ADD", "ALIAS ADD <node> <alias>",
                  "Give a node another name people use (Den Haag, BZK): FIND searches it and every <node> argument resolves it.",
                  arity: .atLeast(3), permission: .write),
            .init("ALIAS REMOVE", "ALIAS REMOVE <node> <alias>", "Take an alias off a node.", arity: .atLeast(3), permission: .write),
        ]
    ) { request, context in
        let verb = request.arguments.first?.uppercased() ?? ""
        guard ["ADD", "REMOVE"].contains(verb) else { throw ProtocolError(.usage, "") }
        let alias = request.arguments.dropFirst(2).joined(separator: " ")
        let folded = Search.fold(alias)
        let node = try context.services.graph.read { graph throws(ProtocolError) -> Node in
            let node = try graph.require(request.arguments[1])
            guard verb == "ADD" else { return node }
            try validateText(alias, what: "an alias")
            if folded == Search.fold(node.name) || Keys.fold(alias) == Keys.fold(node.key) {
                throw ProtocolError(.conflict, "\(JSON.quoted(alias)) is the name or key of \(node.key)")
            }
            if node.aliases.contains(where: { Search.fold($0) == folded }) {
                throw ProtocolError(.conflict, "\(node.key) has the alias \(JSON.quoted(alias))")
            }
            if let other = graph.node(key: alias) {
                throw ProtocolError(.conflict, "\(JSON.quoted(alias)) is the key of \(other.key)")
            }
            return node
        }
        let key = node.key
        if verb == "REMOVE", !node.aliases.contains(where: { Search.fold($0) == folded }) {
            throw ProtocolError(.notFound, "\(JSON.quoted(alias)) is no alias of \(key)")
        }
        let adding = verb == "ADD"
        return context.write(request) { scope, done in
            context.core.graphChanges.alias(key, alias, adding: adding, scope, answer: { changed in
                guard changed else {
                    throw adding ? ProtocolError(.conflict, "\(key) has the alias \(JSON.quoted(alias))")
                                 : ProtocolError(.notFound, "\(JSON.quoted(alias)) is no alias of \(key)")
                }
                return Response(status: Status([("key", .string(key)), ("alias", .string(alias))]))
            }, completion: done)
        }
    }

    static let themes = Command(
        "THEMES", usage: "THEMES",
        summary: "The theme vocabulary: one theme record per theme (key, label, synonyms). Every theme= and themes= resolves through it.",
        arity: .exactly(0)
    ) { request, context in
        let records = context.services.graph.vocabulary.themes.sorted { $0.key < $1.key }.map(record)
        return .now(Response(records: records, status: Status([("rows", .int(records.count))])))
    }

    static let theme = Command(
        "THEME", usage: "THEME ADD <key> <label> [synonyms=a,b]", summary: "Extend the theme vocabulary.",
        permission: .write, options: [.text("synonyms")],
        subcommands: [
            .init("THEME ADD", "THEME ADD <key> <label> [synonyms=a,b]",
                  "Add a theme: a key of [a-z0-9-] words joined by -, a Dutch label, other words that mean it.",
                  arity: .atLeast(3), permission: .write),
        ]
    ) { request, context in
        guard request.arguments.first?.uppercased() == "ADD" else { throw ProtocolError(.usage, "") }
        let key = request.arguments[1]
        guard ThemeVocabulary.normalize(key) == key, !key.isEmpty, key.count <= 64 else {
            throw ProtocolError(.invalid, "a theme key is lower-case words of [a-z0-9] joined by - (like brede-welvaart)")
        }
        let label = request.arguments.dropFirst(2).joined(separator: " ")
        try validateText(label, what: "a label")
        var synonyms: [String] = []
        for word in (context.options.text("synonyms") ?? "").split(separator: ",") {
            let synonym = ThemeVocabulary.normalize(String(word))
            guard !synonym.isEmpty else { throw ProtocolError(.invalid, "synonym \(JSON.quoted(String(word))) has no letters or digits") }
            if synonym != key, !synonyms.contains(synonym) { synonyms.append(synonym) }
        }
        let vocabulary = context.services.graph.vocabulary
        for word in [key] + synonyms {
            if let owner = vocabulary.owner(of: word) {
                throw ProtocolError(.conflict, word == key ? "theme \(key) exists" : word == owner ? "\(word) is a theme of its own" : "\(word) already means theme \(owner)")
            }
        }
        let theme = Theme(key: key, label: label, synonyms: synonyms)
        return context.write(request) { scope, done in
            context.core.graphChanges.addTheme(theme, scope, answer: { Response(status: Status([("key", .string(key))])) }, completion: done)
        }
    }

    static func record(_ theme: Theme) -> Record {
        var record = Record("theme", [("key", .string(theme.key)), ("label", .string(theme.label))])
        if !theme.synonyms.isEmpty { record.append("synonyms", .list(theme.synonyms)) }
        return record
    }

    /// A name-like value: not blank, no control characters, at most ``maximumLength`` characters.
    static func validateText(_ text: String, what: String) throws(ProtocolError) {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { throw ProtocolError(.invalid, "\(what) must not be empty") }
        if text.count > maximumLength { throw ProtocolError(.tooLong, "\(what) has at most \(maximumLength) characters") }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ProtocolError(.invalid, "\(what) may not hold a line break, tab or other control character")
        }
    }
}
