import Logging
import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore
import VerbinderText

/// Milestone reminders for cron workers.
enum ReminderCommands {
    static var all: [Command] { [reminders] }

    static func token(_ request: Request) throws(ProtocolError) -> (Int, String) {
        return (try WorkflowCommands.id(request.arguments[1], "reminder"), request.arguments[2])
    }

    /// Where a connection's leases are recorded, so closing it releases them.
    static func holder(_ services: Services, _ session: Session) -> String { "\(services.sync.instance):\(session.id)" }
    static func holder(_ context: CommandContext) -> String { holder(context.services, context.session) }

    /// A worker that went away: its reminders go back to the queue now, not when the lease ends.
    static func releaseLeases(of session: Session, services: Services, logger: Logger) {
        services.core.reminders.releaseLeases(holder: holder(services, session)) { result in
            if case .failure(let error) = result { logger.warning("could not release reminder leases: \(error)") }
        }
    }

    /// When a reminder comes, for people: `14 days before`, `1 day before`, `on the day itself`.
    static func ahead(_ rule: String) -> Message {
        guard let days = Int(rule.dropLast()), rule.hasSuffix("d") else { return Message(verbatim: rule) }
        switch days {
        case 0: return "on the day itself"
        case 1: return "1 day before"
        default: return "\(days) days before"
        }
    }

    /// The worker's record: the message in the connection's language (a worker sets `LANG`),
    /// naming the trajectory by its name; the key stays in `trajectory=`.
    static func deliveryRecord(_ r: Reminder, language: Language) -> Record {
        let overdue = r.rule == "overdue"
        let name = r.trajectoryName
        let subject: Message = overdue ? "Overdue milestone: \(r.title) (\(name))" : "Reminder: \(r.title) (\(name)) due \(r.due)"
        let text: Message = overdue
            ? "The milestone \"\(r.title)\" of trajectory \(name) was due on \(r.due) and is still open."
            : "The milestone \"\(r.title)\" of trajectory \(name) is due on \(r.due); this reminder comes \(ahead(r.rule))."
        return Record("reminder", [
            ("id", .int(r.id)), ("token", .string(r.token ?? "")), ("attempt", .int(r.attempt)), ("late", .bool(r.late)),
            ("milestone", .int(r.milestone)), ("trajectory", .string(r.trajectory)), ("due", .string(r.due)), ("rule", .string(r.rule)),
            ("to", .list(r.recipients)), ("subject", .string(subject.text(language))), ("text", .string(text.text(language))),
            ("idempotency_key", .string("reminder-\(r.id)@verbinder.vng.nl")), ("trajectory_name", .string(name)),
        ])
    }

    static func listRecord(_ r: Reminder) -> Record {
        var record = Record("reminder", [("id", .int(r.id)), ("state", .string(r.state.rawValue)), ("attempt", .int(r.attempt)),
                                         ("milestone", .int(r.milestone)), ("trajectory", .string(r.trajectory)), ("due", .string(r.due)),
                                         ("rule", .string(r.rule)), ("fire_at", .string(r.fireAt))])
        record.append("lease_until", r.leaseUntil.map(Value.string))
        record.append("last_error", r.lastError.map(Value.string))
        return record
    }

