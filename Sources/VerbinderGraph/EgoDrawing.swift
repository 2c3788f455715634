import VerbinderText

extension RelationKind {
    /// The relation as a drawing labels it: the protocol's word in English, the word a Dutch
    /// civil servant uses in Dutch.
    public func label(in language: Language) -> String {
        guard language == .nl else { return rawValue }
        switch self {
        case .memberOf: return "lid van"
        case .partOf: return "deel van"
        case .partnerOf: return "partner van"
        case .worksWith: return "werkt samen met"
        case .advises: return "adviseert"
        case .funds: return "financiert"
        case .represents: return "vertegenwoordigt"
        case .succeededBy: return "opgevolgd door"
        }
    }
}

extension Layer {
    /// The layer's name in a legend.
    func label(in language: Language) -> String {
        switch (self, language) {
        case (.decentral, .nl): return "decentraal (gemeenten, regio's, netwerken, VNG)"
        case (.provincial, .nl): return "provinciaal (provincies, IPO)"
        case (.national, .nl): return "nationaal (ministeries, rijk)"
        case (.decentral, .en): return "decentral (municipalities, regions, networks, VNG)"
        case (.provincial, .en): return "provincial (provinces, IPO)"
        case (.national, .en): return "national (ministries, government)"
        }
    }
}

/// How an ego network is drawn for people, beyond the plain DOT of the whole graph.
public struct EgoDrawingOptions: Sendable {
    public var depth: Int
    public var filter: WalkFilter
    /// Draw every member of a network; otherwise the members outside the ego's province are
    /// one node with their number.
    public var expand: Bool
    public var language: Language

    public init(depth: Int = 1, filter: WalkFilter = WalkFilter(), expand: Bool = false, language: Language = .en) {
        self.depth = depth
        self.filter = filter
        self.expand = expand
        self.language = language
    }
}

extension Graph {
    /// The ego network of `center` as DOT a person can read when GraphViz draws it:
    ///
    /// - the ego is marked (red double border, larger name);
    /// - nodes with a province sit in a box per province (`cluster_<province key>`), so the
    ///   picture reads as a map of where the parties are;
    /// - a network's members outside the ego's province (not the ego's direct neighbours) are
    ///   one node `+N` with the network, unless `expand`: a P10 or M50 of members from all over
    ///   the country otherwise fills half the picture;
    /// - a legend explains line styles (vertical solid, horizontal dashed) and fill colours
    ///   (one per layer);
    /// - labels use a sans-serif font, and relation labels are Dutch under `.nl`.
    ///
    /// The graph asks for the `fdp` layout, which keeps the province boxes (`sfdp` ignores them)
    /// and lays out a few hundred nodes in well under a second.
    public func egoDotLines(center: NodeID, options: EgoDrawingOptions) -> [String] {
        let reached = neighborhood(of: center, depth: options.depth, filter: options.filter).map(\.relation).sorted()
        let ego = node(id: center)
        let home = ego.kind == .province ? ego.key : ego.province
        var direct: Set<NodeID> = []
        for relation in reached {
            let (from, to) = ends(of: relation)
            if from == center { direct.insert(to) }
            if to == center { direct.insert(from) }
        }

        // Members to fold into one node per network.
        var folded: [NodeID: [NodeID]] = [:]
        if !options.expand {
            for relation in reached where kind(of: relation) == .memberOf {
                let (member, network) = ends(of: relation)
                guard node(id: network).kind == .network, member != center, !direct.contains(member),
                      node(id: member).province == nil || node(id: member).province != home else { continue }
                folded[network, default: []].append(member)
            }
            folded = folded.filter { $0.value.count >= 2 }
        }
        let hidden = Set(folded.values.joined())

        var nodes: Set<NodeID> = [center]
        var relations: [Int32] = []
        for relation in reached {
            let (from, to) = ends(of: relation)
            if hidden.contains(from) || hidden.contains(to) { continue }
            nodes.insert(from)
            nodes.insert(to)
            relations.append(relation)
        }

        let font = "Helvetica,Arial,sans-serif"
        var lines = [
            "digraph verbinder {",
            "  graph [layout=fdp, overlap=false, splines=true, fontname=\"\(font)\", fontsize=11];",
            "  node [style=filled, fontname=\"\(font)\", fontsize=10];",
            "  edge [fontname=\"\(font)\", fontsize=8, fontcolor=\"#555555\", color=\"#777777\"];",
        ]
        // Province boxes, by province key; nodes of no province after them.
        var byProvince: [String: [NodeID]] = [:]
        var unplaced: [NodeID] = []
        for id in nodes.sorted() {
            let item = node(id: id)
            if let province = item.kind == .province ? item.key : item.province { byProvince[province, default: []].append(id) } else { unplaced.append(id) }
        }
        for province in byProvince.keys.sorted() {
            let name = self.node(key: province)?.name ?? province
            lines.append("  subgraph \(Graph.dotID("cluster_" + province)) {")
            lines.append("    graph [label=\(Graph.dotID(name)), style=\"rounded,dashed\", color=\"#aaaaaa\", fontcolor=\"#666666\"];")
            for id in byProvince[province]! { lines.append("  " + egoNodeLine(id, ego: id == center)) }
            lines.append("  }")
        }
        for id in unplaced { lines.append(egoNodeLine(id, ego: id == center)) }
        for relation in relations { lines.append(egoRelationLine(relation, center: center, language: options.language)) }
        for network in folded.keys.sorted() {
            let count = folded[network]!.count
            let others = Graph.dotID("+" + node(id: network).key)
            let label = options.language == .nl ? "+\(count) leden elders" : "+\(count) members elsewhere"
            lines.append("  \(others) [label=\(Graph.dotID(label)), shape=ellipse, style=\"filled,dashed\", fillcolor=\"\(Graph.color(.decentral))\"];")
            lines.append("  \(others) -> \(Graph.dotID(node(id: network).key)) [label=\(Graph.dotID(RelationKind.memberOf.label(in: options.language))), style=dashed];")
        }
        lines += legendLines(language: options.language)
        lines.append("}")
        return lines
    }

