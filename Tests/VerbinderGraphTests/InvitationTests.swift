import Testing
import VerbinderText
@testable import VerbinderGraph

/// Whom to invite for an organisation (issue 18, point 3): portfolio first, then the function
/// that sits at such a table for that kind of organisation.
@Suite struct InvitationTests {
    let burgemeester = Invitee(id: 1, function: .burgemeester, themes: ["veiligheid"])
    let wethouder = Invitee(id: 2, function: .wethouder, themes: ["wonen", "ruimte"])
    let beleid = Invitee(id: 3, function: .beleidsmedewerker, themes: ["wonen"])

    @Test func theWethouderWithThePortfolioBeforeTheBurgemeesterAndTheCivilServant() {
        #expect(Invitation.choose(among: [burgemeester, wethouder, beleid], kind: .municipality, themes: ["wonen"]) == .contact(id: 2))
        // The order they were added in does not matter.
        #expect(Invitation.choose(among: [beleid, wethouder, burgemeester], kind: .municipality, themes: ["wonen"]) == .contact(id: 2))
        // A burgemeester with the portfolio still comes after a wethouder with it.
        let burgemeesterWonen = Invitee(id: 4, function: .burgemeester, themes: ["wonen"])
        #expect(Invitation.choose(among: [burgemeesterWonen, wethouder], kind: .municipality, themes: ["wonen"]) == .contact(id: 2))
        // Without a wethouder for it, the civil servant with the portfolio, not the burgemeester without.
        #expect(Invitation.choose(among: [burgemeester, beleid], kind: .municipality, themes: ["wonen"]) == .contact(id: 3))
    }

    @Test func noPortfolioForTheThemesIsAVisibleGap() {
        let choice = Invitation.choose(among: [burgemeester], kind: .municipality, themes: ["wonen", "zorg"])
        guard case .none(let reason) = choice else { Issue.record("expected none, got \(choice)"); return }
        #expect(reason.text(.en) == "no contact with a portfolio for wonen, zorg")
        #expect(reason.text(.nl) == "geen contactpersoon met een portefeuille voor wonen, zorg")
        // Nobody at all: for a meeting about a theme, the gap is the same.
        guard case .none(let nobody) = Invitation.choose(among: [], kind: .ministry, themes: ["wonen"]) else { Issue.record("expected none"); return }
        #expect(nobody.text(.en) == "no contact with a portfolio for wonen")
        guard case .none(let empty) = Invitation.choose(among: [], kind: .ministry, themes: []) else { Issue.record("expected none"); return }
        #expect(empty.text(.en) == "no contact person known")
    }

    @Test func atAMinistryTheCivilServiceBeforeTheMinister() {
        let minister = Invitee(id: 10, function: .minister, themes: ["wonen"])
        let dg = Invitee(id: 11, function: .directeurGeneraal, themes: ["wonen"])
        let account = Invitee(id: 12, function: .accountmanagerRegio, themes: [])
        #expect(Invitation.choose(among: [minister, dg, account], kind: .ministry, themes: ["wonen"]) == .contact(id: 11))
        // The account manager for the region spans every theme: no portfolio needed.
        #expect(Invitation.choose(among: [minister, account], kind: .ministry, themes: ["wonen"]) == .contact(id: 12))
        // A minister is still better than nobody when the portfolio fits.
        #expect(Invitation.choose(among: [minister], kind: .ministry, themes: ["wonen"]) == .contact(id: 10))
    }

    @Test func withoutThemesTheFunctionDecidesThenTheSharedThemesThenTheOldest() {
        let other = Invitee(id: 1, function: .other, themes: ["wonen"])
        let gedeputeerde = Invitee(id: 5, function: .gedeputeerde, themes: [])
        #expect(Invitation.choose(among: [other, gedeputeerde], kind: .province, themes: []) == .contact(id: 5))
        let first = Invitee(id: 7, function: .wethouder, themes: ["wonen"])
        let both = Invitee(id: 8, function: .wethouder, themes: ["wonen", "zorg"])
        let twin = Invitee(id: 9, function: .wethouder, themes: ["wonen", "zorg"])
        #expect(Invitation.choose(among: [first, twin, both], kind: .municipality, themes: ["wonen", "zorg"]) == .contact(id: 8))
        // `other` comes after every named function, even one not in the kind's list.
        #expect(ContactFunction.other.rank(at: .municipality) > ContactFunction.minister.rank(at: .municipality))
    }

