/// Dense index of a node inside a ``Graph``.
public typealias NodeID = Int32

/// The whole stakeholder graph in memory, compact enough for a million relations.
///
/// Nodes get dense ids; relations are stored column-wise (from, to, kind, extra) with
/// their optional fields (themes, dates, note) in a side table, and every node keeps a
/// small adjacency list of `(neighbour, relation)` pairs. Graph algorithms walk ids and
/// never touch strings; keys and names are looked up only at the edges of a query.
///
/// `Graph` is a value type. The daemon keeps one behind a reader-writer lock and
/// mutates it in place (see `LiveGraph`), so a write never copies it.
public struct Graph: Sendable {
    /// One step in an adjacency list: the node at the other end and the relation used.
    public struct Edge: Sendable, Equatable {
        public var neighbor: NodeID
        public var relation: Int32
    }

    struct Extra: Sendable {
        var themes: [String]
        var since: String?
        var until: String?
        var note: String?
    }

    struct PairKey: Hashable, Sendable {
        var from: NodeID
        var to: NodeID
        var kind: UInt8
    }

    // Nodes.
    private(set) var nodeStore: [Node?] = []
    private var freeNodes: [NodeID] = []
    private var keyIndex: [String: NodeID] = [:]
    private var nameIndex: [String: [NodeID]] = [:]
    /// Folded alias → the nodes that carry it.
    private var aliasIndex: [String: [NodeID]] = [:]
    /// Nodes with a period of validity: the only ones that can be not current.
    private var datedNodes: Set<NodeID> = []
    private(set) var themeIndex: [String: [NodeID]] = [:]
    private(set) var adjacency: [[Edge]] = []
    /// Per node: its government layer as a small number (``Layer/code``), for searches that
    /// count layer crossings without reading the whole node.
    private(set) var layerCodes: [UInt8] = []
    /// Per node: when what `SHOW` tells of it last changed (its fields, its relations, or the
    /// name, tier or key of a neighbour), as a tick of `clock`. Lets answers about a node be
    /// remembered until exactly that node is touched (the daemon's render cache).
    private var versions: [UInt64] = []
    private var clock: UInt64 = 0

    // Relations, column-wise; a free slot has from == -1.
    private(set) var relFrom: [NodeID] = []
    private(set) var relTo: [NodeID] = []
    private(set) var relKind: [UInt8] = []
    private var relExtra: [Int32] = []
    private var extras: [Extra] = []
    private var freeExtras: [Int32] = []
    private var freeRelations: [Int32] = []
    private var relIndex: [PairKey: Int32] = [:]

    public private(set) var nodeCount = 0
    public private(set) var relationCount = 0

    /// The themes the graph's theme keys come from (loaded and changed with the graph).
    public var vocabulary = ThemeVocabulary()

    public init() {}

    public init(nodes: [Node], relations: [Relation]) {
        reserve(nodes: nodes.count, relations: relations.count)
        for node in nodes { upsert(node) }
        for relation in relations { link(relation) }
    }

    /// Pre-sizes storage for a bulk load.
    public mutating func reserve(nodes: Int, relations: Int) {
        nodeStore.reserveCapacity(nodes)
        adjacency.reserveCapacity(nodes)
        versions.reserveCapacity(nodes)
        layerCodes.reserveCapacity(nodes)
        keyIndex.reserveCapacity(nodes)
        relFrom.reserveCapacity(relations)
        relTo.reserveCapacity(relations)
        relKind.reserveCapacity(relations)
        relExtra.reserveCapacity(relations)
        relIndex.reserveCapacity(relations)
    }

    // MARK: - Nodes

    /// The id of the node with this key (case-insensitive).
    public func id(forKey key: String) -> NodeID? { keyIndex[Keys.fold(key)] }

    public func node(id: NodeID) -> Node { nodeStore[Int(id)]! }

    /// The kind of a node, read in place: `node(id:).kind` copies the whole node first, which
    /// shows in loops over every municipality.
    public func kind(ofNode id: NodeID) -> NodeKind { nodeStore[Int(id)]!.kind }

    /// The name of a node, read in place (see ``kind(ofNode:)``).
    public func name(ofNode id: NodeID) -> String { nodeStore[Int(id)]!.name }

    public func node(key: String) -> Node? { id(forKey: key).map(node(id:)) }

