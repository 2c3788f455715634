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

    /// Signals by theme, kind and source (`nodes`: any of these sources).
    public func list(theme: String?, kind: SignalKind?, node: String?, nodes: [String]?, limit: Int, completion: @escaping Completion<[Signal]>) {
        writes.read({ try WorkflowStore.signals($0, theme: theme, kind: kind, node: node, nodes: nodes, openOnly: false, limit: limit) },
                    completion: completion)
    }

    /// For problem or need `id`: the solutions and examples on its theme from other sources,
    /// to be ranked by ``VerbinderGraph/Graph/matches(for:answers:limit:)``.
    public func matchCandidates(_ id: Int, completion: @escaping Completion<(signal: Signal, answers: [Signal])>) {
        writes.read({ connection in
            guard let signal = try WorkflowStore.signal(connection, id: id) else { throw ProtocolError(.notFound, "no signal \(id)") }
            guard signal.kind == .problem || signal.kind == .need else {
                throw ProtocolError(.invalid, "signal \(id) is a \(signal.kind.rawValue); MATCH takes a problem or a need")
            }
            let answers = try WorkflowStore.signals(connection, theme: signal.theme, kind: nil, node: nil, nodes: nil, openOnly: false, limit: 10_000)
                .filter { ($0.kind == .solution || $0.kind == .example) && Keys.fold($0.node) != Keys.fold(signal.node) }
            return (signal, answers)
        }, completion: completion)
    }
}
