/// An immutable-by-value view of the whole stakeholder graph, held in memory by each daemon.
///
/// `Graph` is a value type: a daemon keeps the current one behind a lock and readers take
/// a copy (cheap: copy-on-write storage), so a reader never sees half a write.
public struct Graph: Sendable {
    /// Nodes by folded key.
    public private(set) var nodes: [String: Node] = [:]
    /// Folded name → folded keys of the nodes with that name.
    private var byName: [String: [String]] = [:]
    /// Relations by identity.
    public private(set) var relations: [RelationIdentity: Relation] = [:]
    /// Folded key → identities of the relations that touch the node.
    private var incident: [String: [RelationIdentity]] = [:]

    public init() {}

    public init(nodes: [Node], relations: [Relation]) {
        for node in nodes { upsert(node) }
        for relation in relations { link(relation) }
    }

    public var nodeCount: Int { nodes.count }
    public var relationCount: Int { relations.count }

    /// The node with this key (case-insensitive).
    public func node(key: String) -> Node? { nodes[Keys.fold(key)] }

    /// How a `<node>` argument resolved.
    public enum Resolution: Sendable, Equatable {
        case found(Node)
        case notFound
        case ambiguous([Node])
    }

    /// Resolves a `<node>` argument: a key (case-insensitive), else an exact name
    /// (case- and diacritics-insensitive). Several nodes with that name: ambiguous.
    public func resolve(_ text: String) -> Resolution {
        if let node = nodes[Keys.fold(text)] { return .found(node) }
        let keys = byName[Search.fold(text)] ?? []
        let matches = keys.compactMap { nodes[$0] }.sorted { $0.key < $1.key }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches[0])
        default: return .ambiguous(matches)
        }
    }

    /// The relations touching a node, in a stable order (relation, then other end).
    public func relations(of key: String) -> [Relation] {
        let folded = Keys.fold(key)
        return (incident[folded] ?? []).compactMap { relations[$0] }.sorted {
            ($0.kind.rawValue, $0.from.lowercased(), $0.to.lowercased()) < ($1.kind.rawValue, $1.from.lowercased(), $1.to.lowercased())
        }
    }

    /// The axis of a relation, from the tiers of its ends (nil if an end is unknown).
    public func axis(of relation: Relation) -> Axis? {
        guard let a = node(key: relation.from), let b = node(key: relation.to) else { return nil }
        return Axis.of(a.tier, b.tier)
    }

    // MARK: - Changes (applied after PostgreSQL committed them)

    public mutating func upsert(_ node: Node) {
        let key = Keys.fold(node.key)
        if let old = nodes[key] { removeName(old.name, key: key) }
        nodes[key] = node
        byName[Search.fold(node.name), default: []].append(key)
    }

    /// Removes a node and every relation touching it.
    public mutating func remove(key: String) {
        let folded = Keys.fold(key)
        guard let old = nodes.removeValue(forKey: folded) else { return }
        removeName(old.name, key: folded)
        for identity in incident[folded] ?? [] {
            if let relation = relations[identity] { unlink(relation.identity) }
        }
        incident[folded] = nil
    }

    public mutating func link(_ relation: Relation) {
        let relation = relation.canonical
        let identity = relation.identity
        if relations.updateValue(relation, forKey: identity) == nil {
            incident[identity.from, default: []].append(identity)
            if identity.to != identity.from { incident[identity.to, default: []].append(identity) }
        }
    }

    public mutating func unlink(_ identity: RelationIdentity) {
        guard relations.removeValue(forKey: identity) != nil else { return }
        incident[identity.from]?.removeAll { $0 == identity }
        incident[identity.to]?.removeAll { $0 == identity }
    }

    private mutating func removeName(_ name: String, key: String) {
        let folded = Search.fold(name)
        byName[folded]?.removeAll { $0 == key }
        if byName[folded]?.isEmpty == true { byName[folded] = nil }
    }
}