    /// Every live node id, in id order.
    public var nodeIDs: [NodeID] {
        var ids: [NodeID] = []
        ids.reserveCapacity(nodeCount)
        for (index, node) in nodeStore.enumerated() where node != nil { ids.append(NodeID(index)) }
        return ids
    }

    /// Every node of a kind, province and region type (each optional), by key: the whole list,
    /// where a search by text gives only the best matches.
    public func nodes(kind: NodeKind? = nil, province: String? = nil, regionType: RegionType? = nil) -> [Node] {
        var result: [Node] = []
        for case let node? in nodeStore {
            if let kind, node.kind != kind { continue }
            if let province, node.province != province { continue }
            if let regionType, node.regionType != regionType { continue }
            result.append(node)
        }
        return result.map { (Keys.fold($0.key), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The number of relations touching a node.
    public func degree(_ id: NodeID) -> Int { adjacency[Int(id)].count }

    /// The adjacency list of a node.
    public func edges(_ id: NodeID) -> [Edge] { adjacency[Int(id)] }

    /// How a `<node>` argument resolved.
    public enum Resolution: Sendable, Equatable {
        case found(Node)
        case notFound
        case ambiguous([Node])
    }

    /// Resolves a `<node>` argument: a key (case-insensitive), else an exact name or alias
    /// (case- and diacritics-insensitive). Several nodes with that name or alias: ambiguous.
    public func resolve(_ text: String) -> Resolution {
        if let id = keyIndex[Keys.fold(text)] { return .found(node(id: id)) }
        let folded = Search.fold(text)
        let ids = Set((nameIndex[folded] ?? []) + (aliasIndex[folded] ?? []))
        let matches = ids.map(node(id:)).sorted { $0.key < $1.key }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches[0])
        default: return .ambiguous(matches)
        }
    }

    /// The nodes that do not exist on `today` (ended, or not begun): never proposed, never
    /// counted as a current party.
    public func notCurrent(on today: String) -> Set<NodeID> {
        datedNodes.filter { !node(id: $0).isCurrent(on: today) }
    }

    /// Nodes carrying a theme.
    public func nodes(withTheme theme: String) -> [NodeID] { themeIndex[theme.lowercased()] ?? [] }

    /// Adds or replaces a node (matched by key). Relations are kept.
    @discardableResult
    public mutating func upsert(_ node: Node) -> NodeID {
        let key = Keys.fold(node.key)
        if let id = keyIndex[key] {
            unindex(id)
            nodeStore[Int(id)] = node
            layerCodes[Int(id)] = node.layer.code
            index(id)
            touch(id, andNeighbours: true)
            return id
        }
        let id: NodeID
        if let free = freeNodes.popLast() {
            id = free
            nodeStore[Int(id)] = node
            adjacency[Int(id)] = []
            layerCodes[Int(id)] = node.layer.code
        } else {
            id = NodeID(nodeStore.count)
            nodeStore.append(node)
            adjacency.append([])
            versions.append(0)
            layerCodes.append(node.layer.code)
        }
        keyIndex[key] = id
        index(id)
        nodeCount += 1
        touch(id, andNeighbours: false)
        return id
    }

    /// The tick at which what is known of `id` last changed (see `versions`); ticks only grow,
    /// and one tick marks one change, so equal versions mean nothing changed in between.
    public func version(of id: NodeID) -> UInt64 { versions[Int(id)] }

    private mutating func touch(_ id: NodeID, andNeighbours: Bool) {
        clock &+= 1
        versions[Int(id)] = clock
        if andNeighbours {
            for edge in adjacency[Int(id)] { versions[Int(edge.neighbor)] = clock }
        }
    }

    /// Removes a node and every relation touching it; returns how many relations went.
    @discardableResult
    public mutating func remove(key: String) -> Int {
        guard let id = keyIndex[Keys.fold(key)] else { return 0 }
        touch(id, andNeighbours: true)
        let touching = adjacency[Int(id)].map(\.relation)
        for relation in Set(touching) { removeRelation(relation) }
        unindex(id)
        keyIndex[Keys.fold(key)] = nil
        nodeStore[Int(id)] = nil
        adjacency[Int(id)] = []
        freeNodes.append(id)
        nodeCount -= 1
        return Set(touching).count
    }

    private mutating func index(_ id: NodeID) {
        let node = self.node(id: id)
        nameIndex[Search.fold(node.name), default: []].append(id)
        for alias in Set(node.aliases.map(Search.fold)) { aliasIndex[alias, default: []].append(id) }
        if node.validFrom != nil || node.validTo != nil { datedNodes.insert(id) }
        for theme in Set(node.themes.map { $0.lowercased() }) { themeIndex[theme, default: []].append(id) }
    }

    private mutating func unindex(_ id: NodeID) {
        let node = self.node(id: id)
        let name = Search.fold(node.name)
        nameIndex[name]?.removeAll { $0 == id }
        if nameIndex[name]?.isEmpty == true { nameIndex[name] = nil }
        for alias in Set(node.aliases.map(Search.fold)) {
            aliasIndex[alias]?.removeAll { $0 == id }
            if aliasIndex[alias]?.isEmpty == true { aliasIndex[alias] = nil }
        }
        datedNodes.remove(id)
        for theme in Set(node.themes.map { $0.lowercased() }) {
            themeIndex[theme]?.removeAll { $0 == id }
            if themeIndex[theme]?.isEmpty == true { themeIndex[theme] = nil }
        }
    }

    // MARK: - Relations

    static let kinds = RelationKind.allCases

    static func kindCode(_ kind: RelationKind) -> UInt8 { UInt8(kinds.firstIndex(of: kind)!) }

    /// The relation kind of a stored relation.
    public func kind(of relation: Int32) -> RelationKind { Graph.kinds[Int(relKind[Int(relation)])] }

    /// The two ends of a stored relation (`from`, `to`).
    public func ends(of relation: Int32) -> (from: NodeID, to: NodeID) { (relFrom[Int(relation)], relTo[Int(relation)]) }

    /// A stored relation as a value with keys.
    public func relation(_ index: Int32) -> Relation {
        let i = Int(index)
        var relation = Relation(from: node(id: relFrom[i]).key, kind: kind(of: index), to: node(id: relTo[i]).key)
        if relExtra[i] >= 0 {
            let extra = extras[Int(relExtra[i])]
            relation.themes = extra.themes
            relation.since = extra.since
            relation.until = extra.until
            relation.note = extra.note
        }
        return relation
    }

    /// The axis of a stored relation, from the layers of its ends.
    public func axis(ofRelation index: Int32) -> Axis {
        Axis.of(node(id: relFrom[Int(index)]).layer, node(id: relTo[Int(index)]).layer)
    }

    /// The axis of a relation given by keys (nil if an end is unknown).
    public func axis(of relation: Relation) -> Axis? {
        guard let a = node(key: relation.from), let b = node(key: relation.to) else { return nil }
        return Axis.of(a.layer, b.layer)
    }

    /// The stored index of a relation, if it exists.
    public func find(_ relation: Relation) -> Int32? {
        guard let key = pairKey(relation) else { return nil }
        return relIndex[key]
    }

    public func contains(_ relation: Relation) -> Bool { find(relation) != nil }

    /// Whether any relation joins the two nodes (in either direction).
    public func areLinked(_ a: NodeID, _ b: NodeID) -> Bool {
        let (small, other) = degree(a) <= degree(b) ? (a, b) : (b, a)
        return adjacency[Int(small)].contains { $0.neighbor == other }
    }

    /// The relations touching a node, in a stable order (relation, from, to).
    public func relations(of key: String) -> [Relation] {
        guard let id = id(forKey: key) else { return [] }
        return sortedRelations(of: id).map(relation)
    }

    /// The stored relations touching a node, in a stable order (relation, from, to).
    /// The sort keys are computed once per relation, not once per comparison.
    public func sortedRelations(of id: NodeID) -> [Int32] {
        let keyed = adjacency[Int(id)].map { edge -> (String, String, String, Int32) in
            let (from, to) = ends(of: edge.relation)
            return (kind(of: edge.relation).rawValue, Keys.fold(node(id: from).key), Keys.fold(node(id: to).key), edge.relation)
        }
        return keyed.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }.map(\.3)
    }


