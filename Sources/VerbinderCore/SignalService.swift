import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The problem analyses, solutions, examples and needs the VNG collects as mouthpiece.
public final class SignalService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Brings in a signal; the answer gets its id.
    public func add(node: String, kind: SignalKind, theme: String, text: String, _ scope: WriteScope,
                    answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["node": node, "kind": kind.rawValue, "theme": theme, "action": "signal add"], sql: { tx in
            try WorkflowStore.insertSignal(tx, node: node, kind: kind, theme: theme, text: text)
        }, answer: answer, completion: completion)
    }

    /// Signals by theme, kind, source (`nodes`: any of these sources), state and the party
    /// they were raised with.
    public func list(theme: String?, kind: SignalKind?, node: String?, nodes: [String]?, status: SignalStatus? = nil, raisedWith: String? = nil,
                     limit: Int, completion: @escaping Completion<[Signal]>) {
        writes.read({ try WorkflowStore.signals($0, theme: theme, kind: kind, node: node, nodes: nodes, openOnly: false, status: status,
                                                raisedWith: raisedWith, limit: limit) },
                    completion: completion)
    }

    /// One step on a signal's path (``SignalStatus/after(_:)``): `node` is the party it is
    /// raised with or that answered, `meeting` where it was raised, `text` the note, answer,
    /// outcome or reason. A step the signal's state does not allow is `ERR CONFLICT` and
    /// changes nothing. The answer gets the new state.
    public func step(_ id: Int, _ step: SignalStep, node: String?, meeting: Int?, text: String?, _ scope: WriteScope,
                     answer: @escaping Answer<SignalStatus>, completion: @escaping Completion<Response>) {
        var audit = ["signal": String(id), "action": "signal \(step.rawValue)"]
        if let node { audit["node"] = node }
        writes.commit(scope, audit: audit, sql: { tx in
            guard let signal = try WorkflowStore.signalForUpdate(tx, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            guard let next = signal.status.after(step) else { throw ProtocolError(.conflict, "signal \(id) is \(signal.status.rawValue)") }
            if let meeting {
                guard let found = try WorkflowStore.meeting(tx, id: meeting) else { throw ProtocolError(.notFound, "no meeting \(meeting)") }
                if found.status == .cancelled { throw ProtocolError(.conflict, "meeting \(meeting) is \(found.status.rawValue)") }
            }
            // Answered by the party it was raised with, unless someone else is named.
            let party = step == .answer ? (node ?? signal.raisedWith) : node
            try WorkflowStore.stepSignal(tx, id: id, to: next, node: party, meeting: meeting, text: text)
            return next
        }, answer: answer, completion: completion)
    }

    /// A signal and its steps, oldest first.
    public func signal(_ id: Int, completion: @escaping Completion<(signal: Signal, history: [SignalHistoryEntry])>) {
        writes.read({ connection in
            guard let signal = try WorkflowStore.signal(connection, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            return (signal, try WorkflowStore.signalHistory(connection, id: id))
        }, completion: completion)
    }

    /// Signals raised `days` or more days ago and not answered, per party.
    public func unanswered(days: Int, completion: @escaping Completion<[UnansweredSignals]>) {
        writes.read({ try WorkflowStore.unansweredSignals($0, days: days) }, completion: completion)
    }

    /// Signals raised at a meeting.
    public func raised(atMeeting meeting: Int, completion: @escaping Completion<[Signal]>) {
        writes.read({ try WorkflowStore.signalsRaised($0, atMeeting: meeting) }, completion: completion)
    }

    /// `MATCH`: for a problem or need, the solutions and practice examples on its theme from
    /// other nodes, ranked by how alike their sources are (``Graph/matches(for:answers:limit:)``),
    /// at most `limit`, each with its evidence. Only the ranked ones are read whole. Empty when
    /// the signal's node is not in the graph.
    public func match(_ id: Int, limit: Int, completion: @escaping Completion<(signal: Signal, answers: [(signal: Signal, match: SignalMatch)])>) {
        let graph = writes.graph
        writes.read({ connection in
            guard let signal = try WorkflowStore.signal(connection, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            guard signal.kind == .problem || signal.kind == .need else {
                throw ProtocolError(.invalid, "signal \(id) is a \(signal.kind.rawValue); MATCH takes a problem or a need")
            }
            let asking = Keys.fold(signal.node)
            let sources = try WorkflowStore.answerSources(connection, theme: signal.theme).filter { Keys.fold($0.node) != asking }
            let ranked = graph.read { graph -> [(id: Int, match: SignalMatch)] in
                guard let source = graph.id(forKey: signal.node) else { return [] }
                return graph.matches(for: source, answers: sources.map(\.node), limit: limit).map { (sources[$0.index].id, $0) }
            }
            let read = Dictionary(uniqueKeysWithValues: try WorkflowStore.signals(connection, ids: ranked.map(\.id)).map { ($0.id, $0) })
            // A ranked answer removed between the two reads is left out.
            return (signal, ranked.compactMap { answer in read[answer.id].map { ($0, answer.match) } })
        }, completion: completion)
    }
}