    func egoNodeLine(_ id: NodeID, ego: Bool) -> String {
        let item = node(id: id)
        let mark = ego ? ", peripheries=2, penwidth=2, color=\"#c0392b\", fontsize=14" : ""
        return "  \(Graph.dotID(item.key)) [label=\(Graph.dotID(item.name)), shape=\(Graph.shape(item.kind)), fillcolor=\"\(Graph.color(item.layer))\"\(mark)];"
    }

    /// A relation of the ego carries its label; the others only a tooltip (shown on hover in
    /// SVG), since dozens of labels between the other nodes cover their names.
    func egoRelationLine(_ relation: Int32, center: NodeID, language: Language) -> String {
        let (from, to) = ends(of: relation)
        let kind = self.kind(of: relation)
        let style = axis(ofRelation: relation) == .vertical ? "solid" : "dashed"
        let arrow = kind.isDirected ? "" : ", dir=none"
        let label = Graph.dotID(kind.label(in: language))
        let text = from == center || to == center ? "label=\(label), fontcolor=\"#c0392b\"" : "tooltip=\(label)"
        return "  \(Graph.dotID(node(id: from).key)) -> \(Graph.dotID(node(id: to).key)) [\(text), style=\(style)\(arrow)];"
    }

    /// One node holding a table that says what the line styles and colours mean. Its name
    /// starts with a space, which no key does, so it never collides with a node of the graph.
    func legendLines(language: Language) -> [String] {
        let dutch = language == .nl
        func cell(_ text: String, fill: String? = nil) -> String {
            "<tr><td align=\"left\"\(fill.map { " bgcolor=\"\($0)\"" } ?? "")>\(Graph.htmlEscaped(text))</td></tr>"
        }
        var rows = [cell(dutch ? "Legenda" : "Legend")]
        rows += Layer.allCases.map { cell($0.label(in: language), fill: Graph.color($0)) }
        rows.append(cell(dutch ? "━━━  verticaal: tussen lagen" : "━━━  vertical: across layers"))
        rows.append(cell(dutch ? "- - -  horizontaal: binnen een laag" : "- - -  horizontal: within a layer"))
        rows.append(cell(dutch ? "rode rand: de partij zelf; labels bij haar eigen relaties" : "red border: the party itself; labels on its own relations"))
        return ["  \" legend\" [shape=plain, style=\"\", label=<<table border=\"1\" cellborder=\"0\" cellspacing=\"2\" cellpadding=\"3\">\(rows.joined())</table>>];"]
    }

    /// Text for a GraphViz HTML-like label: markup characters escaped, control characters as spaces.
    static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } ? " " : character)
            }
        }
        return out
    }
}
