import NIOConcurrencyHelpers
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Finished answers of the commonest reads (`SHOW <node>`, `NEIGHBORS <node>` without
/// options), remembered for the state of the node they describe.
///
/// The graph is read far more often than it changes, and building and formatting the same
/// records again is most of what such a read costs. An entry holds the node's version
/// (`Graph.version(of:)`, which moves whenever the node, its relations or a neighbour's name,
/// tier or key change) and the graph's epoch (which moves on a reload): it is served only
/// while both are unchanged, so an answer from the cache is always the answer the graph gives
/// now, and a write elsewhere in the graph leaves it valid. Bounded: when full, it starts over.
final class RenderCache: Sendable {
    private struct Stamp: Equatable {
        var epoch: UInt64
        var node: NodeID
        var version: UInt64
    }

    private struct Entry {
        var stamp: Stamp
        var bytes: [UInt8]
    }

    // NIOLockedValueBox (a pthread mutex) rather than Synchronization.Mutex: the latter's futex
    // wait is invisible to ThreadSanitizer, which then reports the guarded dictionary as raced.
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// The answer for `request` (about the node `argument` names) in `format`, from the cache
    /// or made by `make` from the graph, under the graph's read lock either way.
    /// `today` is part of the key: whether a node has ended depends on the day.
    func answer(_ request: Request, about argument: String, format: OutputFormat, today: String, graph: LiveGraph,
                _ make: (borrowing Graph) throws -> Response) throws -> Response {
        let key = "\(format.rawValue) \(request.verb) \(today) \(Keys.fold(argument))"
        return try graph.read { graph, epoch in
            // Resolved every time: a name may point elsewhere after a rename.
            let node = try graph.require(argument)
            let id = graph.id(forKey: node.key)!
            let stamp = Stamp(epoch: epoch, node: id, version: graph.version(of: id))
            if let bytes = entries.withLockedValue({ $0[key].flatMap { $0.stamp == stamp ? $0.bytes : nil } }) {
                return Response(rendered: bytes, format: format)
            }
            let bytes = try make(graph).render(format)
            entries.withLockedValue { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[key] = Entry(stamp: stamp, bytes: bytes)
            }
            return Response(rendered: bytes, format: format)
        }
    }
}