    /// Adds or replaces a relation; both ends must exist. Returns false if an end is missing.
    @discardableResult
    public mutating func link(_ relation: Relation) -> Bool {
        let relation = relation.canonical
        guard let key = pairKey(relation) else { return false }
        let hasExtra = !relation.themes.isEmpty || relation.since != nil || relation.until != nil || relation.note != nil
        if let existing = relIndex[key] {
            setExtra(existing, hasExtra ? Extra(themes: relation.themes, since: relation.since, until: relation.until, note: relation.note) : nil)
            touch(key.from, andNeighbours: false)
            touch(key.to, andNeighbours: false)
            return true
        }
        let index: Int32
        if let free = freeRelations.popLast() {
            index = free
            relFrom[Int(index)] = key.from
            relTo[Int(index)] = key.to
            relKind[Int(index)] = key.kind
            relExtra[Int(index)] = -1
        } else {
            index = Int32(relFrom.count)
            relFrom.append(key.from)
            relTo.append(key.to)
            relKind.append(key.kind)
            relExtra.append(-1)
        }
        if hasExtra { setExtra(index, Extra(themes: relation.themes, since: relation.since, until: relation.until, note: relation.note)) }
        relIndex[key] = index
        adjacency[Int(key.from)].append(Edge(neighbor: key.to, relation: index))
        adjacency[Int(key.to)].append(Edge(neighbor: key.from, relation: index))
        relationCount += 1
        touch(key.from, andNeighbours: false)
        touch(key.to, andNeighbours: false)
        return true
    }

