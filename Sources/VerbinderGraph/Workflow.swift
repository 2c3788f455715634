/// The co-design workflow's vocabulary and rules, in one place.

/// What a trajectory is for.
public enum TrajectoryKind: String, Sendable, CaseIterable {
    /// An opportunity agenda for a region: the advice wants one for every region.
    case kansenagenda
    /// A co-designed partnership with ministries (stakeholders, goals, milestones).
    case codesign
    case programme
    case regiodeal
    case other
}

public enum TrajectoryStatus: String, Sendable, CaseIterable {
    case active, paused, done, stopped
}

public enum StakeholderRole: String, Sendable, CaseIterable {
    case lead, partner, advisor, funder, observer
}

public enum MilestoneStatus: String, Sendable, CaseIterable {
    case open, done, cancelled
}

/// The status filter of `MILESTONES`: the stored states plus derived `overdue`.
public enum MilestoneFilter: String, Sendable, CaseIterable {
    case open, done, overdue, cancelled
}

public enum MeetingStatus: String, Sendable, CaseIterable {
    case planned, held, cancelled
}

public enum SignalKind: String, Sendable, CaseIterable {
    case problem, solution, example, need
}

/// A milestone change the protocol can ask for.
public enum MilestoneTransition: String, Sendable {
    case done, reopen, move, cancel

    /// Whether the transition is allowed from `status`; an impossible one is `ERR CONFLICT`
    /// and changes nothing. Done twice, moving or finishing a cancelled one: not allowed.
    public func isAllowed(from status: MilestoneStatus) -> Bool {
        switch (self, status) {
        case (.done, .open), (.move, .open), (.cancel, .open), (.reopen, .done), (.reopen, .cancelled): return true
        default: return false
        }
    }
}

/// How a meeting is classified, from its participants' tiers.
///
/// One tier: horizontal (municipalities among themselves). Several: vertical. Tri-party
/// when the participants span at least three tiers, e.g. municipality, province, ministry.
public struct MeetingClass: Sendable, Equatable {
    public var axis: Axis
    public var tripartite: Bool

    public init(tiers: [Tier]) {
        let distinct = Set(tiers)
        axis = distinct.count > 1 ? .vertical : .horizontal
        tripartite = distinct.count >= 3
    }

    /// The tiers a meeting still lacks to be tri-party in the advice's sense: a local or
    /// regional party, a province, and the national level.
    public static func missingTiers(_ tiers: [Tier]) -> [Tier] {
        let present = Set(tiers)
        var missing: [Tier] = []
        if present.isDisjoint(with: [.local, .regional]) { missing.append(.local) }
        if !present.contains(.provincial) { missing.append(.provincial) }
        if !present.contains(.national) { missing.append(.national) }
        return missing
    }
}

/// Durations written like `14d`, `3d`, `90m`, `2h`, `1w`.
public enum Durations {
    /// Minutes in a duration token; nil if malformed.
    public static func minutes(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0 else { return nil }
        switch unit {
        case "m": return number
        case "h": return number * 60
        case "d": return number * 1440
        case "w": return number * 10080
        default: return nil
        }
    }

    /// Days in a `Nd` or `Nw` token.
    public static func days(_ text: String) -> Int? {
        guard let minutes = minutes(text), minutes % 1440 == 0, text.last == "d" || text.last == "w" else { return nil }
        return minutes / 1440
    }

    /// Parses reminder offsets `14d,3d,0d` into whole days, largest first, without duplicates.
    public static func offsets(_ text: String) -> [Int]? {
        var days: [Int] = []
        for part in text.split(separator: ",") {
            guard let value = Self.days(String(part).trimmingCharacters()) else { return nil }
            if !days.contains(value) { days.append(value) }
        }
        return days.isEmpty ? nil : days.sorted(by: >)
    }
}

/// `YYYY-MM-DDTHH:MM` (Europe/Amsterdam wall clock) with an optional offset (`Z`, `+02:00`).
public struct MeetingTime: Sendable, Equatable {
    public var local: String
    public var offset: String?

    public init?(_ text: String) {
        let parts = text.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, Validation.isDate(String(parts[0])) else { return nil }
        var time = String(parts[1])
        var offset: String?
        if time.hasSuffix("Z") {
            offset = "+00:00"
            time.removeLast()
        } else if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            offset = String(time[sign...])
            time = String(time[..<sign])
            guard let offset, offset.count == 6, offset.dropFirst().split(separator: ":").count == 2 else { return nil }
        }
        let clock = time.split(separator: ":")
        guard clock.count == 2, clock[0].count == 2, clock[1].count == 2,
              let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        local = "\(parts[0]) \(time):00"
        self.offset = offset
    }
}

extension String {
    func trimmingCharacters() -> String { String(Substring(self).trimmingSpaces()) }
}
