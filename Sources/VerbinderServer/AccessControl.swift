import NIOConcurrencyHelpers
import NIOCore
import PQ
import VerbinderProtocol
import VerbinderStore

/// What a command needs. One place decides it for every verb: ``Permission/required(for:)``.
public enum Permission: Sendable {
    /// PING, HELP, AUTH, QUIT: allowed before authenticating.
    case open
    /// Any authenticated connection (FORMAT).
    case authenticated
    case read
    case write
    /// Claiming and acknowledging reminders.
    case send
    case admin

    public static func required(for request: Request) -> Permission {
        let sub = request.arguments.first?.uppercased() ?? ""
        switch request.verb {
        case "PING", "HELP", "AUTH", "QUIT": return .open
        case "FORMAT": return .authenticated
        case "ADD", "SET", "REMOVE", "LINK", "UNLINK", "ALIAS", "THEME", "STAKEHOLDER", "SIGNAL", "CONTACT", "BEGIN", "COMMIT", "ROLLBACK": return .write
        case "TRAJECTORY": return ["ADD", "SET"].contains(sub) ? .write : .read
        case "MILESTONE": return sub == "HISTORY" ? .read : .write
        case "MEETING": return ["PLAN", "NOTE", "HELD", "CANCEL", "FOLLOWUP"].contains(sub) ? .write : .read
        case "REMINDERS":
            if ["CLAIM", "ACK", "RELEASE", "TOUCH"].contains(sub) { return .send }
            return sub == "RETRY" ? .write : .read
        case "AUDIT": return .admin
        default: return .read
        }
    }
}

/// Token roles: reader (queries), connector (reader + writes and contacts), sender (reminders only), admin (all).
public enum Role: String, Sendable {
    case reader, connector, sender, admin

    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (_, .open), (_, .authenticated), (.admin, _): return true
        case (.reader, .read), (.connector, .read), (.connector, .write), (.sender, .send): return true
        default: return false
        }
    }

    /// Whether contacts' e-mail addresses may be shown.
    public var seesPersonalData: Bool { self == .connector || self == .admin || self == .sender }
}

/// The tokens in force, as this daemon knows them (names and roles only). With none, the
/// daemon is in protected mode: loopback clients only, with full rights, as Redis does it.
public final class AccessControl: Sendable {
    private let tokens = NIOLockedValueBox<[String: Role]>([:])
    private let loaded = NIOLockedValueBox(false)
    /// Serve non-loopback clients even without tokens (`--insecure-open`).
    public let insecureOpen: Bool

    public init(insecureOpen: Bool = false) {
        self.insecureOpen = insecureOpen
    }

    public var isProtected: Bool { tokens.withLockedValue { $0.isEmpty } }

    /// The role of a token in force; nil once revoked.
    public func role(of name: String) -> Role? { tokens.withLockedValue { $0[name] } }

    /// Reloads the tokens from the database (start-up, and on every change notice).
    public func reload(conninfo: String) {
        guard let connection = try? Connection(conninfo), let active = try? TokenStore.active(connection) else { return }
        connection.close()
        tokens.withLockedValue { $0 = active.compactMapValues(Role.init(rawValue:)) }
        loaded.withLockedValue { $0 = true }
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4: return address.ipAddress?.hasPrefix("127.") ?? false
        case .v6: return address.ipAddress == "::1" || (address.ipAddress?.hasPrefix("::ffff:127.") ?? false)
        }
    }
}

enum AccessCommands {
    static var all: [Command] { [auth, audit] }

    static let auth = Command(
        "AUTH", usage: "AUTH <token>", summary: "Authenticate with a token: OK role=R name=N. Five failures close the connection."
    ) { request, context in
        guard request.arguments.count == 1 else { throw ProtocolError(.usage, "") }
        let token = request.arguments[0]
        let session = NIOLoopBound(context.session, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(context.services.pool.withConnection(on: eventLoop) { try TokenStore.lookup($0, token: token) }
            .flatMap { found -> EventLoopFuture<Response> in
                let session = session.value
                if let found, let role = Role(rawValue: found.role) {
                    session.tokenName = found.name
                    session.role = role
                    session.actorName = found.name
                    session.authFailures = 0
                    return eventLoop.makeSucceededFuture(Response(status: Status([("role", .string(role.rawValue)), ("name", .string(found.name))])))
                }
                session.authFailures += 1
                let failures = session.authFailures
                // Slow down guessing: each failure waits longer; the fifth ends the connection.
                return eventLoop.scheduleTask(in: .milliseconds(Int64(200 * failures))) {
                    Response(error: ProtocolError(.denied, "invalid token"), closesConnection: failures >= 5)
                }.futureResult
            })
    }

    static let audit = Command(
        "AUDIT", usage: "AUDIT [node=<node>] [since=YYYY-MM-DD] [token=NAME] [limit=N]",
        summary: "The audit trail, newest first (admin only).", options: ["node", "since", "token", "limit"]
    ) { request, context in
        guard request.arguments.isEmpty else { throw ProtocolError(.usage, "") }
        let node = request.options["node"]
        let since = try WorkflowCommands.optionalDate(request, "since")
        let actor = request.options["token"]
        let limit = try request.intOption("limit", default: 100, range: 1...1000)
        return .later(WorkflowCommands.read(context) { connection in
            let rows = try TokenStore.audit(connection, node: node, since: since, actor: actor, limit: limit)
            let records = rows.map { row -> Record in
                var record = Record("audit", [("id", .int(row.id)), ("at", .string(row.at)), ("actor", .string(row.actor))])
                record.append("remote", row.remote.map(Value.string))
                record.append("connection", row.connection.map(Value.string))
                record.append("command", .string(row.command))
                record.append("changes", .string(row.changes))
                return record
            }
            return Response(records: records, status: Status([("rows", .int(records.count))]))
        })
    }
}