    /// Removes a relation; returns whether it existed.
    @discardableResult
    public mutating func unlink(_ relation: Relation) -> Bool {
        guard let index = find(relation) else { return false }
        removeRelation(index)
        return true
    }

    private mutating func removeRelation(_ index: Int32) {
        let i = Int(index)
        let from = relFrom[i], to = relTo[i]
        guard from >= 0 else { return }
        relIndex[PairKey(from: from, to: to, kind: relKind[i])] = nil
        adjacency[Int(from)].removeAll { $0.relation == index }
        adjacency[Int(to)].removeAll { $0.relation == index }
        touch(from, andNeighbours: false)
        touch(to, andNeighbours: false)
        setExtra(index, nil)
        relFrom[i] = -1
        relTo[i] = -1
        freeRelations.append(index)
        relationCount -= 1
    }

    private mutating func setExtra(_ index: Int32, _ extra: Extra?) {
        let i = Int(index)
        if relExtra[i] >= 0 {
            if let extra {
                extras[Int(relExtra[i])] = extra
                return
            }
            freeExtras.append(relExtra[i])
            extras[Int(relExtra[i])] = Extra(themes: [])
            relExtra[i] = -1
        }
        guard let extra else { return }
        if let free = freeExtras.popLast() {
            extras[Int(free)] = extra
            relExtra[i] = free
        } else {
            relExtra[i] = Int32(extras.count)
            extras.append(extra)
        }
    }

    private func pairKey(_ relation: Relation) -> PairKey? {
        guard var from = id(forKey: relation.from), var to = id(forKey: relation.to) else { return nil }
        if !relation.kind.isDirected, Keys.fold(relation.to) < Keys.fold(relation.from) { swap(&from, &to) }
        return PairKey(from: from, to: to, kind: Graph.kindCode(relation.kind))
    }

    /// A rough count of the bytes the index holds (for INFO and the benchmark).
    public var approximateBytes: Int {
        let relationColumns = relFrom.capacity * 4 + relTo.capacity * 4 + relKind.capacity + relExtra.capacity * 4
        let relationIndex = relIndex.capacity * (MemoryLayout<PairKey>.stride + 4 + 1)
        let adjacencyBytes = adjacency.reduce(0) { $0 + $1.capacity * MemoryLayout<Edge>.stride + 32 }
        let nodeBytes = nodeStore.capacity * MemoryLayout<Node?>.stride + keyIndex.capacity * 40 + nameIndex.capacity * 48
            + versions.capacity * 8
        let strings = nodeStore.reduce(0) { total, node in
            guard let node else { return total }
            return total + node.key.utf8.count + node.name.utf8.count + node.attributes.utf8.count
                + node.themes.reduce(0) { $0 + $1.utf8.count + 16 } + node.aliases.reduce(0) { $0 + $1.utf8.count + 16 }
        }
        return relationColumns + relationIndex + adjacencyBytes + nodeBytes + strings + extras.capacity * MemoryLayout<Extra>.stride
    }
}
