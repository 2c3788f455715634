import ArgumentParser
import PQ
import VerbinderStore

/// `verbinderd token add|list|revoke`: manage access tokens in the database.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage access tokens (stored as SHA-256 hashes; a token is shown once).",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "A name for the token (who or what uses it).") var name: String
        @Option(help: "reader, connector, sender, admin or feed (the HTTP calendar feeds only).") var role: String

        func run() throws {
            guard TokenStore.roles.contains(role) else { throw ValidationError("--role is one of: \(TokenStore.roles.joined(separator: ", "))") }
            try withConnection(database) { connection in
                print(try TokenStore.add(connection, name: name, role: role))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and roles, never the tokens).")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            try withConnection(database) { connection in
                for token in try TokenStore.list(connection) {
                    print("token name=\(token.name) role=\(token.role) created=\(token.created)" + (token.revoked.map { " revoked=\($0)" } ?? ""))
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; connections using it lose their rights at once.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String

        func run() throws {
            try withConnection(database) { connection in
                guard try TokenStore.revoke(connection, name: name) else { throw ValidationError("no token in force named \(name)") }
                print("revoked \(name)")
            }
        }
    }
}

/// Opens the configured database (migrated), runs `body`, and stops an embedded cluster it started.
func withConnection(_ database: DatabaseOptions, _ body: (Connection) throws -> Void) throws {
    let logger = database.makeLogger()
    let (conninfo, cluster, _) = try database.resolveDatabase(logger: logger)
    defer { try? cluster?.stop() }
    try database.migrate(conninfo: conninfo, logger: logger)
    let connection = try Connection(conninfo)
    defer { connection.close() }
    try body(connection)
}
