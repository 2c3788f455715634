import NIOConcurrencyHelpers
import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderStore

/// `AUTH` and `AUDIT`: who a connection is, and what was written by whom.
enum AccessCommands {
    static var all: [Command] { [auth, audit] }

    static let auth = Command(
        "AUTH", usage: "AUTH <token>", summary: "Authenticate with a token: OK role=R name=N. Five failures close the connection.",
        arity: .exactly(1), permission: .open
    ) { request, context in
        let token = request.arguments[0]
        let session = NIOLoopBound(context.session, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return .later(context.future { context.core.tokens.authenticate(token, completion: $0) }
            .flatMap { found -> EventLoopFuture<Response> in
                let session = session.value
                if let found {
                    session.tokenName = found.name
                    session.role = found.role
                    session.actorName = found.name
                    session.authFailures = 0
                    return eventLoop.makeSucceededFuture(Response(status: Status([("role", .string(found.role.rawValue)), ("name", .string(found.name))])))
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
        summary: "The audit trail, newest first (admin only).", arity: .exactly(0), permission: .admin,
        // node= is matched as given: the audit keeps the keys of nodes that may be gone.
        options: [.text("node"), .date("since"), .text("token"), .limit()]
    ) { request, context in
        let node = context.options.text("node")
        let since = context.options.text("since")
        let actor = context.options.text("token")
        let limit = context.options.number("limit") ?? 100
        return .later(context.future { context.core.tokens.audit(node: node, since: since, actor: actor, limit: limit, completion: $0) }.map { rows in
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
