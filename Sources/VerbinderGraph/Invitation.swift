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
        switch kind {
        case .municipality: [.wethouder, .burgemeester, .gemeentesecretaris, .directeur, .beleidsmedewerker]
        case .province: [.gedeputeerde, .commissarisVanDeKoning, .directeur, .accountmanagerRegio, .beleidsmedewerker]
        case .ministry: [.directeurGeneraal, .accountmanagerRegio, .directeur, .beleidsmedewerker, .staatssecretaris, .minister]
        case .vng: [.directeur, .secretarisVNGAfdeling, .accountmanagerRegio, .beleidsmedewerker]
        case .network, .region, .partner, .knowledge:
            [.directeur, .secretarisVNGAfdeling, .accountmanagerRegio, .burgemeester, .wethouder, .gedeputeerde, .beleidsmedewerker]
        }
    }

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

    public init(id: Int, function: ContactFunction, themes: [String]) {
        self.id = id
        self.function = function
        self.themes = themes
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
        // One pass without allocating: a calendar makes this choice for every participant of
        // every meeting it holds.
        let preference = ContactFunction.preference(for: kind)
        var best: (id: Int, rank: Int, shared: Int)?
        for contact in contacts {
            var shared = 0
            for theme in contact.themes where themes.contains(theme) { shared += 1 }
            guard themes.isEmpty || shared > 0 || contact.function.spansThemes else { continue }
            let rank = contact.function.rank(in: preference)
            if let current = best {
                let better = rank != current.rank ? rank < current.rank
                    : shared != current.shared ? shared > current.shared : contact.id < current.id
                guard better else { continue }
            }
            best = (contact.id, rank, shared)
        }
        if let best { return .contact(id: best.id) }
        if themes.isEmpty { return .none(reason: "no contact person known") }
        return .none(reason: "no contact with a portfolio for \(themes.joined(separator: ", "))")
    }
}

/// An organisation's contacts arranged for the invitation rule: by portfolio theme, and those
/// whose function spans every theme. ``choose(kind:themes:)`` then looks only at the contacts
/// that can fit a meeting's themes, and chooses as ``Invitation/choose(among:kind:themes:)``
/// does over all of them, since that choice only ever falls on one that fits.
public struct InviteeIndex: Sendable {
    /// Every contact, in the order given.
    private let all: [Invitee]
    private let byTheme: [String: [Invitee]]
    private let spanning: [Invitee]

    public init(_ invitees: [Invitee]) {
        all = invitees
        var byTheme: [String: [Invitee]] = [:]
        for invitee in invitees {
            for theme in Set(invitee.themes) { byTheme[theme, default: []].append(invitee) }
        }
        self.byTheme = byTheme
        spanning = invitees.filter { $0.function.spansThemes }
    }

    /// Whom to invite for an organisation of `kind` at a meeting about `themes`.
    public func choose(kind: NodeKind, themes: [String]) -> Invitation {
        guard !themes.isEmpty else { return Invitation.choose(among: all, kind: kind, themes: themes) }
        // A contact that holds two of the themes is listed twice; the choice is the same.
        var fitting = spanning
        for theme in themes { fitting += byTheme[theme] ?? [] }
        return Invitation.choose(among: fitting, kind: kind, themes: themes)
    }
}
