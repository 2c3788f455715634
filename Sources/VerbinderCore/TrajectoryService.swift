import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Co-design trajectories and who takes part in them.
public final class TrajectoryService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// The canonical key of a trajectory, or `ERR NOTFOUND`.
    static func key(_ connection: Connection, _ text: String) throws -> String {
        guard let key = try WorkflowStore.trajectoryKey(connection, text) else {
            throw ProtocolError(.notFound, "no trajectory \(Quoting.quote(text))")
        }
        return key
    }

    /// Starts a trajectory; its lead becomes a stakeholder. `ERR CONFLICT` when the key is taken.
    public func add(_ trajectory: Trajectory, remind: String?, _ scope: WriteScope,
                    answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        let key = trajectory.key
        writes.commit(scope, audit: ["trajectory": key, "action": "add"], sql: { tx in
            if try WorkflowStore.trajectoryKey(tx, key) != nil {
                throw ProtocolError(.conflict, "a trajectory with key \(key) exists")
            }
            try WorkflowStore.insertTrajectory(tx, trajectory)
            if let remind { try WorkflowStore.setRemind(tx, trajectory: key, remind: remind) }
        }, answer: answer, completion: completion)
    }

    /// Changes a trajectory's fields (column name to value; nil clears) and themes; the answer
    /// gets its key.
    public func set(_ text: String, fields given: [String: String?], themes: [String]?, _ scope: WriteScope,
                    answer: @escaping Answer<String>, completion: @escaping Completion<Response>) {
        var fields = given
        if let themes { fields["themes"] = PostgresArray.literal(themes) }
        let changes = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value ?? "") })
        let frozen = fields
        writes.commit(scope, audit: changes.merging(["trajectory": text, "action": "set"]) { a, _ in a }, sql: { tx in
            let key = try Self.key(tx, text)
            guard let updated = try WorkflowStore.updateTrajectory(tx, key: key, fields: frozen) else {
                throw ProtocolError(.notFound, "no trajectory \(key)")
            }
            return updated.key
        }, answer: answer, completion: completion)
    }

    /// A trajectory with everything that belongs to it.
    public struct Detail: Sendable {
        public var trajectory: Trajectory
        public var stakeholders: [(node: String, role: StakeholderRole)]
        public var goals: [Goal]
        public var milestones: [Milestone]
        public var meetings: [Meeting]
    }

    /// One trajectory with its stakeholders, goals, milestones and meetings.
    public func detail(_ text: String, completion: @escaping Completion<Detail>) {
        writes.read({ connection in
            let key = try Self.key(connection, text)
            guard let trajectory = try WorkflowStore.trajectory(connection, key: key) else { throw ProtocolError(.notFound, "no trajectory \(key)") }
            return Detail(trajectory: trajectory, stakeholders: try WorkflowStore.stakeholders(connection, trajectory: key),
                          goals: try GoalStore.goals(connection, trajectory: key, state: nil, limit: 1000),
                          milestones: try WorkflowStore.milestones(connection, trajectory: key, filter: nil, owner: nil, limit: 1000),
                          meetings: try WorkflowStore.meetings(connection, node: nil, trajectory: key, from: nil, to: nil, axis: nil,
                                                               tripartiteOnly: false, limit: 1000))
        }, completion: completion)
    }

    /// Trajectories by kind, status, stakeholder and theme.
    public func list(kind: TrajectoryKind?, status: TrajectoryStatus?, node: String?, theme: String?, limit: Int,
                     completion: @escaping Completion<[Trajectory]>) {
        writes.read({ try WorkflowStore.trajectories($0, kind: kind, status: status, node: node, theme: theme, limit: limit) },
                    completion: completion)
    }

    /// Adds `node` to a trajectory in `role`; `ERR CONFLICT` when it takes part already.
    public func addStakeholder(_ text: String, node: String, role: StakeholderRole, _ scope: WriteScope,
                               answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["trajectory": text, "node": node, "role": role.rawValue, "action": "stakeholder add"], sql: { tx in
            let key = try Self.key(tx, text)
            if try WorkflowStore.isStakeholder(tx, trajectory: key, node: node) {
                throw ProtocolError(.conflict, "\(node) is already a stakeholder of \(key)")
            }
            try WorkflowStore.addStakeholder(tx, trajectory: key, node: node, role: role)
        }, answer: answer, completion: completion)
    }

    /// Takes `node` off a trajectory; the lead cannot leave (set another lead first).
    public func removeStakeholder(_ text: String, node: String, _ scope: WriteScope,
                                  answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["trajectory": text, "node": node, "action": "stakeholder remove"], sql: { tx in
            let key = try Self.key(tx, text)
            if try WorkflowStore.isLead(tx, trajectory: key, node: node) {
                throw ProtocolError(.conflict, "\(node) leads \(key); set another lead first")
            }
            guard try WorkflowStore.removeStakeholder(tx, trajectory: key, node: node) else {
                throw ProtocolError(.notFound, "\(node) is no stakeholder of \(key)")
            }
        }, answer: answer, completion: completion)
    }
}
