import Synchronization
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Finished answers of the commonest reads (`SHOW <node>`, `NEIGHBORS <node>` without
/// options), remembered for the graph generation they were computed from.
///
/// The graph is read far more often than it changes, and building and formatting the same
/// records again is most of what such a read costs. An entry is good only for its
/// generation: any write to the graph makes every entry stale at once, so an answer from the
/// cache is always the answer the graph gives now. Bounded: when full, it starts over.
final class RenderCache: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var entries: [String: [UInt8]] = [:]
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// The answer for `request` in `format`, from the cache or made by `make` from the graph
    /// under the read lock.
    func answer(_ request: Request, format: OutputFormat, graph: LiveGraph,
                _ make: (borrowing Graph) throws -> Response) throws -> Response {
        let key = Self.key(request, format)
        return try graph.read { graph, generation in
            if let bytes = lookup(key, generation: generation) { return Response(rendered: bytes, format: format) }
            let response = try make(graph)
            let bytes = response.render(format)
            store(key, generation: generation, bytes: bytes)
            return Response(rendered: bytes, format: format)
        }
    }

    private func lookup(_ key: String, generation: UInt64) -> [UInt8]? {
        state.withLock { $0.generation == generation ? $0.entries[key] : nil }
    }

    private func store(_ key: String, generation: UInt64, bytes: [UInt8]) {
        state.withLock { state in
            if generation != state.generation {
                // Only a newer generation replaces the entries (a slow reader of an older
                // graph must not bring them back).
                guard generation > state.generation else { return }
                state = State(generation: generation)
            }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = bytes
        }
    }

    /// Keys fold the node key, so `SHOW gm0014` and `SHOW GM0014` share an entry.
    private static func key(_ request: Request, _ format: OutputFormat) -> String {
        "\(format.rawValue) \(request.verb) " + request.arguments.map(Keys.fold).joined(separator: " ")
    }
}
