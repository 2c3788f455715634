import VerbinderText

/// What `MEETING PLAN` knows of a meeting's trajectory when it proposes the parties a
/// tri-party meeting still lacks.
public struct TrajectoryContext: Sendable {
    /// Node keys.
    public var lead: String
    public var region: String?
    /// Theme keys.
    public var themes: [String]
    /// The node keys of its stakeholders (the lead among them).
    public var stakeholders: [String]

    public init(lead: String, region: String?, themes: [String], stakeholders: [String]) {
        self.lead = lead
        self.region = region
        self.themes = themes
        self.stakeholders = stakeholders
    }
}

/// One party a meeting lacks to be tri-party, with the best current candidate for it.
public struct MissingParty: Sendable, Equatable {
    public var party: Party
    public var candidate: NodeID
    /// Why this candidate, in words (`themes zorg`, `the province of the trajectory`).
    public var reason: Message
    /// The shortest chain (at most 6 relations, through current nodes) from the lead to it.
    public var path: GraphPath?
}

extension Graph {
    /// For each party in ``MeetingClass/missingParties(_:)`` of `participants`, the best
    /// current candidate, the national government first.
    ///
    /// Evidence, in order of weight: for the national party the ministries whose portfolio
    /// covers the trajectory's themes (one point per theme); for a province the province of the
    /// trajectory's region, else of its lead; for a region the trajectory's region, else a region
    /// or network the lead is a member of; for a municipality the lead, else a member of the
    /// region. A stakeholder of the trajectory comes before every stranger, whatever the
    /// evidence: the connector asks the trajectory's own parties to the table first (an advisor
    /// ministry before a ministry whose portfolio fits the themes better). Among stakeholders,
    /// and among strangers, the evidence decides; among equal evidence, the node the lead reaches in the fewest steps (a
    /// hundredth per relation), then the smallest key. Participants and nodes that are not
    /// current on `today` are never proposed.
    public func missingParties(for trajectory: TrajectoryContext, participants: [NodeID], today: String) -> [MissingParty] {
        guard let lead = id(forKey: trajectory.lead) else { return [] }
        let gone = notCurrent(on: today)
        let present = Set(participants)
        let stakeholders = Set(trajectory.stakeholders.compactMap(id(forKey:)))
        let region = trajectory.region.flatMap(id(forKey:))
        let themes = Set(trajectory.themes)
        let missing = MeetingClass.missingParties(participants.map { (node(id: $0).kind, node(id: $0).layer) })

        var result: [MissingParty] = []
        for party in missing {
            var candidates: [NodeID: (score: Double, reasons: [Message])] = [:]
            func consider(_ id: NodeID, _ score: Double, _ reason: Message) {
                guard !present.contains(id), !gone.contains(id) else { return }
                if let known = candidates[id], known.score >= score { return }
                candidates[id] = (score, [reason])
            }
            switch party {
            case .national:
                for id in nodeIDs where node(id: id).kind == .ministry {
                    let covered = themes.intersection(node(id: id).themes)
                    consider(id, Double(covered.count), covered.isEmpty ? "national level" : "themes \(covered.sorted().joined(separator: ","))")
                }
            case .province:
                let home = homeProvince(region: region, lead: lead)
                for id in nodeIDs where node(id: id).kind == .province {
                    consider(id, id == home ? 1 : 0, id == home ? "the province of the trajectory" : "provincial level")
                }
                // A trajectory of no one province (a national co-design) meets the provinces
                // through their association, IPO, before any single province.
                for id in nodeIDs where Party.of(kind: node(id: id).kind, layer: node(id: id).layer) == .province && node(id: id).kind != .province {
                    consider(id, home == nil ? 0.75 : 0, home == nil ? "the provinces' association, for a trajectory of no one province" : "provincial level")
                }
            case .region:
                if let region, [.region, .network].contains(node(id: region).kind) { consider(region, 2, "the trajectory's region") }
                for edge in adjacency[Int(lead)] where relFrom[Int(edge.relation)] == lead && kind(of: edge.relation) == .memberOf {
                    if [.region, .network].contains(node(id: edge.neighbor).kind) { consider(edge.neighbor, 1, "a region of the lead") }
                }
                for id in stakeholders where [.region, .network].contains(node(id: id).kind) { consider(id, 1, "a region or network") }
            case .municipality:
                if node(id: lead).kind == .municipality { consider(lead, 2, "the trajectory's lead") }
                if let region {
                    for edge in adjacency[Int(region)] where relTo[Int(edge.relation)] == region && kind(of: edge.relation) == .memberOf {
                        if node(id: edge.neighbor).kind == .municipality { consider(edge.neighbor, 1, "a member of the trajectory's region") }
                    }
                }
                for id in stakeholders where node(id: id).kind == .municipality { consider(id, 1, "a municipality") }
            }
            for id in stakeholders where candidates[id] != nil {
                candidates[id]!.reasons.append("stakeholder of the trajectory")
            }
            let scored = candidates.map { id, entry -> (NodeID, Double, Message, GraphPath?) in
                let path = shortestPath(from: lead, to: id, filter: WalkFilter(avoid: gone), maxHops: 6)
                return (id, entry.score - Double(path?.hops ?? 10) / 100, Message.joined(entry.reasons, separator: "; "), path)
            }
            // Stakeholders first, then the score; among equals the smallest key (hence the swapped keys).
            guard let best = scored.max(by: {
                (stakeholders.contains($0.0) ? 1 : 0, $0.1, node(id: $1.0).key) < (stakeholders.contains($1.0) ? 1 : 0, $1.1, node(id: $0.0).key)
            }) else { continue }
            result.append(MissingParty(party: party, candidate: best.0, reason: best.2, path: best.3))
        }
        return result
    }

    /// The province of the trajectory's region, else of its lead (or the lead itself).
    private func homeProvince(region: NodeID?, lead: NodeID) -> NodeID? {
        for id in [region, lead].compactMap({ $0 }) {
            if node(id: id).kind == .province { return id }
            if let key = node(id: id).province, let province = self.id(forKey: key) { return province }
        }
        return nil
    }
}