    /// The rule as its documentation states it, written the plain way: of the contacts that fit,
    /// the first when sorted by rank, then most themes in common, then id.
    static func stated(among contacts: [Invitee], kind: NodeKind, themes: [String]) -> Int? {
        let wanted = Set(themes)
        return contacts
            .map { (contact: $0, shared: Set($0.themes).filter(wanted.contains).count) }
            .filter { themes.isEmpty || $0.shared > 0 || $0.contact.function.spansThemes }
            .sorted { ($0.contact.function.rank(at: kind), -$0.shared, $0.contact.id) < ($1.contact.function.rank(at: kind), -$1.shared, $1.contact.id) }
            .first?.contact.id
    }

    @Test func theChoiceIsTheStatedRuleOnRandomContactsAndTheIndexChoosesTheSame() {
        // A fixed generator, so a failure can be replayed.
        var random = SplitMix(seed: 20261206)
        let pool = ["wonen", "zorg", "energie", "ruimte", "onderwijs"]
        var chosen = 0
        for _ in 0..<5_000 {
            let contacts = (0..<Int.random(in: 0...8, using: &random)).map { _ in
                Invitee(id: Int.random(in: 1...30, using: &random), function: ContactFunction.allCases.randomElement(using: &random)!,
                        themes: (0..<Int.random(in: 0...3, using: &random)).map { _ in pool.randomElement(using: &random)! })
            }
            let unique = Dictionary(contacts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }).values.shuffled(using: &random)
            let themes = Array(pool.shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random)))
            let kind = NodeKind.allCases.randomElement(using: &random)!
            let expected = Self.stated(among: Array(unique), kind: kind, themes: themes)
            let choice = Invitation.choose(among: Array(unique), kind: kind, themes: themes)
            // The index looks only at the contacts that can fit, and chooses the same.
            let index = InviteeIndex(Array(unique))
            #expect(index.choose(kind: kind, themes: themes) == choice, "\(unique) \(kind) \(themes)")
            #expect(index.chosenID(kind: kind, themes: themes) == expected, "\(unique) \(kind) \(themes)")
            #expect(index.chosenPosition(kind: kind, themes: themes).map { Array(unique)[$0].id } == expected)
            if let expected {
                #expect(choice == .contact(id: expected), "\(unique) \(kind) \(themes)")
                chosen += 1
            } else if case .contact = choice {
                Issue.record("chose \(choice) where nobody fits: \(unique) \(kind) \(themes)")
            }
        }
        #expect(chosen > 2_500, "\(chosen) of 5000 with someone to choose")
    }

    /// Contacts holding more than 64 themes between them (no bit for each): the index then
    /// walks the lists, and still chooses by the stated rule. A theme listed twice in a
    /// portfolio counts once.
    @Test func manyThemesAndRepeatedThemesKeepTheStatedRule() {
        var random = SplitMix(seed: 64)
        let pool = (0..<100).map { "thema-\($0)" }
        for _ in 0..<400 {
            let contacts = (0..<Int.random(in: 20...40, using: &random)).map { id in
                Invitee(id: id, function: ContactFunction.allCases.randomElement(using: &random)!,
                        themes: (0..<Int.random(in: 1...4, using: &random)).map { _ in pool.randomElement(using: &random)! })
            }
            let themes = Array(pool.shuffled(using: &random).prefix(Int.random(in: 0...5, using: &random)))
            let kind = NodeKind.allCases.randomElement(using: &random)!
            let expected = Self.stated(among: contacts, kind: kind, themes: themes)
            #expect(InviteeIndex(contacts).chosenID(kind: kind, themes: themes) == expected)
            #expect(InviteeIndex(contacts).chosenPosition(kind: kind, themes: themes).map { contacts[$0].id } == expected)
        }
        let twice = Invitee(id: 1, function: .wethouder, themes: ["zorg", "zorg"])
        let both = Invitee(id: 2, function: .wethouder, themes: ["zorg", "wonen"])
        #expect(twice.themes == ["zorg"])
        #expect(InviteeIndex([twice, both]).chosenID(kind: .municipality, themes: ["zorg", "wonen"]) == 2)
        #expect(Invitation.choose(among: [twice, both], kind: .municipality, themes: ["zorg", "wonen"]) == .contact(id: 2))
    }
}

/// SplitMix64: a small seeded generator for repeatable random cases.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
