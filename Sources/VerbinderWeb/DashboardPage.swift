/// One record of the daemon's `REPORT`: a metric's name (docs/protocol.md, `### REPORT`), its
/// dimensions (`month`, `axis`, `province`, …) and its value. Shares run from 0 to 1.
public struct Figure: Sendable, Equatable {
    /// One dimension of a figure, such as `month=2026-11`.
    public struct Dimension: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var dimensions: [Dimension]
    public var value: Double
    public var isCount: Bool

    public init(name: String, dimensions: [Dimension] = [], value: Double, isCount: Bool) {
        self.name = name
        self.dimensions = dimensions
        self.value = value
        self.isCount = isCount
    }

    /// The value of the dimension called `name`, if the figure has it.
    public func dimension(_ name: String) -> String? { dimensions.first { $0.name == name }?.value }
}

/// What `/` shows: the period (`YYYY-MM-DD`, both included) and the `REPORT` figures for it.
public struct DashboardView: Sendable, Equatable {
    public var from: String
    public var to: String
    public var figures: [Figure]
    /// Names of nodes by key (provinces, parties), shown instead of the key where known.
    public var names: [String: String]

    public init(from: String, to: String, figures: [Figure], names: [String: String] = [:]) {
        self.from = from
        self.to = to
        self.figures = figures
        self.names = names
    }
}

/// The overview page `/`: the period form, the charts of the monitoring figures, and a table of
/// every figure no chart shows. A missing metric gives a sentence, never an empty chart.
public enum DashboardPage {
    public static func render(_ view: DashboardView) -> String {
        var charted: Set<Int> = []
        /// The figures called `name` (with dimension `dimension`, when given), marked as shown.
        func take(_ name: String, with dimension: String? = nil) -> [Figure] {
            view.figures.indices.filter { index in
                view.figures[index].name == name && dimension.map { view.figures[index].dimension($0) != nil } ?? true
            }.map { index in
                charted.insert(index)
                return view.figures[index]
            }
        }
        // The charts take their figures first; whatever is left goes into the table.
        var body = periodForm(view)
        body += section("meetings", "Overleggen per as per maand", meetingsChart(take("meetings_held")))
        body += section("tripartite", "Aandeel driepartijenoverleg per maand", tripartiteChart(take("tripartite_share")))
        body += section("milestones", "Mijlpalen op tijd en te laat afgerond",
                        milestonesChart(onTime: take("milestones_done_on_time", with: "month"),
                                        late: take("milestones_done_late", with: "month")))
        body += section("kansenagenda", "Gemeenten onder een actieve kansenagenda, per provincie",
                        coverageChart(take("municipalities_covered_by_kansenagenda_share", with: "province"), names: view.names))
        let rest = view.figures.indices.filter { !charted.contains($0) }.map { view.figures[$0] }
        body += section("figures", "Overige cijfers", otherFigures(rest, names: view.names))
        return PageLayout.render(title: "Overzicht", body: body)
    }

    static func periodForm(_ view: DashboardView) -> String {
        """
        <form method="get" action="/" id="period"><label>Van <input type="date" name="from" value="\(HTML.escape(view.from))"></label>\
        <label>tot en met <input type="date" name="to" value="\(HTML.escape(view.to))"></label><button>Toon</button></form>
        <p class="hint">Periode: \(HTML.escape(view.from)) tot en met \(HTML.escape(view.to)). Cijfers met „vandaag” gelden voor vandaag, niet voor de periode.</p>

        """
    }

    static func section(_ id: String, _ heading: String, _ content: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(HTML.escape(heading))</h2>\n\(content)</section>\n"
    }

    /// `meetings_held` per month and axis as grouped bars; every month between the first and
    /// the last appears, a quiet one as zero.
    static func meetingsChart(_ figures: [Figure]) -> String {
        guard !figures.isEmpty else { return HTML.empty("Geen vergaderingen in deze periode.") }
        let months = Format.monthRange(figures.compactMap { $0.dimension("month") })
        var axes = ["horizontal", "vertical"]
        for figure in figures { if let axis = figure.dimension("axis"), !axes.contains(axis) { axes.append(axis) } }
        let colours = ["horizontal": SVGChart.horizontalColour, "vertical": SVGChart.verticalColour]
        let series = axes.map { axis in
            SVGChart.Series(name: Dutch.axis(axis), colour: colours[axis] ?? "#7f7f7f", values: months.map { month in
                figures.filter { $0.dimension("month") == month && $0.dimension("axis") == axis }.reduce(0) { $0 + $1.value }
            })
        }
        return SVGChart.bars(title: "Gehouden overleggen per as per maand", categories: months.map(Format.month), series: series,
                             categoryAxis: "Maand", valueAxis: "Aantal overleggen")
    }

