import VerbinderText

/// What a contact person does at their organisation: the closed vocabulary of `function=`.
/// The raw values are the words Dutch civil servants use, written as one slug each.
public enum ContactFunction: String, Sendable, CaseIterable, Codable {
    case burgemeester, wethouder, gemeentesecretaris, gedeputeerde
    case commissarisVanDeKoning = "commissaris-van-de-koning"
    case minister, staatssecretaris
    case directeurGeneraal = "directeur-generaal"
    case directeur, beleidsmedewerker
    case accountmanagerRegio = "accountmanager-regio"
    case secretarisVNGAfdeling = "secretaris-vng-afdeling"
    case other

    /// Functions whose work spans every theme of their organisation, so they fit a meeting
    /// without a portfolio: the ministry's account manager for a region and the secretary of
    /// a VNG department.
    public var spansThemes: Bool { self == .accountmanagerRegio || self == .secretarisVNGAfdeling }

    /// The functions to invite for an organisation of this kind, best first. A function not in
    /// the list comes after all of them; `other` always comes last. At a municipality the
    /// wethouder holding the portfolio sits at the table, not the burgemeester; at a ministry
    /// the civil service (a directeur-generaal, the accountmanager for the region) does the
    /// co-design work, the minister does not.
    public static func preference(for kind: NodeKind) -> [ContactFunction] {
        // Stored once: the calendar asks for every attendee it writes.
        switch kind {
        case .municipality: municipalityPreference
        case .province: provincePreference
        case .ministry: ministryPreference
        case .vng: vngPreference
        case .network, .region, .partner, .knowledge: otherPreference
        }
    }

    private static let municipalityPreference: [ContactFunction] = [.wethouder, .burgemeester, .gemeentesecretaris, .directeur, .beleidsmedewerker]
    private static let provincePreference: [ContactFunction] = [.gedeputeerde, .commissarisVanDeKoning, .directeur, .accountmanagerRegio, .beleidsmedewerker]
    private static let ministryPreference: [ContactFunction] = [.directeurGeneraal, .accountmanagerRegio, .directeur, .beleidsmedewerker,
                                                                .staatssecretaris, .minister]
    private static let vngPreference: [ContactFunction] = [.directeur, .secretarisVNGAfdeling, .accountmanagerRegio, .beleidsmedewerker]
    private static let otherPreference: [ContactFunction] = [.directeur, .secretarisVNGAfdeling, .accountmanagerRegio, .burgemeester, .wethouder,
                                                             .gedeputeerde, .beleidsmedewerker]

    /// The rank of this function at an organisation of `kind`: lower is better.
    public func rank(at kind: NodeKind) -> Int { rank(in: ContactFunction.preference(for: kind)) }

    /// The rank of this function in a ``preference(for:)`` list.
    func rank(in preference: [ContactFunction]) -> Int {
        if self == .other { return Int.max }
        return preference.firstIndex(of: self) ?? preference.count
    }
}

/// A contact person as the invitation rule sees them.
public struct Invitee: Sendable, Equatable {
    public var id: Int
    public var function: ContactFunction
    /// Theme keys of the person's portfolio.
    public var themes: [String]

    /// `themes` are kept once each, in their order: a portfolio is a set of themes.
    public init(id: Int, function: ContactFunction, themes: [String]) {
        self.id = id
        self.function = function
        var unique: [String] = []
        unique.reserveCapacity(themes.count)
        for theme in themes where !unique.contains(theme) { unique.append(theme) }
        self.themes = unique
    }
}

/// Whom to invite for an organisation at a meeting: the contact whose portfolio and function
/// fit the trajectory best, or why there is nobody, so the gap shows in the plan.
public enum Invitation: Sendable, Equatable {
    case contact(id: Int)
    case none(reason: Message)

    /// The choice among `contacts` of an organisation of `kind` for a meeting about `themes`
    /// (theme keys; empty when the meeting has no trajectory or the trajectory no themes).
    ///
    /// A contact fits when their portfolio holds one of the themes, when there are no themes,
    /// or when their function spans every theme (``ContactFunction/spansThemes``). Among the
    /// ones that fit: the better function for the kind (``ContactFunction/rank(at:)``), then
    /// the more themes in common, then the contact known longest (lowest id).
    public static func choose(among contacts: [Invitee], kind: NodeKind, themes: [String]) -> Invitation {
        var best = Best(kind: kind, themes: themes)
        best.consider(contacts)
        return best.invitation
    }

    /// The running choice of ``choose(among:kind:themes:)``: contacts are considered in any
    /// order, each as often as it comes (the same contact twice changes nothing), without
    /// allocating: a calendar makes this choice for every participant of the meetings it holds.
    struct Best {
        let preference: [ContactFunction]
        let themes: [String]
        /// The contact chosen so far, with its position in the list it came from.
        private(set) var chosen: (id: Int, position: Int, rank: Int, shared: Int)?

        init(kind: NodeKind, themes: [String]) {
            preference = ContactFunction.preference(for: kind)
            self.themes = themes
        }

        mutating func consider(_ contacts: [Invitee]) {
            for (position, contact) in contacts.enumerated() {
                var shared = 0
                for theme in contact.themes where themes.contains(theme) { shared += 1 }
                offer(id: contact.id, position: position, function: contact.function, shared: shared)
            }
        }

