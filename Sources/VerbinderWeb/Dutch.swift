/// The daemon's vocabulary (kinds, states, metric names) in Dutch for people. An unknown word
/// is shown as it is, so a new value in the daemon never breaks a page.
enum Dutch {
    static func kind(_ kind: String) -> String { kinds[kind] ?? kind }
    static func tier(_ tier: String) -> String { tiers[tier] ?? tier }
    static func axis(_ axis: String) -> String { axes[axis] ?? axis }
    /// A state of a meeting, milestone, trajectory, signal or goal: the words do not clash.
    static func state(_ state: String) -> String { states[state] ?? state }
    static func trajectoryKind(_ kind: String) -> String { trajectoryKinds[kind] ?? kind }
    static func role(_ role: String) -> String { roles[role] ?? role }
    static func signalKind(_ kind: String) -> String { signalKinds[kind] ?? kind }
    static func relation(_ kind: String) -> String { relations[kind] ?? kind }
    static func regionType(_ type: String) -> String { regionTypes[type] ?? type }
    static func metric(_ name: String) -> String { metrics[name] ?? name }
    static func yesNo(_ value: Bool) -> String { value ? "ja" : "nee" }

    static let kinds = [
        "municipality": "gemeente", "region": "regio", "province": "provincie", "ministry": "ministerie",
        "knowledge": "kennisinstelling", "network": "netwerk", "vng": "VNG", "partner": "partner",
    ]
    static let tiers = ["local": "lokaal", "regional": "regionaal", "provincial": "provinciaal", "national": "landelijk"]
    static let axes = ["horizontal": "horizontaal", "vertical": "verticaal", "both": "beide", "none": "geen"]
    static let states = [
        "open": "open", "done": "afgerond", "cancelled": "geannuleerd", "planned": "gepland", "held": "gehouden",
        "active": "actief", "paused": "gepauzeerd", "stopped": "gestopt", "raised": "ingebracht", "answered": "beantwoord",
        "closed": "gesloten", "withdrawn": "ingetrokken", "met": "gehaald", "dropped": "vervallen",
    ]
    static let trajectoryKinds = [
        "kansenagenda": "kansenagenda", "codesign": "co-design", "programme": "programma", "regiodeal": "Regio Deal", "other": "overig",
    ]
    static let roles = ["lead": "trekker", "partner": "partner", "advisor": "adviseur", "funder": "financier", "observer": "waarnemer"]
    static let signalKinds = ["problem": "probleem", "solution": "oplossing", "example": "voorbeeld", "need": "behoefte"]
    static let relations = [
        "member_of": "lid van", "part_of": "deel van", "partner_of": "partner van", "works_with": "werkt samen met",
        "advises": "adviseert", "funds": "financiert", "represents": "vertegenwoordigt", "succeeded_by": "opgevolgd door",
    ]
    static let regionTypes = [
        "corop": "COROP-gebied", "veiligheidsregio": "veiligheidsregio", "functional": "functionele regio",
        "regiodeal": "Regio Deal-regio", "arbeidsmarkt": "arbeidsmarktregio", "other": "overige regio",
    ]
    /// The metrics of `REPORT` (docs/protocol.md, `### REPORT`).
    static let metrics = [
        "meetings_held": "Gehouden overleggen",
        "tripartite_share": "Aandeel driepartijenoverleg",
        "milestones_done_on_time": "Mijlpalen op tijd afgerond",
        "milestones_done_late": "Mijlpalen te laat afgerond",
        "milestones_open_overdue": "Open mijlpalen over hun streefdatum (vandaag)",
        "municipalities_covered_by_kansenagenda": "Gemeenten onder een actieve kansenagenda (vandaag)",
        "municipalities_covered_by_kansenagenda_share": "Aandeel gemeenten onder een actieve kansenagenda (vandaag)",
        "regions_with_kansenagenda": "Regio's met een actieve kansenagenda (vandaag)",
        "regions_with_kansenagenda_share": "Aandeel regio's met een actieve kansenagenda (vandaag)",
        "municipalities_without_vertical_meeting": "Gemeenten zonder gehouden verticaal overleg",
        "municipalities_without_vertical_meeting_unaffiliated": "Gemeenten zonder gehouden verticaal overleg en in geen netwerk",
        "signals": "Binnengekomen signalen",
        "signals_by_state": "Binnengekomen signalen naar huidige status",
        "signals_raised": "Ingebrachte signalen",
        "signals_answered": "Ingebrachte signalen die beantwoord zijn",
        "signals_answer_median_days": "Mediane antwoordtijd (dagen)",
        "signals_raised_from_unaffiliated": "Ingebrachte signalen van gemeenten in geen netwerk",
        "signals_raised_from_unaffiliated_share": "Aandeel ingebrachte signalen van gemeenten in geen netwerk",
        "signals_raised_outside_g4_g40": "Ingebrachte signalen van gemeenten buiten G4 en G40",
        "signals_raised_outside_g4_g40_share": "Aandeel ingebrachte signalen van gemeenten buiten G4 en G40",
        "goals_met_on_time": "Doelen op tijd gehaald",
        "goals_met_late": "Doelen te laat gehaald",
        "goals_open_past_date": "Open doelen over hun datum (vandaag)",
        "goals": "Doelen toegevoegd in de periode, naar huidige status",
    ]
    /// The dimensions of `REPORT`'s metrics.
    static let dimensions = [
        "month": "maand", "axis": "as", "kind": "soort", "theme": "thema", "state": "status", "party": "partij",
        "province": "provincie", "region_type": "regiotype",
    ]
}
