import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// `CONTACT` and `CONTACTS`: the people of the graph, in their functions and portfolios.
enum ContactCommands {
    static var all: [Command] { [contact, contacts] }

    static let contact = Command(
        "CONTACT", usage: "CONTACT ADD|SET|REMOVE|FORGET ...", summary: "Contacts: the people to invite and to remind.",
        permission: .write,
        options: [.text("role"), .choice("function", ContactFunction.self), OptionSpec("themes", .themes), .text("name"), .text("email")],
        subcommands: [
            .init("CONTACT ADD", "CONTACT ADD <node> <name> <email> [function=other] [themes=t1,t2] [role=...]",
                  "Attach a contact person to a node, with their function and portfolio: OK id=N.",
                  arity: .exactly(4), permission: .write, options: ["role", "function", "themes"]),
            .init("CONTACT SET", "CONTACT SET <id> [name=...] [email=...] [function=...] [themes=t1,t2] [role=...]",
                  "Change a contact; themes= and role= empty clear them.",
                  arity: .exactly(2), permission: .write, options: ["name", "email", "role", "function", "themes"]),
            .init("CONTACT REMOVE", "CONTACT REMOVE <id>", "Remove a contact.", arity: .exactly(2), permission: .write, options: []),
            .init("CONTACT FORGET", "CONTACT FORGET <email>", "Erase a person everywhere; the audit keeps that it happened, not the address.",
                  arity: .exactly(2), permission: .write, options: []),
        ]
    ) { request, context in
        switch request.arguments.first?.uppercased() {
        case "ADD"?:
            let node = try WorkflowCommands.nodeKey(context, request.arguments[1])
            let name = request.arguments[2], email = request.arguments[3]
            try checkEmail(email)
            try checkName(name)
            let role = context.options.text("role")
            let function = context.options.choice("function", ContactFunction.self) ?? .other
            let themes = try portfolio(context) ?? []
            return context.write(request) { scope, done in
                context.core.contacts.add(node: node, name: name, email: email, role: role, function: function, themes: themes, scope,
                                          answer: { id in Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "SET"?:
            let id = try WorkflowCommands.id(request.arguments[1], "contact")
            let email = context.options.text("email"), name = context.options.text("name")
            if let email { try checkEmail(email) }
            if let name { try checkName(name) }
            let change = ContactChange(name: name, email: email, role: context.options.text("role"),
                                       function: context.options.choice("function", ContactFunction.self), themes: try portfolio(context))
            guard !change.isEmpty else { throw ProtocolError(.usage, "CONTACT SET needs one of name=, email=, function=, themes=, role=") }
            return context.write(request) { scope, done in
                context.core.contacts.set(id, change, scope, answer: { Response(status: Status([("id", .int(id))])) }, completion: done)
            }
        case "REMOVE"?:
            let id = try WorkflowCommands.id(request.arguments[1], "contact")
            return context.write(request) { scope, done in
                context.core.contacts.remove(id, scope, answer: { Response() }, completion: done)
            }
        case "FORGET"?:
            let email = request.arguments[1]
            return context.write(request) { scope, done in
                context.core.contacts.forget(email: email, scope, answer: { count in Response(status: Status([("removed", .int(count))])) },
                                             completion: done)
            }
        default:
            throw ProtocolError(.usage, "")
        }
    }

    static func checkEmail(_ email: String) throws(ProtocolError) {
        guard email.split(separator: "@", omittingEmptySubsequences: false).count == 2, !email.hasPrefix("@"), !email.hasSuffix("@"),
              !email.contains(where: \.isWhitespace) else { throw ProtocolError(.invalid, "not an e-mail address") }
    }

    static func checkName(_ name: String) throws(ProtocolError) {
        guard !name.allSatisfy(\.isWhitespace) else { throw ProtocolError(.invalid, "a contact needs a name") }
    }

    /// `themes=`: the portfolio's theme keys; empty clears it.
    static func portfolio(_ context: CommandContext) throws(ProtocolError) -> [String]? {
        guard let text = context.options.text("themes") else { return nil }
        if text.isEmpty { return [] }
        return try context.themes("themes")
    }

    static let contacts = Command(
        "CONTACTS", usage: "CONTACTS [<node>] [node=<node>] [function=<function>] [theme=<theme>] [limit=100]",
        summary: "Contact persons across the graph, by node, function and portfolio theme.", arity: .between(0, 1),
        options: [.node("node"), .choice("function", ContactFunction.self), OptionSpec("theme", .theme), .limit(100_000)]
    ) { request, context in
        guard request.arguments.isEmpty || !context.options.given("node") else {
            throw ProtocolError(.usage, "name the node once: CONTACTS <node> or CONTACTS node=<node>")
        }
        let node = try request.arguments.first.map { try WorkflowCommands.nodeKey(context, $0) } ?? context.node("node")
        let function = context.options.choice("function", ContactFunction.self)
        let theme = try context.theme()
        let limit = context.options.number("limit") ?? 100
        let showEmail = context.seesPersonalData
        return .later(context.future { context.core.contacts.find(node: node, function: function, theme: theme, limit: limit, completion: $0) }
            .map { found in
                let records = found.contacts.map { record($0, showEmail: showEmail) }
                return Response(records: records, status: Status([("rows", .int(records.count)), ("count", .int(found.total))]))
            })
    }

    /// A `contact` record; the address only for a connection that may see personal data.
    static func record(_ contact: Contact, showEmail: Bool) -> Record {
        var record = Record("contact", [("id", .int(contact.id)), ("node", .string(contact.node)), ("name", .string(contact.name))])
        if showEmail { record.append("email", .string(contact.email)) }
        record.append("role", contact.role.map(Value.string))
        record.append("function", .string(contact.function.rawValue))
        record.append("themes", .string(contact.themes.joined(separator: ",")))
        return record
    }
}
