import Foundation
import Testing
import VerbinderProtocol
import VerbinderCore
@testable import VerbinderServer

/// The command table is the one place that says what each form of a command takes and needs:
/// the access table of docs/protocol.md says the same, and the argument counts hold.
@Suite("The command table")
struct CommandTableTests {
    static let table = CommandCatalog.table()

    /// The rows of "Command by command" in docs/protocol.md: command cell, needs cell.
    static let accessRows: [(commands: String, needs: String)] = {
        let lines = HelpDocumentTests.document.split(separator: "\n").map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| command | needs |") }) else { return [] }
        return lines[(header + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return (cells[1], cells[2])
        }
    }()

    static func permission(_ needs: String) -> Permission? {
        switch needs.split(separator: " ").first.map(String.init) {
        case "nothing": return .open
        case "any": return .authenticated
        case "read": return .read
        case "write": return .write
        case "send": return .send
        case "admin": return .admin
        default: return nil
        }
    }

    /// A request of each form a row names: `MILESTONE ADD`, then `DONE` (the same verb),
    /// `TRAJECTORY <key>` (the verb with an argument), `REMINDERS` (the verb alone).
    static func requests(_ cell: String) -> [Request] {
        let names = cell.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        var verb = ""
        var requests: [Request] = []
        for name in names {
            let words = name.split(separator: " ").map(String.init)
            if table.command(for: words[0]) != nil {
                verb = words[0]
                let rest = words.dropFirst().map { $0.hasPrefix("<") ? "x" : $0 }
                requests.append(Request(verb: verb, arguments: Array(rest)))
            } else if words[0].allSatisfy(\.isUppercase), !verb.isEmpty {
                requests.append(Request(verb: verb, arguments: [words[0]]))
            }
        }
        return requests
    }

    @Test func theAccessTableOfTheDocumentIsTheDeclaredOne() throws {
        #expect(CommandTableTests.accessRows.count > 20)
        var covered: Set<String> = []
        for row in CommandTableTests.accessRows {
            let needed = try #require(CommandTableTests.permission(row.needs), "\(row.needs)")
            let requests = CommandTableTests.requests(row.commands)
            #expect(!requests.isEmpty, "\(row.commands)")
            for request in requests {
                let command = try #require(CommandTableTests.table.command(for: request.verb))
                let form = command.form(for: request)
                #expect(form.permission == needed, "\(request.line): declared \(form.permission), documented \(needed)")
                covered.insert(request.verb)
            }
        }
        let verbs = Set(CommandTableTests.table.commands.map(\.verb))
        #expect(verbs.subtracting(covered).isEmpty, "not in the access table: \(verbs.subtracting(covered).sorted())")
    }

    @Test func aFormIsChosenByItsSubVerbAnyCase() throws {
        let milestone = try #require(CommandTableTests.table.command(for: "MILESTONE"))
        #expect(milestone.form(for: Request(verb: "MILESTONE", arguments: ["add", "t", "2027-01-01", "x"])).name == "MILESTONE ADD")
        #expect(milestone.form(for: Request(verb: "MILESTONE", arguments: ["HISTORY", "3"])).permission == .read)
        #expect(milestone.form(for: Request(verb: "MILESTONE", arguments: ["FOO"])).name == "MILESTONE")
        let trajectory = try #require(CommandTableTests.table.command(for: "TRAJECTORY"))
        #expect(trajectory.form(for: Request(verb: "TRAJECTORY", arguments: ["ka-twente"])).permission == .read)
        #expect(trajectory.form(for: Request(verb: "TRAJECTORY", arguments: ["SET", "ka-twente"])).permission == .write)
    }

    @Test func everyFormHasAUsageNamingItself() {
        for command in CommandTableTests.table.commands {
            for form in [command.form] + command.subcommands {
                #expect(form.usage.hasPrefix(form.name), "\(form.name): \(form.usage)")
                #expect(!form.summary.isEmpty, "\(form.name)")
            }
        }
    }

    @Test func arity() {
        #expect(Arity.exactly(2).allows(2) && !Arity.exactly(2).allows(3))
        #expect(Arity.atLeast(3).allows(9) && !Arity.atLeast(3).allows(2))
        #expect(Arity.between(1, 2).allows(1) && Arity.between(1, 2).allows(2) && !Arity.between(1, 2).allows(0))
    }
}

/// Each form takes exactly the options its usage line names (docs/protocol.md: "Each command
/// takes only the options listed in its usage line").
@Suite("The command table's options")
struct CommandOptionTests {
    /// `[limit=N]`, `kind=K`, and the `(fields: a, b)` of a `name=value...` form.
    static func optionsNamed(in usage: String) -> Set<String> {
        var names: Set<String> = []
        let characters = Array(usage)
        var index = 0
        while index < characters.count {
            if characters[index] == "=", index > 0 {
                var start = index
                while start > 0, characters[start - 1].isLowercase || characters[start - 1] == "_" { start -= 1 }
                let name = String(characters[start..<index])
                if !name.isEmpty, start == 0 || " [".contains(characters[start - 1]) { names.insert(name) }
            }
            index += 1
        }
        if let fields = usage.range(of: "(fields: ") {
            let list = usage[fields.upperBound...].prefix { $0 != ")" }
            names.remove("name")
            names.formUnion(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return names
    }

    @Test func everyFormTakesTheOptionsOfItsUsageLine() {
        for command in CommandTableTests.table.commands {
            if command.subcommands.isEmpty {
                #expect(command.options == Self.optionsNamed(in: command.usage), "\(command.verb): \(command.usage)")
                continue
            }
            for form in command.subcommands where form.name != command.verb {
                #expect(command.options(of: form) == Self.optionsNamed(in: form.usage), "\(form.name): \(form.usage)")
            }
        }
    }

    @Test func theUsageParserReadsEveryShape() {
        #expect(Self.optionsNamed(in: "MILESTONE MOVE <id> <YYYY-MM-DD> reason=\"...\"") == ["reason"])
        #expect(Self.optionsNamed(in: "SET <node> name=value... (fields: name, kind, tier)") == ["name", "kind", "tier"])
        #expect(Self.optionsNamed(in: "GAPS a|b [theme=T] [limit=N] | GAPS stale [days=180] [limit=N]") == ["theme", "limit", "days"])
        #expect(Self.optionsNamed(in: "PING").isEmpty)
    }
}
