import Foundation

/// An active kansenagenda as coverage needs it: the region it is for, and the nodes it names
/// as stakeholders with the role lead or partner.
public struct Kansenagenda: Sendable, Equatable {
    public var trajectory: String
    public var region: String?
    public var leadsAndPartners: [String]

    public init(trajectory: String, region: String?, leadsAndPartners: [String]) {
        self.trajectory = trajectory
        self.region = region
        self.leadsAndPartners = leadsAndPartners
    }
}

/// The units in which uncovered municipalities are counted: "every region" is every COROP area
/// until a functional region covers it.
public enum CoverageUnit: String, Sendable, CaseIterable {
    case corop, province, functional
}

/// One unit's coverage: its current member municipalities and those no kansenagenda covers.
/// `unit` is nil for the municipalities in no unit of that kind (no functional region).
public struct UnitCoverage: Sendable {
    public var unit: NodeID?
    public var members: [NodeID]
    public var uncovered: [NodeID]
}

extension Graph {
    /// The current municipalities an active kansenagenda covers: a member of its region, or
    /// named by it as lead or partner. A kansenagenda of a safety region covers nobody, its
    /// stakeholders neither: a safety region is no kansenagenda region, so the agenda is not one
    /// for a region people recognise as theirs.
    public func coveredMunicipalities(by agendas: [Kansenagenda], today: String) -> Set<NodeID> {
        let gone = notCurrent(on: today)
        var covered: Set<NodeID> = []
        func add(_ id: NodeID) {
            if kind(ofNode: id) == .municipality, !gone.contains(id) { covered.insert(id) }
        }
        // Many agendas name the same region: its members are added once.
        var regionCounts: [NodeID: Bool] = [:]
        for agenda in agendas {
            if let key = agenda.region, let region = id(forKey: key) {
                if let counts = regionCounts[region] {
                    guard counts else { continue }
                } else {
                    let counts = node(id: region).regionType?.countsForKansenagenda != false
                    regionCounts[region] = counts
                    guard counts else { continue }
                    members(of: region).forEach(add)
                }
            }
            agenda.leadsAndPartners.compactMap { id(forKey: $0) }.forEach(add)
        }
        return covered
    }

    /// The municipalities that are `member_of` a node.
    public func members(of id: NodeID) -> [NodeID] {
        adjacency[Int(id)].compactMap { edge in
            relTo[Int(edge.relation)] == id && kind(of: edge.relation) == .memberOf ? edge.neighbor : nil
        }.filter { kind(ofNode: $0) == .municipality }
    }

    /// Coverage per unit of `kind`, units sorted by key, and a last entry (unit nil) for the
    /// municipalities in no current unit of that kind (no functional region, say). Only current
    /// municipalities and units count.
    public func coverage(by kind: CoverageUnit, covered: Set<NodeID>, today: String) -> [UnitCoverage] {
        let gone = notCurrent(on: today)
        let municipalities = nodeIDs.filter { self.kind(ofNode: $0) == .municipality && !gone.contains($0) }
        var byUnit: [NodeID: [NodeID]] = [:]
        var outside: [NodeID] = []
        for municipality in municipalities {
            let units: [NodeID]
            switch kind {
            case .province:
                units = node(id: municipality).province.flatMap { id(forKey: $0) }.map { [$0] } ?? []
            case .corop, .functional:
                let wanted: RegionType = kind == .corop ? .corop : .functional
                units = adjacency[Int(municipality)].compactMap { edge in
                    relFrom[Int(edge.relation)] == municipality && self.kind(of: edge.relation) == .memberOf
                        && node(id: edge.neighbor).regionType == wanted && !gone.contains(edge.neighbor) ? edge.neighbor : nil
                }
            }
            if units.isEmpty { outside.append(municipality) }
            for unit in Set(units) { byUnit[unit, default: []].append(municipality) }
        }
        func entry(_ unit: NodeID?, _ members: [NodeID]) -> UnitCoverage {
            let sorted = members.sorted { node(id: $0).key < node(id: $1).key }
            return UnitCoverage(unit: unit, members: sorted, uncovered: sorted.filter { !covered.contains($0) })
        }
        var result = byUnit.sorted { node(id: $0.key).key < node(id: $1.key).key }.map { entry($0.key, $0.value) }
        if !outside.isEmpty { result.append(entry(nil, outside)) }
        return result
    }
}

/// What a network's own statement says of its member list, from its attributes: whether the
/// graph holds every member (`list_status`), and the size the network itself reports, with
/// the date of that statement. A municipality missing from a partial list may still be a member.
public struct MemberList: Sendable, Equatable {
    public var complete: Bool
    public var reported: Int?
    public var reportedOn: String?

    /// Parsed from a node's attributes; nil when they say nothing of a member list.
    public init?(attributes: String) {
        guard attributes.contains("list_status"),
              let object = try? JSONSerialization.jsonObject(with: Data(attributes.utf8)) as? [String: Any],
              let status = object["list_status"] as? String else { return nil }
        complete = status == "complete"
        reported = object["members_reported"] as? Int
        reportedOn = object["members_reported_on"] as? String
    }
}

extension Node {
    /// A text attribute (`portfolio`, `abbreviation`); nil when the attributes lack it.
    public func attribute(_ name: String) -> String? {
        guard attributes.contains("\"\(name)\""),
              let object = try? JSONSerialization.jsonObject(with: Data(attributes.utf8)) as? [String: Any] else { return nil }
        return object[name] as? String
    }
}

extension Graph {
    /// The current networks whose member list is partial, sorted by name.
    public func partialNetworks(today: String) -> [NodeID] {
        let gone = notCurrent(on: today)
        return nodeIDs.filter { id in
            kind(ofNode: id) == .network && !gone.contains(id) && MemberList(attributes: node(id: id).attributes)?.complete == false
        }.sorted { node(id: $0).name < node(id: $1).name }
    }
}
