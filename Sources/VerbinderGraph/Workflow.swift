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

/// Where a signal stands on its way to the national table and back:
/// `open → raised → answered → closed`, or `withdrawn` before it is closed.
public enum SignalStatus: String, Sendable, CaseIterable {
    case open, raised, answered, closed, withdrawn

    /// The state a step leads to from this one, or nil when the step is not allowed here
    /// (answering a signal that was never raised, raising a closed one).
    public func after(_ step: SignalStep) -> SignalStatus? {
        switch (step, self) {
        case (.raise, .open): return .raised
        case (.answer, .raised): return .answered
        case (.close, .open), (.close, .raised), (.close, .answered): return .closed
        case (.withdraw, .open), (.withdraw, .raised), (.withdraw, .answered): return .withdrawn
        default: return nil
        }
    }
}

/// A step on a signal's path: put it on a party's table, record the answer, close it, or
/// withdraw it.
public enum SignalStep: String, Sendable, CaseIterable {
    case raise, answer, close, withdraw
}

/// Where a goal of a trajectory stands: `open` until it is `met`, or `dropped` with a reason.
/// Past its date is derived (open and its date before today), never stored.
public enum GoalState: String, Sendable, CaseIterable {
    case open, met, dropped

    /// The state a step leads to from this one, or nil when the step is not allowed here. Only
    /// an open goal moves: progress on a met goal, meeting a dropped one or dropping a met one
    /// would rewrite what was already concluded.
    public func after(_ step: GoalStep) -> GoalState? {
        switch (step, self) {
        case (.progress, .open): return .open
        case (.met, .open): return .met
        case (.drop, .open): return .dropped
        default: return nil
        }
    }
}

/// A step of a goal: a dated progress report, met, or dropped.
public enum GoalStep: String, Sendable, CaseIterable {
    case progress, met, drop
}

/// Where a reminder occurrence stands: waiting, leased to a worker, or done one way or another.
public enum ReminderState: String, Sendable, CaseIterable {
    case pending, leased, sent, dead, cancelled, superseded, expired
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

/// A party at the table in the advice's sense of a tri-party meeting: the national
/// government with the municipal and regional side and a third party.
public enum Party: String, Sendable, CaseIterable {
    case national, province, region, municipality

    /// The party a participant is, if any. The VNG and its departments convene and are no
    /// party. A partner of the provincial layer (IPO, the provinces' association) sits for the
    /// provinces; any other knowledge institution or partner outside the national layer is no
    /// party.
    public static func of(kind: NodeKind, layer: Layer) -> Party? {
        if kind == .vng { return nil }
        if layer == .national { return .national }
        switch kind {
        case .municipality: return .municipality
        case .region, .network: return .region
        case .province: return .province
        case .partner where layer == .provincial: return .province
        default: return nil
        }
    }

    /// The scale level the party stands for (the `tier=` of a `missing` record).
    public var tier: Tier {
        switch self {
        case .national: return .national
        case .province: return .provincial
        case .region: return .regional
        case .municipality: return .local
        }
    }
}

/// How a meeting is classified, from its participants' layers and kinds: the one rule.
///
/// - axis: horizontal when every participant is in one layer, vertical otherwise (the rule of
///   a relation, ``Axis/of(_:_:)``, over the whole table);
/// - tri-party: the national layer plus at least two of a municipality, a region or network,
///   and a province, not counting the VNG (it convenes: ``Party/of(kind:layer:)``).
public struct MeetingClass: Sendable, Equatable {
    public var axis: Axis
    public var tripartite: Bool

    /// The decentral and provincial parties of which a tri-party meeting has at least two.
    static let sideParties: [Party] = [.province, .region, .municipality]

    public init(participants: [(kind: NodeKind, layer: Layer)]) {
        axis = Set(participants.map(\.layer)).count > 1 ? .vertical : .horizontal
        tripartite = MeetingClass.missingParties(participants).isEmpty
    }

