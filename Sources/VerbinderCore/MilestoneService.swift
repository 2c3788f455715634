import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// A trajectory's planning: milestones, their moves and the reminders planned for them.
public final class MilestoneService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Adds a milestone to a trajectory, with its reminders (`remind` nil: the trajectory's
    /// rule), perhaps serving one of the trajectory's goals; the answer gets its id.
    public func add(trajectory text: String, due: String, title: String, owner: String?, remind given: String?, goal: Int? = nil,
                    _ scope: WriteScope, answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        var audit = ["trajectory": text, "due": due, "action": "milestone add"]
        if let goal { audit["goal"] = String(goal) }
        writes.commit(scope, audit: audit, sql: { tx in
            let key = try TrajectoryService.key(tx, text)
            if let goal { try GoalService.checkServes(tx, goal: goal, trajectory: key) }
            let remind = try given ?? WorkflowStore.trajectoryRemind(tx, key: key)
            let id = try WorkflowStore.insertMilestone(tx, trajectory: key, due: due, title: title, owner: owner, remind: remind, goal: goal)
            try ReminderStore.plan(tx, milestone: id)
            return id
        }, answer: answer, completion: completion)
    }

    /// A milestone and every change of it.
    public func history(_ id: Int, completion: @escaping Completion<(Milestone, [(at: String, change: String, old: String?, new: String?, reason: String?)])>) {
        writes.read({ connection in
            guard let milestone = try WorkflowStore.milestone(connection, id: id) else { throw ProtocolError(.notFound, "no milestone \(id)") }
            return (milestone, try WorkflowStore.history(connection, milestone: id))
        }, completion: completion)
    }

    /// Done, reopened, moved (to `due`) or cancelled, when its status allows; its reminders are
    /// planned again. The answer gets the milestone as it is now.
    public func transition(_ id: Int, to transition: MilestoneTransition, due: String?, reason: String?, note: String?, _ scope: WriteScope,
                           answer: @escaping Answer<Milestone>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["milestone": String(id), "action": "milestone \(transition.rawValue)"], sql: { tx in
            guard let milestone = try WorkflowStore.milestoneForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no milestone \(id)") }
            guard transition.isAllowed(from: milestone.status) else {
                let action = ["done": "mark it done", "reopen": "reopen it", "move": "move it", "cancel": "cancel it"][transition.rawValue]!
                throw ProtocolError(.conflict, "milestone \(id) is \(milestone.status.rawValue): cannot \(action)")
            }
            try WorkflowStore.transition(tx, id: id, to: transition, due: due, reason: reason, note: note)
            try ReminderStore.plan(tx, milestone: id)
            return try WorkflowStore.milestone(tx, id: id)!
        }, answer: answer, completion: completion)
    }

    /// Milestones, soonest first.
    public func list(trajectory text: String?, filter: MilestoneFilter?, owner: String?, limit: Int, completion: @escaping Completion<[Milestone]>) {
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try WorkflowStore.milestones(connection, trajectory: key, filter: filter, owner: owner, limit: limit)
        }, completion: completion)
    }

    /// Open milestones due within `days` and every overdue one, soonest first.
    public func due(withinDays days: Int, trajectory text: String?, owner: String?, theme: String?, limit: Int,
                    completion: @escaping Completion<[Milestone]>) {
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try WorkflowStore.due(connection, withinDays: days, trajectory: key, owner: owner, theme: theme, limit: limit)
        }, completion: completion)
    }
}
