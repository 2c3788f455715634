/// What `/node/<key>` shows about one node: its facts, its relations on each axis, its
/// trajectories, meetings and signals, its ego network, and whom it could meet.
public struct NodeView: Sendable, Equatable {
    /// A relation seen from this node: `direction` says which end it is on.
    public struct RelationRow: Sendable, Equatable {
        /// Outgoing: this node `kind` the other (`member_of`); incoming: the other `kind` this
        /// node; mutual: a symmetric relation (`partner_of`, `works_with`).
        public enum Direction: String, Sendable, Equatable {
            case outgoing, incoming, mutual
        }

        public var kind: String
        public var direction: Direction
        public var other: NodeRef
        public var note: String

        public init(kind: String, direction: Direction, other: NodeRef, note: String = "") {
            self.kind = kind
            self.direction = direction
            self.other = other
            self.note = note
        }
    }

    /// A trajectory the node takes part in, with its role there.
    public struct TrajectoryRow: Sendable, Equatable {
        public var key: String
        public var name: String
        public var role: String
        public var status: String

        public init(key: String, name: String, role: String, status: String) {
            self.key = key
            self.name = name
            self.role = role
            self.status = status
        }
    }

    /// A signal the node brought in.
    public struct SignalRow: Sendable, Equatable {
        public var id: Int
        public var kind: String
        public var theme: String
        public var text: String
        public var status: String

        public init(id: Int, kind: String, theme: String, text: String, status: String) {
            self.id = id
            self.kind = kind
            self.theme = theme
            self.text = text
            self.status = status
        }
    }

    /// Someone the node could meet, with the reasons in Dutch (`SUGGEST`'s evidence).
    public struct Suggestion: Sendable, Equatable {
        public var node: NodeRef
        public var score: Double
        public var reasons: [String]

        public init(node: NodeRef, score: Double, reasons: [String]) {
            self.node = node
            self.score = score
            self.reasons = reasons
        }
    }

    public var key: String
    public var name: String
    public var kind: String
    public var provinceName: String?
    public var tier: String
    public var themes: [String]
    public var aliases: [String]
    /// Relations within one government layer.
    public var horizontalRelations: [RelationRow]
    /// Relations across layers.
    public var verticalRelations: [RelationRow]
    public var trajectories: [TrajectoryRow]
    public var meetings: [MeetingRow]
    public var signals: [SignalRow]
    /// The ego network as an SVG document from GraphViz, shown as an image; nil to list
    /// `egoNeighbours` instead.
    public var egoSVG: String?
    public var egoNeighbours: [NodeRef]
    public var suggestions: [Suggestion]

    public init(key: String, name: String, kind: String, provinceName: String? = nil, tier: String, themes: [String] = [],
                aliases: [String] = [], horizontalRelations: [RelationRow] = [], verticalRelations: [RelationRow] = [],
                trajectories: [TrajectoryRow] = [], meetings: [MeetingRow] = [], signals: [SignalRow] = [],
                egoSVG: String? = nil, egoNeighbours: [NodeRef] = [], suggestions: [Suggestion] = []) {
        self.key = key
        self.name = name
        self.kind = kind
        self.provinceName = provinceName
        self.tier = tier
        self.themes = themes
        self.aliases = aliases
        self.horizontalRelations = horizontalRelations
        self.verticalRelations = verticalRelations
        self.trajectories = trajectories
        self.meetings = meetings
        self.signals = signals
        self.egoSVG = egoSVG
        self.egoNeighbours = egoNeighbours
        self.suggestions = suggestions
    }
}