    /// `tripartite_share` per month: only months with held meetings have a share.
    static func tripartiteChart(_ figures: [Figure]) -> String {
        let byMonth = figures.compactMap { figure in figure.dimension("month").map { ($0, figure.value) } }.sorted { $0.0 < $1.0 }
        guard !byMonth.isEmpty else { return HTML.empty("Geen vergaderingen in deze periode.") }
        return SVGChart.line(title: "Aandeel driepartijenoverleg per maand", categories: byMonth.map { Format.month($0.0) },
                             series: [SVGChart.Series(name: "Driepartijen", colour: SVGChart.shareColour, values: byMonth.map(\.1))],
                             categoryAxis: "Maand", valueAxis: "Aandeel van de gehouden overleggen")
    }

    static func milestonesChart(onTime: [Figure], late: [Figure]) -> String {
        guard !onTime.isEmpty || !late.isEmpty else { return HTML.empty("Geen afgeronde mijlpalen in deze periode.") }
        let months = Format.monthRange((onTime + late).compactMap { $0.dimension("month") })
        func values(_ figures: [Figure]) -> [Double] {
            months.map { month in figures.filter { $0.dimension("month") == month }.reduce(0) { $0 + $1.value } }
        }
        return SVGChart.bars(title: "Afgeronde mijlpalen per maand", categories: months.map(Format.month),
                             series: [SVGChart.Series(name: "Op tijd", colour: SVGChart.onTimeColour, values: values(onTime)),
                                      SVGChart.Series(name: "Te laat", colour: SVGChart.lateColour, values: values(late))],
                             layout: .stacked, categoryAxis: "Maand", valueAxis: "Aantal mijlpalen")
    }

    static func coverageChart(_ figures: [Figure], names: [String: String]) -> String {
        guard !figures.isEmpty else { return HTML.empty("Geen cijfers over kansenagenda's per provincie.") }
        let provinces = figures.map { figure in figure.dimension("province").map { names[$0] ?? $0 } ?? "" }
        return SVGChart.bars(title: "Aandeel gemeenten onder een actieve kansenagenda, per provincie", categories: provinces,
                             series: [SVGChart.Series(name: "Gedekt", colour: SVGChart.shareColour, values: figures.map(\.value))],
                             scale: .percent, categoryAxis: "Provincie", valueAxis: "Aandeel gemeenten")
    }

    static func otherFigures(_ figures: [Figure], names: [String: String]) -> String {
        guard !figures.isEmpty else { return HTML.empty("Geen overige cijfers.") }
        let rows = figures.map { figure in
            let breakdown = figure.dimensions.map { dimension in
                "\(Dutch.dimensions[dimension.name] ?? dimension.name): \(dimensionValue(dimension, names: names))"
            }.joined(separator: ", ")
            let value = !figure.isCount && figure.name.hasSuffix("_share") ? Format.percent(figure.value) : Format.number(figure.value)
            return Table.Row(cells: [HTML.escape(Dutch.metric(figure.name)), HTML.escape(breakdown), HTML.escape(value)])
        }
        return Table(columns: [Table.Column(title: "Cijfer"), Table.Column(title: "Uitsplitsing"), Table.Column(title: "Waarde", isNumeric: true)],
                     rows: rows, className: "figures").html
    }

    static func dimensionValue(_ dimension: Figure.Dimension, names: [String: String]) -> String {
        switch dimension.name {
        case "month": return Format.month(dimension.value)
        case "axis": return Dutch.axis(dimension.value)
        case "kind": return Dutch.signalKind(dimension.value)
        case "state": return Dutch.state(dimension.value)
        case "region_type": return Dutch.regionType(dimension.value)
        case "party", "province": return names[dimension.value] ?? dimension.value
        default: return dimension.value
        }
    }
}