    static let reminders = Command(
        "REMINDERS", usage: "REMINDERS CLAIM|ACK|RELEASE|TOUCH|RETRY ... | REMINDERS [state=S] [milestone=N] [limit=N]",
        summary: "Milestone reminders for cron workers.",
        options: [.limit(), OptionSpec("lease", .duration(default: "5m", seconds: 10...86_400, message: nil)),
                  OptionSpec("retry", .duration(default: "10m", seconds: 0...604_800, message: nil)), .text("error"),
                  .choice("state", ReminderState.self, .listed), OptionSpec("milestone", .id("milestone")), .flag("undo")],
        subcommands: [
            .init("REMINDERS CLAIM", "REMINDERS CLAIM <worker> [limit=N] [lease=5m]",
                  "Lease up to N due reminders: reminder records with id, token, attempt, late, to, subject, text, idempotency_key; OK claimed=N.",
                  arity: .exactly(2), permission: .send, options: ["limit", "lease"]),
            .init("REMINDERS ACK", "REMINDERS ACK <id> <token>", "The reminder was sent (ERR CONFLICT unless the token holds the current lease).",
                  arity: .exactly(3), permission: .send, options: []),
            .init("REMINDERS RELEASE", "REMINDERS RELEASE <id> <token> [retry=10m] [error=\"...\"] [undo=yes]",
                  "Sending failed: retry later; dead after 5 attempts. undo=yes gives it back untouched (a dry run: no attempt counted).",
                  arity: .exactly(3), permission: .send, options: ["retry", "error", "undo"]),
            .init("REMINDERS TOUCH", "REMINDERS TOUCH <id> <token> [lease=5m]", "Extend a lease.", arity: .exactly(3), permission: .send,
                  options: ["lease"]),
            .init("REMINDERS RETRY", "REMINDERS RETRY <id>", "Put a dead reminder back in the queue.", arity: .exactly(2), permission: .write,
                  options: []),
            .init("REMINDERS", "REMINDERS [state=pending|leased|sent|dead|cancelled|superseded|expired] [milestone=N] [limit=N]", "List reminders.",
                  arity: .exactly(0), permission: .read, options: ["state", "milestone", "limit"]),
        ]
    ) { request, context in
        switch request.arguments.first?.uppercased() {
        case "CLAIM"?:
            let worker = request.arguments[1]
            let limit = context.options.number("limit") ?? 10
            let lease = context.options.measure("lease")
            let holder = holder(context)
            context.session.holdsLeases = true
            let scope = context.scope(request)
            let language = context.session.language
            return .later(context.future { context.core.reminders.claim(worker: worker, holder: holder, limit: limit, leaseSeconds: lease, scope, completion: $0) }
                .map { claimed in Response(records: claimed.map { deliveryRecord($0, language: language) }, status: Status([("claimed", .int(claimed.count))])) })
        case "ACK"?, "TOUCH"?, "RELEASE"?:
            let verb = request.arguments[0].uppercased()
            let (id, token) = try token(request)
            let lease = context.options.measure("lease")
            let retry = context.options.measure("retry")
            let error = context.options.text("error")
            let undo = context.options.flag("undo")
            // The table lets undo= through on RELEASE only; there it stands alone.
            if undo, context.options.given("error") || context.options.given("retry") {
                throw ProtocolError(.usage, "undo=yes goes with REMINDERS RELEASE <id> <token> alone")
            }
            let action: ReminderService.LeaseAction = switch verb {
            case "ACK": .ack
            case "TOUCH": .touch(seconds: lease)
            default: undo ? .undo : .release(retrySeconds: retry, error: error)
            }
            let scope = context.scope(request)
            return .later(context.future { context.core.reminders.act(action, reminder: id, token: token, scope, completion: $0) }
                .map { state in Response(status: Status([("id", .int(id)), ("state", .string(state))])) })
        case "RETRY"?:
            let id = try WorkflowCommands.id(request.arguments[1], "reminder")
            return context.write(request) { scope, done in
                context.core.reminders.retry(id, scope, answer: { Response(status: Status([("id", .int(id)), ("state", .string("pending"))])) },
                                             completion: done)
            }
        case nil:
            let state = context.options.choice("state", ReminderState.self)
            let milestone = context.options.number("milestone")
            let limit = context.options.number("limit") ?? 100
            return .later(context.future { context.core.reminders.list(state: state, milestone: milestone, limit: limit, completion: $0) }
                .map { list in Response(records: list.map(listRecord), status: Status([("rows", .int(list.count))])) })
        default:
            throw ProtocolError(.usage, "")
        }
    }
}