/// The page `/node/<key>`.
public enum NodePage {
    public static func render(_ view: NodeView) -> String {
        var facts = [("Sleutel", view.key), ("Soort", Dutch.kind(view.kind))]
        if let province = view.provinceName { facts.append(("Provincie", province)) }
        facts.append(("Niveau", Dutch.tier(view.tier)))
        facts.append(("Thema's", view.themes.isEmpty ? "—" : view.themes.joined(separator: ", ")))
        if !view.aliases.isEmpty { facts.append(("Ook bekend als", view.aliases.joined(separator: ", "))) }
        var body = "<dl class=\"facts\">\n"
        for (term, value) in facts { body += "<dt>\(HTML.escape(term))</dt><dd>\(HTML.escape(value))</dd>\n" }
        body += "</dl>\n"

        body += section("relations-horizontal", "Horizontaal",
                        "<p class=\"hint\">Relaties binnen dezelfde bestuurslaag. Uitgaand: \(HTML.escape(view.name)) is het onderwerp van de relatie; inkomend: de andere partij.</p>\n"
                            + relationTable(view.horizontalRelations, empty: "Geen horizontale relaties."))
        body += section("relations-vertical", "Verticaal",
                        "<p class=\"hint\">Relaties tussen bestuurslagen (gemeenten en regio's, provincies, het Rijk).</p>\n"
                            + relationTable(view.verticalRelations, empty: "Geen verticale relaties."))
        body += section("network", "Ego-netwerk", ego(view))
        body += section("trajectories", "Trajecten", view.trajectories.isEmpty ? HTML.empty("Geen trajecten.") : Table(
            columns: [Table.Column(title: "Traject"), Table.Column(title: "Rol"), Table.Column(title: "Status")],
            rows: view.trajectories.map { row in
                Table.Row(cells: ["<a href=\"/trajectory/\(HTML.escape(HTML.pathSegment(row.key)))\">\(HTML.escape(row.name))</a>",
                                  HTML.escape(Dutch.role(row.role)), HTML.escape(Dutch.state(row.status))])
            }).html)
        body += section("meetings", "Overleggen", view.meetings.isEmpty ? HTML.empty("Geen overleggen.") : Table(
            columns: [Table.Column(title: "Nr.", isNumeric: true), Table.Column(title: "Begin"), Table.Column(title: "Titel"),
                      Table.Column(title: "As"), Table.Column(title: "Driepartijen"), Table.Column(title: "Status")],
            rows: view.meetings.map { meeting in
                Table.Row(cells: [String(meeting.id), HTML.escape(meeting.start), HTML.escape(meeting.title), HTML.escape(Dutch.axis(meeting.axis)),
                                  Dutch.yesNo(meeting.tripartite), HTML.escape(Dutch.state(meeting.status))])
            }).html)
        body += section("signals", "Signalen", view.signals.isEmpty ? HTML.empty("Geen signalen.") : Table(
            columns: [Table.Column(title: "Nr.", isNumeric: true), Table.Column(title: "Soort"), Table.Column(title: "Thema"),
                      Table.Column(title: "Tekst"), Table.Column(title: "Status")],
            rows: view.signals.map { signal in
                Table.Row(cells: [String(signal.id), HTML.escape(Dutch.signalKind(signal.kind)), HTML.escape(signal.theme),
                                  HTML.escape(signal.text), HTML.escape(Dutch.state(signal.status))])
            }).html)
        body += section("suggestions", "Wie te ontmoeten", suggestions(view.suggestions))
        return PageLayout.render(title: view.name, body: body)
    }

    static func section(_ id: String, _ heading: String, _ content: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(HTML.escape(heading))</h2>\n\(content)</section>\n"
    }

    static func relationTable(_ relations: [NodeView.RelationRow], empty: String) -> String {
        guard !relations.isEmpty else { return HTML.empty(empty) }
        let directions: [NodeView.RelationRow.Direction: String] = [.outgoing: "uitgaand", .incoming: "inkomend", .mutual: "wederzijds"]
        return Table(columns: [Table.Column(title: "Relatie"), Table.Column(title: "Richting"), Table.Column(title: "Partij"),
                               Table.Column(title: "Notitie")],
                     rows: relations.map { relation in
                         Table.Row(cells: [HTML.escape(Dutch.relation(relation.kind)), directions[relation.direction] ?? "",
                                           HTML.linkWithKind(relation.other), HTML.escape(relation.note)])
                     }).html
    }

    /// GraphViz's SVG as an `<img>` with a `data:` URL: an SVG shown as an image runs no
    /// scripts and loads nothing, whatever it contains.
    static func ego(_ view: NodeView) -> String {
        if let svg = view.egoSVG {
            return """
                <figure id="ego"><img alt="Ego-netwerk van \(HTML.escape(view.name)): de partijen waarmee het verbonden is" \
                src="data:image/svg+xml;base64,\(HTML.base64(svg.utf8))">
                <figcaption>Het netwerk rond \(HTML.escape(view.name)): doorgetrokken lijnen zijn verticale relaties, gestreepte horizontale.</figcaption></figure>

                """
        }
        guard !view.egoNeighbours.isEmpty else { return HTML.empty("Geen buren bekend.") }
        return "<ul id=\"neighbours\" class=\"columns\">\n" + view.egoNeighbours.map { "<li>\(HTML.linkWithKind($0))</li>\n" }.joined() + "</ul>\n"
    }

    static func suggestions(_ suggestions: [NodeView.Suggestion]) -> String {
        guard !suggestions.isEmpty else { return HTML.empty("Geen suggesties.") }
        var html = "<ol>\n"
        for suggestion in suggestions {
            html += "<li>\(HTML.linkWithKind(suggestion.node)) <span class=\"hint\">score \(HTML.escape(Format.number(suggestion.score)))</span>"
            if !suggestion.reasons.isEmpty {
                html += "<ul>" + suggestion.reasons.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
            }
            html += "</li>\n"
        }
        return html + "</ol>\n"
    }
}
