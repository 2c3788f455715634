import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Milestone reminders for cron workers (claimed under a lease, acknowledged once sent); the
/// people they go to are in ``ContactService``.
public final class ReminderService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// What a worker does with a reminder it leased, by the lease's token.
    public enum LeaseAction: Sendable {
        /// It was sent.
        case ack
        /// Keep the lease `seconds` longer.
        case touch(seconds: Int)
        /// Sending failed: retry after `seconds` (dead after five attempts).
        case release(retrySeconds: Int, error: String?)
        /// Give it back untouched (a dry run: no attempt counted).
        case undo

        var verb: String {
            switch self {
            case .ack: "ACK"
            case .touch: "TOUCH"
            case .release, .undo: "RELEASE"
            }
        }
    }

    /// Leases up to `limit` due reminders to `worker` for `leaseSeconds`; `holder` names the
    /// connection, so its leases end when it closes.
    public func claim(worker: String, holder: String, limit: Int, leaseSeconds: Int, _ scope: WriteScope,
                      completion: @escaping Completion<[Reminder]>) {
        let actor = writes.writer(scope)
        writes.pool.withConnection({ connection in
            try connection.transaction { tx in
                let claimed = try ReminderStore.claim(tx, worker: worker, holder: holder, limit: limit, leaseSeconds: leaseSeconds)
                if !claimed.isEmpty {
                    try Audit.record(tx, actor: actor, command: "REMINDERS CLAIM \(worker)",
                                     changes: ["reminders": claimed.map { String($0.id) }.joined(separator: ","), "action": "claim"])
                }
                return claimed
            }
        }, completion: completion)
    }

    /// Acts on a leased reminder if `token` holds its current lease: the reminder's state after,
    /// or `ERR CONFLICT` when the lease ended or was taken over. Audited; the token is not.
    public func act(_ action: LeaseAction, reminder id: Int, token: String, _ scope: WriteScope, completion: @escaping Completion<String>) {
        let statement = switch action {
        case .ack: ReminderStore.ack(id: id, token: token)
        case .touch(let seconds): ReminderStore.touch(id: id, token: token, leaseSeconds: seconds)
        case .release(let retry, let error): ReminderStore.release(id: id, token: token, retrySeconds: retry, error: error)
        case .undo: ReminderStore.undo(id: id, token: token)
        }
        let actor = writes.writer(scope)
        let verb = action.verb
        let command = "REMINDERS \(verb) \(id)" + (action.isUndo ? " undo=yes" : "")
        writes.pool.withConnection({ connection -> String in
            let state = try Audit.run(statement, on: connection, actor: actor, command: command,
                                      changes: ["reminder": String(id), "action": verb.lowercased()]).all.first?.string(0)
            guard let state else { throw ProtocolError(.conflict, "reminder \(id) is not leased with that token (the lease ended or was taken over)") }
            return state
        }, completion: completion)
    }

    /// Puts a dead reminder back in the queue.
    public func retry(_ id: Int, _ scope: WriteScope, answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["reminder": String(id), "action": "reminder retry"], sql: { tx in
            guard try ReminderStore.retry(tx, id: id) else {
                let exists = try ReminderStore.exists(tx, id: id)
                throw exists ? ProtocolError(.conflict, "reminder \(id) is not dead") : ProtocolError(.notFound, "no reminder \(id)")
            }
        }, answer: answer, completion: completion)
    }

    /// Reminders by state and milestone.
    public func list(state: ReminderState?, milestone: Int?, limit: Int, completion: @escaping Completion<[Reminder]>) {
        writes.read({ try ReminderStore.list($0, state: state, milestone: milestone, limit: limit) }, completion: completion)
    }

    /// A worker that went away: its reminders go back to the queue now, not when the lease ends.
    public func releaseLeases(holder: String, completion: @escaping Completion<Void>) {
        writes.read({ _ = try ReminderStore.releaseHolder($0, holder: holder) }, completion: completion)
    }
}

extension ReminderService.LeaseAction {
    var isUndo: Bool { if case .undo = self { true } else { false } }
}
