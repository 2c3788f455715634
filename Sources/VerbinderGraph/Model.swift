/// What a stakeholder is. The vocabulary is closed: the store and the protocol refuse others.
public enum NodeKind: String, Sendable, CaseIterable, Codable {
    case municipality, region, province, ministry, knowledge, network, vng, partner

    /// The tier a node of this kind gets when `ADD` names none.
    public var defaultTier: Tier {
        switch self {
        case .municipality, .network: return .local
        case .region, .knowledge, .partner: return .regional
        case .province: return .provincial
        case .ministry, .vng: return .national
        }
    }
}

/// The scale level of a stakeholder. A relation's axis follows from the tiers of its ends.
public enum Tier: String, Sendable, CaseIterable, Codable, Comparable {
    case local, regional, provincial, national

    var rank: Int {
        switch self {
        case .local: return 0
        case .regional: return 1
        case .provincial: return 2
        case .national: return 3
        }
    }

    public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rank < rhs.rank }
}

/// The government layer a stakeholder belongs to. The advice's two axes run between them:
/// "gemeenten en regio's onderling" within a layer (horizontal), "gemeenten, regio's en het
/// rijk" across layers (vertical).
public enum Layer: String, Sendable, CaseIterable, Codable {
    /// Municipalities, regions, their networks, and the VNG with its departments (the
    /// municipalities' own association: the connector, on their side).
    case decentral
    /// Provinces (and IPO, their association).
    case provincial
    /// Ministries and other national bodies.
    case national

    /// The one rule for a node's layer. Kinds that belong to one side decide it; knowledge
    /// institutions and partners take the layer of their tier (local or regional: decentral).
    /// A small number per layer, from the municipalities' side up.
    var code: UInt8 {
        switch self {
        case .decentral: return 0
        case .provincial: return 1
        case .national: return 2
        }
    }

    public static func of(kind: NodeKind, tier: Tier) -> Layer {
        switch kind {
        case .municipality, .region, .network, .vng: return .decentral
        case .province: return .provincial
        case .ministry: return .national
        case .knowledge, .partner:
            switch tier {
            case .local, .regional: return .decentral
            case .provincial: return .provincial
            case .national: return .national
            }
        }
    }
}

/// Horizontal: between stakeholders of one government layer. Vertical: across layers.
public enum Axis: String, Sendable, CaseIterable {
    case horizontal, vertical

    /// The one rule for the axis of a relation (or a meeting of two): same layer is
    /// horizontal, different layers vertical.
    public static func of(_ a: Layer, _ b: Layer) -> Axis { a == b ? .horizontal : .vertical }
}

/// The closed vocabulary of relations. Directed ones read `from <relation> to`.
public enum RelationKind: String, Sendable, CaseIterable, Codable {
    case memberOf = "member_of"
    case partOf = "part_of"
    case partnerOf = "partner_of"
    case worksWith = "works_with"
    case advises
    case funds
    case represents
    /// `from` ended and `to` took over its tasks (`lnv succeeded_by lvvn`).
    case succeededBy = "succeeded_by"

    /// Symmetric relations are stored once, with the smaller key first, so `A partner_of B`
    /// and `B partner_of A` are the same relation.
    public var isDirected: Bool {
        switch self {
        case .partnerOf, .worksWith: return false
        default: return true
        }
    }
}

/// What kind of region a region node is. Only some count for a kansenagenda: a safety region
/// (veiligheidsregio) is a sector arrangement, never the region of an opportunity agenda.
public enum RegionType: String, Sendable, CaseIterable, Codable {
    /// A COROP area (CBS): the 40 that together cover the country.
    case corop
    /// A safety region: fire service and crisis management.
    case veiligheidsregio
    /// A cooperation the region chose itself ("de regio is wat mensen zelf vinden").
    case functional
    /// The area of a Regio Deal with the national government.
    case regiodeal
    /// A labour-market region.
    case arbeidsmarkt
    case other

