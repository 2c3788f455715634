import Foundation
import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// How a write's result becomes its answer; called inside the write's transaction, so an
/// answer kept for `idem=` is the one sent.
public typealias Answer<T> = @Sendable (T) throws -> Response

/// Changes to the stakeholder graph (nodes, relations, aliases, themes) and the searches that
/// need the database. Each change is locked by the keys it touches, written with its audit row,
/// applied to the in-memory graph and announced to the other daemons.
public final class GraphService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Adds `node` (its key is free: the caller checked the in-memory graph).
    public func add(_ node: Node, _ scope: WriteScope, answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        let key = node.key
        writes.commit(scope, locking: [key], audit: ["node": key, "action": "add"], announce: [.node(key: key)],
                      conflict: ProtocolError(.conflict, "a node with key \(key) exists"),
                      statement: GraphWrites.insertNode(node), apply: { graph, _ in graph.upsert(node) },
                      answer: { _ in try answer(()) }, completion: completion)
    }

    /// The fields of a node to change; nil leaves a field as it is, `""` clears an optional one.
    public struct NodeChange: Sendable {
        public var kind: NodeKind?
        public var name: String?
        public var tier: Tier?
        public var province: String?
        public var themes: [String]?
        public var note: String?
        public var validFrom: String?
        public var validTo: String?
        public var regionType: RegionType?

        public init(kind: NodeKind? = nil, name: String? = nil, tier: Tier? = nil, province: String? = nil, themes: [String]? = nil,
                    note: String? = nil, validFrom: String? = nil, validTo: String? = nil, regionType: RegionType? = nil) {
            self.regionType = regionType
            self.kind = kind
            self.name = name
            self.tier = tier
            self.province = province
            self.themes = themes
            self.note = note
            self.validFrom = validFrom
            self.validTo = validTo
        }
    }

    /// Changes node `key`; the answer gets the stored node, nil when it was removed meanwhile.
    /// A new kind or tier can move the node to another layer: its meetings are classified again.
    public func set(_ key: String, _ change: NodeChange, audit: [String: String], _ scope: WriteScope,
                    answer: @escaping Answer<Node?>, completion: @escaping Completion<Response>) {
        writes.commit(scope, locking: [key], audit: audit, announce: [.node(key: key)], sql: { tx -> Node? in
            let stored = try GraphWrites.updateNode(tx, key: key, kind: change.kind, name: change.name, tier: change.tier,
                                                    province: change.province, themes: change.themes, note: change.note,
                                                    validFrom: change.validFrom, validTo: change.validTo, regionType: change.regionType)
            if change.kind != nil || change.tier != nil { try WorkflowStore.reclassifyMeetings(tx, node: key) }
            return stored
        }, apply: { graph, stored in if let stored { graph.upsert(stored) } }, answer: answer, completion: completion)
    }

    /// Removes node `key` and its relations; the answer gets the number of relations removed.
    public func remove(_ key: String, _ scope: WriteScope, answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope, locking: [key], audit: ["node": key, "action": "remove"], announce: [.node(key: key)],
                      sql: { try GraphWrites.deleteNode($0, key: key) }, apply: { graph, _ in graph.remove(key: key) },
                      answer: answer, completion: completion)
    }

    /// Relates two nodes (`relation` is canonical and new: the caller checked the in-memory
    /// graph). Outside a transaction and without `idem=`, concurrent links share one statement
    /// and one commit.
    public func link(_ relation: Relation, _ scope: WriteScope, answer: Response, completion: @escaping Completion<Response>) {
        let audit = ["from": relation.from, "relation": relation.kind.rawValue, "to": relation.to, "action": "link"]
        guard scope.transaction == nil, scope.idempotency == nil else {
            writes.commit(scope, locking: [relation.from, relation.to], audit: audit, announce: [.relation(relation)],
                          conflict: ProtocolError(.conflict, "\(relation.from) \(relation.kind.rawValue) \(relation.to) exists"),
                          statement: GraphWrites.insertRelation(relation), apply: { graph, _ in graph.link(relation) },
                          answer: { _ in answer }, completion: completion)
            return
        }
        writes.link(relation, scope, audit: audit) { result in completion(result.map { answer }) }
    }

    /// Removes a relation (canonical); `ERR NOTFOUND` when another writer removed it first.
    public func unlink(_ relation: Relation, _ scope: WriteScope, completion: @escaping Completion<Response>) {
        let kind = relation.kind
        writes.commit(scope, locking: [relation.from, relation.to],
                      audit: ["from": relation.from, "relation": kind.rawValue, "to": relation.to, "action": "unlink"],
                      announce: [.relation(relation)], statement: GraphWrites.deleteRelation(relation),
                      apply: { graph, _ in graph.unlink(relation) },
                      answer: { deleted in
                          guard deleted > 0 else { throw ProtocolError(.notFound, "no relation \(relation.from) \(kind.rawValue) \(relation.to)") }
                          return Response()
                      }, completion: completion)
    }

    /// Gives node `key` the alias (`adding`) or takes it off; the answer gets whether a row changed.
    public func alias(_ key: String, _ alias: String, adding: Bool, _ scope: WriteScope,
                      answer: @escaping Answer<Bool>, completion: @escaping Completion<Response>) {
        let folded = Search.fold(alias)
        writes.commit(scope, locking: [key], audit: ["node": key, "alias": alias, "action": adding ? "alias add" : "alias remove"],
                      announce: [.node(key: key)],
                      statement: adding ? GraphWrites.insertAlias(node: key, alias: alias) : GraphWrites.deleteAlias(node: key, alias: alias),
                      apply: { graph, rows in
                          guard rows > 0, var node = graph.node(key: key) else { return }
                          node.aliases.removeAll { Search.fold($0) == folded }
                          if adding { node.aliases.append(alias) }
                          node.aliases.sort { Search.fold($0) < Search.fold($1) }
                          graph.upsert(node)
                      }, answer: { rows in try answer(rows > 0) }, completion: completion)
    }

    /// Adds a theme to the vocabulary (its key and synonyms are free: the caller checked).
    public func addTheme(_ theme: Theme, _ scope: WriteScope, answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, locking: ["theme:" + theme.key], audit: ["theme": theme.key, "action": "theme add"],
                      announce: [.theme(key: theme.key)], statement: ThemeStore.insert(theme),
                      apply: { graph, _ in graph.vocabulary.upsert(theme) }, answer: { _ in try answer(()) }, completion: completion)
    }

    /// Nodes whose key, name or an alias contains `text`, best first (the database's trigram index).
    public func find(_ text: String, kind: NodeKind?, regionType: RegionType? = nil, limit: Int, completion: @escaping Completion<[Node]>) {
        writes.read({ try GraphQueries.find($0, text: text, kind: kind, regionType: regionType, limit: limit) }, completion: completion)
    }
}