    public init(nodes: [Node]) {
        self.init(participants: nodes.map { ($0.kind, $0.layer) })
    }

    /// What the meeting lacks to be tri-party, the national government first: `[]` for a
    /// tri-party meeting. With fewer than two of province, region and municipality, every
    /// absent one is listed (any of them makes up the number).
    public static func missingParties(_ participants: [(kind: NodeKind, layer: Layer)]) -> [Party] {
        let present = Set(participants.compactMap { Party.of(kind: $0.kind, layer: $0.layer) })
        var missing: [Party] = present.contains(.national) ? [] : [.national]
        if sideParties.filter(present.contains).count < 2 {
            missing += sideParties.filter { !present.contains($0) }
        }
        return missing
    }
}

/// Durations written like `14d`, `3d`, `90m`, `2h`, `1w`.
public enum Durations {
    /// Minutes in a duration token; nil if malformed.
    public static func minutes(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0 else { return nil }
        let factor: Int
        switch unit {
        case "m": factor = 1
        case "h": factor = 60
        case "d": factor = 1440
        case "w": factor = 10080
        default: return nil
        }
        // A number too large to count in minutes is no duration (it used to trap).
        let (minutes, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : minutes
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
/// An offset is `+HH:MM` or `-HH:MM` from `-14:00` to `+14:00` (the offsets in use on earth).
public struct MeetingTime: Sendable, Equatable {
    public var local: String
    public var offset: String?
    /// Minutes since 1970-01-01T00:00 on the clock the time was written in.
    var clockMinutes: Int
    /// The offset in minutes east of UTC, if one was given.
    var offsetMinutes: Int?

    /// The earliest start and the latest end, on the clock the time is written in: a day inside
    /// 1900-01-01 … 9999-12-31, so that neither Europe/Amsterdam (the answers' clock) nor UTC
    /// (`EXPORT ics`) can carry a meeting out of the years 1900 to 9999.
    public static let earliestStart = "1900-01-02T00:00"
    public static let latestEnd = "9999-12-31T00:00"

    /// Whether a meeting of `minutes` starting at this time starts and ends within
    /// ``earliestStart`` … ``latestEnd``.
    public func fits(minutes: Int) -> Bool {
        let first = Validation.dayNumber("1900-01-02")! * 1440
        let last = Validation.dayNumber("9999-12-31")! * 1440
        return clockMinutes >= first && clockMinutes + minutes <= last
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, Validation.isDate(String(parts[0])) else { return nil }
        var time = String(parts[1])
        var offset: String?
        offsetMinutes = nil
        if time.hasSuffix("Z") {
            offset = "+00:00"
            offsetMinutes = 0
            time.removeLast()
        } else if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            offset = String(time[sign...])
            time = String(time[..<sign])
            guard let offset, let minutes = MeetingTime.offsetMinutes(offset) else { return nil }
            offsetMinutes = minutes
        }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, clock[0].count == 2, clock[1].count == 2,
              clock.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour), (0..<60).contains(minute),
              let day = Validation.dayNumber(String(parts[0])) else { return nil }
        local = "\(parts[0]) \(time):00"
        clockMinutes = day * 1440 + hour * 60 + minute
        self.offset = offset
    }
}

extension MeetingTime {
    /// `+HH:MM` / `-HH:MM` from -14:00 to +14:00 in minutes; nil otherwise (`+25:00`, `+02:60`).
    static func offsetMinutes(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":"),
              [1, 2, 4, 5].allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
        let digit = { (index: Int) in Int(bytes[index] - 0x30) }
        let hours = digit(1) * 10 + digit(2), minutes = digit(4) * 10 + digit(5)
        guard minutes < 60, hours * 60 + minutes <= 14 * 60 else { return nil }
        return (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 60 + minutes)
    }
}

extension String {
    func trimmingCharacters() -> String { String(Substring(self).trimmingSpaces()) }
}