    /// Whether a kansenagenda of a region of this type covers its members.
    public var countsForKansenagenda: Bool { self != .veiligheidsregio }
}

/// A stakeholder in the graph.
public struct Node: Sendable, Equatable {
    /// Stable, case-insensitive identifier: a CBS code (`GM0014`, `PV20`) or a slug.
    public var key: String
    public var kind: NodeKind
    public var name: String
    public var tier: Tier
    /// The province key when the node lies in one province.
    public var province: String?
    /// Theme keys of the vocabulary (``ThemeVocabulary``).
    public var themes: [String]
    /// Free-form facts as a JSON object text (`{}` when none).
    public var attributes: String
    /// The first day the node exists (`YYYY-MM-DD`), when known.
    public var validFrom: String?
    /// The day the node ceased to exist (`YYYY-MM-DD`): a ministry that was split or renamed.
    /// It stays in the graph for the history that refers to it.
    public var validTo: String?
    /// Other names people use for it (Den Haag for 's-Gravenhage), sorted.
    public var aliases: [String]
    /// What kind of region it is; nil for any other kind of node.
    public var regionType: RegionType?

    public init(key: String, kind: NodeKind, name: String, tier: Tier? = nil, province: String? = nil,
                themes: [String] = [], attributes: String = "{}", validFrom: String? = nil, validTo: String? = nil,
                aliases: [String] = [], regionType: RegionType? = nil) {
        self.key = key
        self.kind = kind
        self.name = name
        self.tier = tier ?? kind.defaultTier
        self.province = province
        self.themes = themes
        self.attributes = attributes
        self.validFrom = validFrom
        self.validTo = validTo
        self.aliases = aliases
        self.regionType = kind == .region ? regionType ?? .other : nil
    }

    /// The government layer (``Layer/of(kind:tier:)``).
    public var layer: Layer { Layer.of(kind: kind, tier: tier) }

    /// Whether the node has ceased to exist on `today` (`YYYY-MM-DD`).
    public func isEnded(on today: String) -> Bool {
        guard let validTo else { return false }
        return validTo <= today
    }

    /// Whether the node exists on `today`: begun and not ended. Only current nodes are
    /// proposed (SUGGEST, missing parties) or counted as a party (GAPS, CENTRAL).
    public func isCurrent(on today: String) -> Bool {
        if let validFrom, validFrom > today { return false }
        return !isEnded(on: today)
    }
}

/// A relation between two stakeholders.
public struct Relation: Sendable, Equatable {
    public var from: String
    public var kind: RelationKind
    public var to: String
    public var themes: [String]
    public var since: String?
    public var until: String?
    public var note: String?

    public init(from: String, kind: RelationKind, to: String, themes: [String] = [],
                since: String? = nil, until: String? = nil, note: String? = nil) {
        self.from = from
        self.kind = kind
        self.to = to
        self.themes = themes
        self.since = since
        self.until = until
        self.note = note
    }

    /// The identity of a relation: (from, kind, to), case-insensitively, with symmetric
    /// relations ordered so both directions give the same identity.
    public var identity: RelationIdentity { RelationIdentity(from: from, kind: kind, to: to) }

    /// This relation with symmetric ends put in canonical order.
    public var canonical: Relation {
        guard !kind.isDirected, Keys.fold(to) < Keys.fold(from) else { return self }
        var copy = self
        swap(&copy.from, &copy.to)
        return copy
    }
}

/// The identity of a relation, as the store's unique key sees it.
public struct RelationIdentity: Hashable, Sendable {
    public let from: String
    public let kind: RelationKind
    public let to: String

    public init(from: String, kind: RelationKind, to: String) {
        var a = Keys.fold(from)
        var b = Keys.fold(to)
        if !kind.isDirected, b < a { swap(&a, &b) }
        self.from = a
        self.kind = kind
        self.to = b
    }
}
