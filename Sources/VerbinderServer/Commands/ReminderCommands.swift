import Logging
import NIOCore
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Milestone reminders for cron workers, and the contacts they go to.
enum ReminderCommands {
    static var all: [Command] { [reminders, contact, contacts] }

    static func seconds(_ request: Request, _ name: String, default value: String, range: ClosedRange<Int>) throws(ProtocolError) -> Int {
        guard let minutes = Durations.minutes(request.options[name] ?? value), range.contains(minutes * 60) else {
            throw ProtocolError(.invalid, "\(name)= is a duration like \(value) (\(range.lowerBound / 60)m to \(range.upperBound / 3600)h)")
        }
        return minutes * 60
    }

    static func token(_ request: Request) throws(ProtocolError) -> (Int, String) {
        return (try WorkflowCommands.id(request.arguments[1], "reminder"), request.arguments[2])
    }

    /// Where a connection's leases are recorded, so closing it releases them.
    static func holder(_ services: Services, _ session: Session) -> String { "\(services.sync.instance):\(session.id)" }
    static func holder(_ context: CommandContext) -> String { holder(context.services, context.session) }

    /// A worker that went away: its reminders go back to the queue now, not when the lease ends.
    static func releaseLeases(of session: Session, services: Services, eventLoop: any EventLoop, logger: Logger) {
        let holder = holder(services, session)
        services.pool.withConnection(on: eventLoop) { try ReminderStore.releaseHolder($0, holder: holder) }
            .whenComplete { result in
                if case .failure(let error) = result { logger.warning("could not release reminder leases: \(error)") }
            }
    }

