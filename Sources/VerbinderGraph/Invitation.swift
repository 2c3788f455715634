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
    public func rank(at kind: NodeKind) -> Int {
        if self == .other { return Int.max }
        let preference = ContactFunction.preference(for: kind)
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
        let wanted = Set(themes)
        let fitting = contacts.compactMap { contact -> (contact: Invitee, shared: Int)? in
            let shared = contact.themes.filter(wanted.contains).count
            guard wanted.isEmpty || shared > 0 || contact.function.spansThemes else { return nil }
            return (contact, shared)
        }
        let best = fitting.min { a, b in
            let rankA = a.contact.function.rank(at: kind), rankB = b.contact.function.rank(at: kind)
            if rankA != rankB { return rankA < rankB }
            if a.shared != b.shared { return a.shared > b.shared }
            return a.contact.id < b.contact.id
        }
        if let best { return .contact(id: best.contact.id) }
        if themes.isEmpty { return .none(reason: "no contact person known") }
        return .none(reason: "no contact with a portfolio for \(themes.joined(separator: ", "))")
    }
}
