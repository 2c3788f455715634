import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Meetings: planned with their classification on the two axes, held, cancelled, followed up.
public final class MeetingService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Appends a note to a meeting.
    public func note(_ id: Int, text: String, _ scope: WriteScope, answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["meeting": String(id), "action": "meeting note"], sql: { tx in
            guard try WorkflowStore.meetingForUpdate(tx, id: id) != nil else { throw ProtocolError(.notFound, "no meeting \(id)") }
            try WorkflowStore.updateMeeting(tx, id: id, status: nil, appendNote: text, outcome: nil)
        }, answer: answer, completion: completion)
    }

    /// Records that a planned meeting was held (with its outcome; a held one may get its outcome
    /// later) or cancelled.
    public func close(_ id: Int, held: Bool, outcome: String?, _ scope: WriteScope,
                      answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["meeting": String(id), "action": held ? "meeting held" : "meeting cancel"], sql: { tx in
            guard let meeting = try WorkflowStore.meetingForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
            guard meeting.status == .planned || (held && meeting.status == .held && outcome != nil) else {
                throw ProtocolError(.conflict, "meeting \(id) is \(meeting.status.rawValue)")
            }
            // A meeting held before it starts would count in REPORT and hide its parties from GAPS stale.
            if held, let start = try WorkflowStore.startIfNotBegun(tx, id: id) {
                throw ProtocolError(.conflict, "the meeting starts \(start)")
            }
            try WorkflowStore.updateMeeting(tx, id: id, status: held ? .held : .cancelled, appendNote: nil, outcome: outcome)
        }, answer: answer, completion: completion)
    }

    /// A milestone born from a meeting, in the meeting's trajectory; the answer gets its id.
    public func followUp(_ id: Int, due: String, title: String, owner: String?, _ scope: WriteScope,
                         answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["meeting": String(id), "action": "meeting followup"], sql: { tx in
            guard let meeting = try WorkflowStore.meeting(tx, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
            guard let trajectory = meeting.trajectory else { throw ProtocolError(.conflict, "meeting \(id) belongs to no trajectory") }
            let milestone = try WorkflowStore.insertMilestone(tx, trajectory: trajectory, due: due, title: title, owner: owner,
                                                              remind: try WorkflowStore.trajectoryRemind(tx, key: trajectory), meeting: id)
            try ReminderStore.plan(tx, milestone: milestone)
            return milestone
        }, answer: answer, completion: completion)
    }

    /// One meeting.
    public func meeting(_ id: Int, completion: @escaping Completion<Meeting>) {
        writes.read({ connection in
            guard let meeting = try WorkflowStore.meeting(connection, id: id) else { throw ProtocolError(.notFound, "no meeting \(id)") }
            return meeting
        }, completion: completion)
    }

    /// A meeting to plan: when, how long, who, and its classification.
    public struct Plan: Sendable {
        public var trajectory: String?
        public var time: MeetingTime
        public var minutes: Int
        public var title: String
        public var place: String
        public var participants: [String]
        public var classification: MeetingClass
        /// Refuse (`ERR CONFLICT`, writing nothing) when a participant has an overlapping meeting.
        public var strict: Bool

        public init(trajectory: String?, time: MeetingTime, minutes: Int, title: String, place: String, participants: [String],
                    classification: MeetingClass, strict: Bool) {
            self.trajectory = trajectory
            self.time = time
            self.minutes = minutes
            self.title = title
            self.place = place
            self.participants = participants
            self.classification = classification
            self.strict = strict
        }
    }

    /// A planned meeting and what its agenda needs: the participants' overlapping meetings, and
    /// with a trajectory its stakeholders, the open milestones due before its next meeting and
    /// the open signals on its themes.
    public struct Planned: Sendable {
        public var meeting: Meeting
        public var conflicts: [(meeting: Meeting, node: String)]
        public var trajectory: Trajectory?
        public var stakeholders: [String]
        public var milestones: [Milestone]
        public var signals: [Signal]
        /// The contacts of the participants, for the `invite` records.
        public var contacts: [Contact]
    }

    /// Plans a meeting. `conflictRecords` makes the records of a strict refusal.
    public func plan(_ plan: Plan, _ scope: WriteScope, conflictRecords: @escaping @Sendable ([(meeting: Meeting, node: String)]) -> [Record],
                     answer: @escaping Answer<Planned>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["action": "meeting plan", "participants": plan.participants.joined(separator: ",")], sql: { tx -> Planned in
            let trajectory = try plan.trajectory.map { text -> Trajectory in
                let key = try TrajectoryService.key(tx, text)
                return try WorkflowStore.trajectory(tx, key: key)!
            }
            let conflicts = try WorkflowStore.conflicts(tx, participants: plan.participants, local: plan.time.local, offset: plan.time.offset,
                                                        minutes: plan.minutes)
            if plan.strict, !conflicts.isEmpty {
                throw ProtocolError(.conflict, "\(Set(conflicts.map(\.node)).count) participant(s) already have an overlapping meeting; nothing written",
                                    records: conflictRecords(conflicts))
            }
            let id = try WorkflowStore.insertMeeting(tx, trajectory: trajectory?.key, local: plan.time.local, offset: plan.time.offset,
                                                     minutes: plan.minutes, title: plan.title, place: plan.place,
                                                     axis: plan.classification.axis, tripartite: plan.classification.tripartite,
                                                     participants: plan.participants)
            var milestones: [Milestone] = []
            var signals: [Signal] = []
            var stakeholders: [String] = []
            if let trajectory {
                stakeholders = try WorkflowStore.stakeholders(tx, trajectory: trajectory.key).map(\.node)
                let next = try WorkflowStore.nextMeetingDate(tx, trajectory: trajectory.key, after: id)
                milestones = try WorkflowStore.milestones(tx, trajectory: trajectory.key, filter: .open, owner: nil, limit: 1000)
                    .filter { next == nil || $0.due < next! }
                if !trajectory.themes.isEmpty { signals = try WorkflowStore.openSignals(tx, themes: trajectory.themes) }
            }
            return Planned(meeting: try WorkflowStore.meeting(tx, id: id)!, conflicts: conflicts, trajectory: trajectory,
                           stakeholders: stakeholders, milestones: milestones, signals: signals,
                           contacts: try ContactStore.contacts(tx, nodes: plan.participants))
        }, answer: answer, completion: completion)
    }

    /// Meetings by start.
    public func list(node: String?, trajectory text: String?, from: String?, to: String?, axis: Axis?, tripartiteOnly: Bool, limit: Int,
                     completion: @escaping Completion<[Meeting]>) {
        writes.read({ connection in
            let key = try text.map { try TrajectoryService.key(connection, $0) }
            return try WorkflowStore.meetings(connection, node: node, trajectory: key, from: from, to: to, axis: axis,
                                              tripartiteOnly: tripartiteOnly, limit: limit)
        }, completion: completion)
    }
}