        /// A contact with `shared` of the meeting's themes in its portfolio.
        @inline(__always)
        mutating func offer(id: Int, position: Int, function: ContactFunction, shared: Int) {
            guard themes.isEmpty || shared > 0 || function.spansThemes else { return }
            let rank = function.rank(in: preference)
            if let current = chosen {
                let better = rank != current.rank ? rank < current.rank
                    : shared != current.shared ? shared > current.shared : id < current.id
                guard better else { return }
            }
            chosen = (id, position, rank, shared)
        }

        var invitation: Invitation {
            if let chosen { return .contact(id: chosen.id) }
            if themes.isEmpty { return .none(reason: "no contact person known") }
            return .none(reason: "no contact with a portfolio for \(themes.joined(separator: ", "))")
        }
    }
}

/// An organisation's contacts arranged for the invitation rule: each portfolio as bits, one
/// per theme its contacts hold, and the contacts in order of preference for each kind of
/// organisation, so that a choice reads the best-ranked contacts until one fits and stops at
/// the next rank. It chooses as ``Invitation/choose(among:kind:themes:)`` does: a calendar
/// makes this choice for every participant of the meetings it holds.
public struct InviteeIndex: Sendable {
    /// Every contact, in the order given.
    private let all: [Invitee]
    /// The bit of each theme a contact holds; nil when they hold more than 64 (then the
    /// choice walks the lists).
    private let bits: [String: UInt64]?
    /// For each preference list (``ContactFunction/preference(for:)``, by
    /// ``preferenceGroup(_:)``): the contacts by rank, then id, each with its position in
    /// `all`, its portfolio as bits and whether its function spans every theme.
    private let ranked: [[Ranked]]

    private struct Ranked {
        let position: Int
        let rank: Int
        let themes: UInt64
        let spansThemes: Bool
    }

    public init(_ invitees: [Invitee]) {
        all = invitees
        var bits: [String: UInt64]? = [:]
        for invitee in invitees {
            for theme in invitee.themes where bits?[theme] == nil {
                guard let count = bits?.count, count < 64 else { bits = nil; break }
                bits?[theme] = 1 << UInt64(count)
            }
        }
        self.bits = bits
        ranked = bits.map { bits in
            let portfolios = invitees.map { $0.themes.reduce(0) { $0 | bits[$1]! } }
            return InviteeIndex.groups.map { kind in
                let preference = ContactFunction.preference(for: kind)
                return invitees.indices
                    .map { Ranked(position: $0, rank: invitees[$0].function.rank(in: preference), themes: portfolios[$0],
                                  spansThemes: invitees[$0].function.spansThemes) }
                    // Stable: the same contact given twice keeps its first place, as the rule does.
                    .sorted { ($0.rank, invitees[$0.position].id, $0.position) < ($1.rank, invitees[$1.position].id, $1.position) }
            }
        } ?? []
    }

    /// One kind for each distinct preference list.
    private static let groups: [NodeKind] = [.municipality, .province, .ministry, .vng, .network]

    private static func preferenceGroup(_ kind: NodeKind) -> Int {
        switch kind {
        case .municipality: 0
        case .province: 1
        case .ministry: 2
        case .vng: 3
        case .network, .region, .partner, .knowledge: 4
        }
    }

    /// Whom to invite for an organisation of `kind` at a meeting about `themes`.
    public func choose(kind: NodeKind, themes: [String]) -> Invitation {
        best(kind: kind, themes: themes).invitation
    }

    /// The id of the contact ``choose(kind:themes:)`` chooses, nil when nobody fits (without
    /// the reason, which a calendar does not show).
    public func chosenID(kind: NodeKind, themes: [String]) -> Int? {
        best(kind: kind, themes: themes).chosen?.id
    }

    /// Where the contact ``choose(kind:themes:)`` chooses is in the list the index was made
    /// of; nil when nobody fits.
    public func chosenPosition(kind: NodeKind, themes: [String]) -> Int? {
        best(kind: kind, themes: themes).chosen?.position
    }

    private func best(kind: NodeKind, themes: [String]) -> Invitation.Best {
        var best = Invitation.Best(kind: kind, themes: themes)
        guard let bits else {
            best.consider(all)
            return best
        }
        // A theme no contact holds has no bit: it adds nothing in common with anyone.
        var wanted: UInt64 = 0
        for theme in themes { wanted |= bits[theme] ?? 0 }
        // The first contact that fits sets the rank; among that rank (by id) the most themes in
        // common wins, the lowest id on a tie. A worse rank never wins, so the walk stops there.
        var chosen: (position: Int, rank: Int, shared: Int)?
        for entry in ranked[InviteeIndex.preferenceGroup(kind)] {
            if let current = chosen, entry.rank > current.rank { break }
            let shared = (entry.themes & wanted).nonzeroBitCount
            guard themes.isEmpty || shared > 0 || entry.spansThemes else { continue }
            if let current = chosen, shared <= current.shared { continue }
            chosen = (entry.position, entry.rank, shared)
        }
        if let chosen {
            best.offer(id: all[chosen.position].id, position: chosen.position, function: all[chosen.position].function, shared: chosen.shared)
        }
        return best
    }
}
