import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The goals of a trajectory: added, reported on, met or dropped, each step dated and audited.
public final class GoalService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Adds an open goal to a trajectory; the answer gets its id.
    public func add(trajectory text: String, goal: String, indicator: String?, target: String?, by: String?, _ scope: WriteScope,
                    answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["trajectory": text, "action": "goal add"], sql: { tx in
            let key = try TrajectoryService.key(tx, text)
            return try GoalStore.insert(tx, trajectory: key, text: goal, indicator: indicator, target: target, by: by)
        }, answer: answer, completion: completion)
    }

    /// One step of a goal (``GoalState/after(_:)``): `value` is a progress report's value,
    /// `note` its note or the reason it is dropped. A step its state does not allow is
    /// `ERR CONFLICT goal <id> is <state>` and changes nothing. The answer gets the new state.
    public func step(_ id: Int, _ step: GoalStep, value: String?, note: String?, _ scope: WriteScope,
                     answer: @escaping Answer<GoalState>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["goal": String(id), "action": "goal \(step.rawValue)"], sql: { tx in
            guard let goal = try GoalStore.goalForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no goal \(id)") }
            guard let next = goal.state.after(step) else { throw ProtocolError(.conflict, "goal \(id) is \(goal.state.rawValue)") }
            try GoalStore.step(tx, id: id, step, value: value, note: note)
            return next
        }, answer: answer, completion: completion)
    }

    /// A goal and its progress reports, oldest first.
    public func goal(_ id: Int, completion: @escaping Completion<(goal: Goal, progress: [GoalProgress])>) {
        writes.read({ connection in
            guard let goal = try GoalStore.goal(connection, id: id) else { throw ProtocolError(.notFound, "no goal \(id)") }
            return (goal, try GoalStore.progress(connection, goal: id))
        }, completion: completion)
    }

    /// Goals by id, of a trajectory and/or in a state.
    public func list(trajectory text: String?, state: GoalState?, limit: Int, completion: @escaping Completion<[Goal]>) {
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try GoalStore.goals(connection, trajectory: key, state: state, limit: limit)
        }, completion: completion)
    }

    /// For a milestone that names the goal it serves: `ERR NOTFOUND` without the goal,
    /// `ERR INVALID` when it is another trajectory's, `ERR CONFLICT` when it was dropped (a
    /// milestone towards an abandoned goal plans work nobody wants).
    static func checkServes(_ connection: Connection, goal: Int, trajectory key: String) throws {
        guard let owner = try GoalStore.owner(connection, goal: goal) else { throw ProtocolError(.notFound, "no goal \(goal)") }
        guard owner.trajectory == key else {
            throw ProtocolError(.invalid, "goal \(goal) is a goal of \(owner.trajectory), not of \(key)")
        }
        if owner.state == .dropped { throw ProtocolError(.conflict, "goal \(goal) is \(owner.state.rawValue)") }
    }
}