    static func deliveryRecord(_ r: Reminder) -> Record {
        let overdue = r.rule == "overdue"
        let subject = overdue ? "Verlopen mijlpaal: \(r.title) (\(r.trajectory))" : "Herinnering: \(r.title) (\(r.trajectory)) op \(r.due)"
        let text = overdue
            ? "De mijlpaal \"\(r.title)\" van traject \(r.trajectory) had op \(r.due) klaar moeten zijn en staat nog open."
            : "De mijlpaal \"\(r.title)\" van traject \(r.trajectory) is op \(r.due) (herinnering \(r.rule) vooraf)."
        return Record("reminder", [
            ("id", .int(r.id)), ("token", .string(r.token ?? "")), ("attempt", .int(r.attempt)), ("late", .bool(r.late)),
            ("milestone", .int(r.milestone)), ("trajectory", .string(r.trajectory)), ("due", .string(r.due)), ("rule", .string(r.rule)),
            ("to", .list(r.recipients)), ("subject", .string(subject)), ("text", .string(text)),
            ("idempotency_key", .string("reminder-\(r.id)@verbinder.vng.nl")),
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
        options: ["limit", "lease", "retry", "error", "state", "milestone", "undo"],
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
        let pool = context.services.pool
        switch request.arguments.first?.uppercased() {
        case "CLAIM"?:
            let worker = request.arguments[1]
            let limit = try request.intOption("limit", default: 10, range: 1...1000)
            let lease = try seconds(request, "lease", default: "5m", range: 10...86_400)
            let holder = holder(context)
            let actor = context.actor
            context.session.holdsLeases = true
            return .later(pool.transaction(on: context.eventLoop) { tx in
                let claimed = try ReminderStore.claim(tx, worker: worker, holder: holder, limit: limit, leaseSeconds: lease)
                if !claimed.isEmpty {
                    try Audit.record(tx, actor: actor, command: "REMINDERS CLAIM \(worker)",
                                     changes: ["reminders": claimed.map { String($0.id) }.joined(separator: ","), "action": "claim"])
                }
                return claimed
            }.map { claimed in Response(records: claimed.map(deliveryRecord), status: Status([("claimed", .int(claimed.count))])) })
        case "ACK"?, "TOUCH"?, "RELEASE"?:
            let verb = request.arguments[0].uppercased()
            let (id, token) = try token(request)
            let lease = try seconds(request, "lease", default: "5m", range: 10...86_400)
            let retry = try seconds(request, "retry", default: "10m", range: 0...604_800)
            let error = request.options["error"]
            let undo = ["yes", "true", "1"].contains((request.options["undo"] ?? "no").lowercased())
            // The table lets undo= through on RELEASE only; there it stands alone.
            if undo, request.options["error"] != nil || request.options["retry"] != nil {
                throw ProtocolError(.usage, "undo=yes goes with REMINDERS RELEASE <id> <token> alone")
            }
            let statement = switch verb {
            case "ACK": ReminderStore.ack(id: id, token: token)
            case "TOUCH": ReminderStore.touch(id: id, token: token, leaseSeconds: lease)
            default: undo ? ReminderStore.undo(id: id, token: token)
                          : ReminderStore.release(id: id, token: token, retrySeconds: retry, error: error)
            }
            let actor = context.actor
            // Audited like every write; the lease token stays out of the audit.
            let command = "REMINDERS \(verb) \(id)" + (undo ? " undo=yes" : "")
            return .later(pool.withConnection(on: context.eventLoop) { connection -> String? in
                try Audit.run(statement, on: connection, actor: actor, command: command,
                              changes: ["reminder": String(id), "action": verb.lowercased()]).all.first?.string(0)
            }.flatMapThrowing { state in
                guard let state else { throw ProtocolError(.conflict, "reminder \(id) is not leased with that token (the lease ended or was taken over)") }
                return Response(status: Status([("id", .int(id)), ("state", .string(state))]))
            })
        case "RETRY"?:
            let id = try WorkflowCommands.id(request.arguments[1], "reminder")
            return .later(WorkflowCommands.write(context, request, audit: ["reminder": String(id), "action": "reminder retry"]) { tx in
                guard try ReminderStore.retry(tx, id: id) else {
                    let exists = try ReminderStore.exists(tx, id: id)
                    throw exists ? ProtocolError(.conflict, "reminder \(id) is not dead") : ProtocolError(.notFound, "no reminder \(id)")
                }
            }.answer { Response(status: Status([("id", .int(id)), ("state", .string("pending"))])) })
        case nil:
            let validStates = ["pending", "leased", "sent", "dead", "cancelled", "superseded", "expired"]
            let state = request.options["state"]?.lowercased()
            if let state, !validStates.contains(state) { throw ProtocolError(.invalid, "state= is one of: \(validStates.joined(separator: ", "))") }
            let milestone = try request.options["milestone"].map { try WorkflowCommands.id($0, "milestone") }
            let limit = try request.intOption("limit", default: 100, range: 1...1000)
            return .later(WorkflowCommands.read(context) { connection in
                let list = try ReminderStore.list(connection, state: state, milestone: milestone, limit: limit)
                return Response(records: list.map(listRecord), status: Status([("rows", .int(list.count))]))
            })
        default:
            throw ProtocolError(.usage, "")
        }
    }

    static let contact = Command(
        "CONTACT", usage: "CONTACT ADD|REMOVE|FORGET ...", summary: "Contacts: the people reminders go to.",
        permission: .write, options: ["role"],
        subcommands: [
            .init("CONTACT ADD", "CONTACT ADD <node> <name> <email> [role=...]", "Attach a contact person to a node: OK id=N.",
                  arity: .exactly(4), permission: .write, options: ["role"]),
            .init("CONTACT REMOVE", "CONTACT REMOVE <id>", "Remove a contact.", arity: .exactly(2), permission: .write, options: []),
            .init("CONTACT FORGET", "CONTACT FORGET <email>", "Erase a person everywhere; the audit keeps that it happened, not the address.",
                  arity: .exactly(2), permission: .write, options: []),
        ]
    ) { request, context in
        switch request.arguments.first?.uppercased() {
        case "ADD"?:
            let node = try WorkflowCommands.nodeKey(context, request.arguments[1])
            let name = request.arguments[2], email = request.arguments[3]
            guard email.split(separator: "@").count == 2, !email.contains(" ") else { throw ProtocolError(.invalid, "not an e-mail address") }
            let role = request.options["role"]
            return .later(WorkflowCommands.write(context, request, audit: ["node": node, "action": "contact add"],
                                                 auditCommand: "CONTACT ADD \(node) <name> <email>") { tx in
                try ReminderStore.addContact(tx, node: node, name: name, email: email, role: role)
            }.answer { id in Response(status: Status([("id", .int(id))])) })
        case "REMOVE"?:
            let id = try WorkflowCommands.id(request.arguments[1], "contact")
            return .later(WorkflowCommands.write(context, request, audit: ["contact": String(id), "action": "contact remove"]) { tx in
                guard try ReminderStore.removeContact(tx, id: id) else { throw ProtocolError(.notFound, "no contact \(id)") }
            }.answer { Response() })
        case "FORGET"?:
            let email = request.arguments[1]
            return .later(WorkflowCommands.write(context, request, audit: ["action": "contact forget"], auditCommand: "CONTACT FORGET <email>") { tx in
                try ReminderStore.forget(tx, email: email)
            }.answer { count in Response(status: Status([("removed", .int(count))])) })
        default:
            throw ProtocolError(.usage, "")
        }
    }

    static let contacts = Command(
        "CONTACTS", usage: "CONTACTS <node>", summary: "The contact persons of a node.", arity: .exactly(1)
    ) { request, context in
        let node = try WorkflowCommands.nodeKey(context, request.arguments[0])
        // E-mail addresses are personal data: only roles that need them see them.
        let showEmail = context.services.access.isProtected || context.session.role?.seesPersonalData == true
        return .later(WorkflowCommands.read(context) { connection in
            let list = try ReminderStore.contacts(connection, node: node)
            let records = list.map { contact -> Record in
                var record = Record("contact", [("id", .int(contact.id)), ("node", .string(contact.node)), ("name", .string(contact.name))])
                if showEmail { record.append("email", .string(contact.email)) }
                record.append("role", contact.role.map(Value.string))
                return record
            }
            return Response(records: records, status: Status([("rows", .int(records.count))]))
        })
    }
}
