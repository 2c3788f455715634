/// Charts drawn on the server as inline SVG (no JavaScript): `role="img"` with an
/// `aria-label` and a `<title>`, axis titles, a legend, and a `<title>` tooltip on every bar
/// or point with its exact value. Each chart comes in a `<figure class="chart">` with a
/// `<table class="data">` holding the same numbers, for screen readers, copying and tests.
///
/// Palette (the tones of d3's category10): horizontal `#1f77b4` (blue) and vertical `#d62728`
/// (red) differ in hue and lightness, so they stay apart for most colour-blind readers too;
/// on time `#2ca02c` (green), late `#ff7f0e` (orange), shares `#9467bd` (purple). Colour is
/// never the only cue: the legend, the tooltips and the table name every series.
public enum SVGChart {
    public static let horizontalColour = "#1f77b4"
    public static let verticalColour = "#d62728"
    public static let onTimeColour = "#2ca02c"
    public static let lateColour = "#ff7f0e"
    public static let shareColour = "#9467bd"

    /// One series: a value per category, in the categories' order (missing values count as 0).
    public struct Series: Sendable, Equatable {
        public var name: String
        public var colour: String
        public var values: [Double]

        public init(name: String, colour: String, values: [Double]) {
            self.name = name
            self.colour = colour
            self.values = values
        }

        func value(_ index: Int) -> Double { index < values.count && values[index].isFinite ? values[index] : 0 }
    }

    /// What the values are: counts (axis from 0 to a round number) or shares from 0 to 1,
    /// drawn and written as 0–100 %.
    public enum Scale: Sendable, Equatable {
        case count
        case percent
    }

    /// Bars of one category side by side, or on top of each other (the table then adds a total).
    public enum Layout: Sendable, Equatable {
        case grouped
        case stacked
    }

    /// A bar chart of `categories` × `series`.
    public static func bars(title: String, categories: [String], series: [Series], layout: Layout = .grouped,
                            scale: Scale = .count, categoryAxis: String, valueAxis: String) -> String {
        let maximum = categories.indices.map { index in
            layout == .stacked ? series.reduce(0) { $0 + $1.value(index) } : series.map { $0.value(index) }.max() ?? 0
        }.max() ?? 0
        let frame = Frame(categories: categories, scale: scale, maximum: maximum)
        var marks = ""
        for index in categories.indices {
            var base = 0.0
            for (position, one) in series.enumerated() {
                let value = one.value(index)
                let x: Double, width: Double, top: Double, bottom: Double
                switch layout {
                case .grouped:
                    width = frame.band * 0.8 / Double(max(series.count, 1))
                    x = frame.left(index) + frame.band * 0.1 + Double(position) * width
                    (top, bottom) = (frame.y(value), frame.y(0))
                case .stacked:
                    width = frame.band * 0.6
                    x = frame.left(index) + frame.band * 0.2
                    (top, bottom) = (frame.y(base + value), frame.y(base))
                    base += value
                }
                marks += "<rect x=\"\(Format.coordinate(x))\" y=\"\(Format.coordinate(top))\" width=\"\(Format.coordinate(width * 0.92))\" "
                    + "height=\"\(Format.coordinate(bottom - top))\" fill=\"\(HTML.escape(one.colour))\">"
                    + "<title>\(tooltip(one, categories[index], value, scale))</title></rect>\n"
            }
        }
        return figure(svg: frame.svg(title: title, series: series, marks: marks, categoryAxis: categoryAxis, valueAxis: valueAxis),
                      table: dataTable(title: title, categories: categories, series: series, scale: scale,
                                       categoryAxis: categoryAxis, withTotal: layout == .stacked && series.count > 1))
    }

    /// A line chart: one point per category for each series, joined by a line.
    public static func line(title: String, categories: [String], series: [Series], scale: Scale = .percent,
                            categoryAxis: String, valueAxis: String) -> String {
        let maximum = series.flatMap { one in categories.indices.map(one.value) }.max() ?? 0
        let frame = Frame(categories: categories, scale: scale, maximum: maximum)
        var marks = ""
        for one in series {
            let points = categories.indices.map { (frame.centre($0), frame.y(one.value($0))) }
            let path = points.map { "\(Format.coordinate($0.0)),\(Format.coordinate($0.1))" }.joined(separator: " ")
            marks += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(HTML.escape(one.colour))\" stroke-width=\"2\"/>\n"
            for (index, point) in points.enumerated() {
                marks += "<circle cx=\"\(Format.coordinate(point.0))\" cy=\"\(Format.coordinate(point.1))\" r=\"4\" fill=\"\(HTML.escape(one.colour))\">"
                    + "<title>\(tooltip(one, categories[index], one.value(index), scale))</title></circle>\n"
            }
        }
        return figure(svg: frame.svg(title: title, series: series, marks: marks, categoryAxis: categoryAxis, valueAxis: valueAxis),
                      table: dataTable(title: title, categories: categories, series: series, scale: scale,
                                       categoryAxis: categoryAxis, withTotal: false))
    }

    static func text(_ value: Double, _ scale: Scale) -> String {
        scale == .percent ? Format.percent(value) : Format.number(value)
    }

    static func tooltip(_ series: Series, _ category: String, _ value: Double, _ scale: Scale) -> String {
        HTML.escape("\(series.name), \(category): \(text(value, scale))")
    }

    static func figure(svg: String, table: String) -> String {
        "<figure class=\"chart\">\n\(svg)\(table)</figure>\n"
    }

    static func dataTable(title: String, categories: [String], series: [Series], scale: Scale, categoryAxis: String,
                          withTotal: Bool) -> String {
        var columns = [Table.Column(title: categoryAxis)] + series.map { Table.Column(title: $0.name, isNumeric: true) }
        if withTotal { columns.append(Table.Column(title: "Totaal", isNumeric: true)) }
        let rows = categories.indices.map { index -> Table.Row in
            var values = series.map { $0.value(index) }
            if withTotal { values.append(values.reduce(0, +)) }
            return Table.Row(cells: [HTML.escape(categories[index])] + values.map { HTML.escape(text($0, scale)) })
        }
        return Table(columns: columns, rows: rows, className: "data", caption: title).html
    }

    /// The drawing area, its scales, axes and legend: a view box 640 wide, scaled by CSS, and
    /// as high as the category labels need.
    struct Frame {
        static let width = 640.0
        let plotLeft = 64.0, plotRight = 624.0, plotTop = 44.0, plotBottom = 244.0
        let categories: [String]
        let scale: Scale
        let ticks: [Double]
        /// Whether the category labels are turned, so long or many do not run into each other.
        let turned: Bool
        let height: Double

        init(categories: [String], scale: Scale, maximum: Double) {
            self.categories = categories
            self.scale = scale
            ticks = scale == .percent ? [0, 0.25, 0.5, 0.75, 1] : Frame.countTicks(upTo: maximum)
            // About 6.5 units a character at 12px; turned by 35°, a label drops 0.57 of its length.
            let widest = Double(categories.map(\.count).max() ?? 0) * 6.5
            turned = widest > (plotRight - plotLeft) / Double(Swift.max(categories.count, 1)) - 4
            height = plotBottom + (turned ? Swift.min(widest * 0.58, 140) + 24 : 24) + 20
        }

        /// 0 and four or five round steps (1, 2, 5, 10, 20, 50, …) up to at least `maximum`.
        static func countTicks(upTo maximum: Double) -> [Double] {
            let maximum = maximum.isFinite ? Swift.min(Swift.max(maximum, 0), 1e14) : 0
            let factors = [2.0, 2.5, 2.0]
            var step = 1.0, round = 0
            while maximum / step > 5 {
                step *= factors[round % factors.count]
                round += 1
            }
            let top = Swift.max(step, Format.ceiling(maximum / step) * step)
            return Array(stride(from: 0, through: top, by: step))
        }

        var band: Double { (plotRight - plotLeft) / Double(Swift.max(categories.count, 1)) }
        func left(_ index: Int) -> Double { plotLeft + Double(index) * band }
        func centre(_ index: Int) -> Double { left(index) + band / 2 }

        func y(_ value: Double) -> Double {
            let top = ticks.last ?? 1
            return plotBottom - Swift.min(Swift.max(value, 0), top) / top * (plotBottom - plotTop)
        }

        func svg(title: String, series: [Series], marks: String, categoryAxis: String, valueAxis: String) -> String {
            let label = HTML.escape(title)
            var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(Format.plain(Frame.width)) \(Format.plain(height))\" "
                + "role=\"img\" aria-label=\"\(label)\">\n<title>\(label)</title>\n"
            for tick in ticks {
                let y = Format.coordinate(self.y(tick))
                let text = scale == .percent ? Format.fixed(tick * 100, digits: 0) + " %" : Format.number(tick)
                svg += "<line x1=\"\(Format.coordinate(plotLeft))\" y1=\"\(y)\" x2=\"\(Format.coordinate(plotRight))\" y2=\"\(y)\" stroke=\"#e1e4e8\"/>"
                    + "<text x=\"\(Format.coordinate(plotLeft - 6))\" y=\"\(y)\" dy=\"4\" text-anchor=\"end\">\(HTML.escape(text))</text>\n"
            }
            for (index, category) in categories.enumerated() {
                let x = Format.coordinate(centre(index)), y = Format.coordinate(plotBottom + 16)
                svg += turned
                    ? "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"end\" transform=\"rotate(-35 \(x) \(y))\">\(HTML.escape(category))</text>\n"
                    : "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"middle\">\(HTML.escape(category))</text>\n"
            }
            svg += marks
            svg += "<line x1=\"\(Format.coordinate(plotLeft))\" y1=\"\(Format.coordinate(plotBottom))\" x2=\"\(Format.coordinate(plotRight))\" "
                + "y2=\"\(Format.coordinate(plotBottom))\" stroke=\"#555\"/>"
                + "<line x1=\"\(Format.coordinate(plotLeft))\" y1=\"\(Format.coordinate(plotTop))\" x2=\"\(Format.coordinate(plotLeft))\" "
                + "y2=\"\(Format.coordinate(plotBottom))\" stroke=\"#555\"/>\n"
            svg += "<text x=\"\(Format.coordinate((plotLeft + plotRight) / 2))\" y=\"\(Format.plain(height - 6))\" "
                + "text-anchor=\"middle\">\(HTML.escape(categoryAxis))</text>\n"
            svg += "<text x=\"14\" y=\"\(Format.coordinate((plotTop + plotBottom) / 2))\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 14 \(Format.coordinate((plotTop + plotBottom) / 2)))\">\(HTML.escape(valueAxis))</text>\n"
            var x = plotLeft
            for one in series {
                svg += "<rect x=\"\(Format.coordinate(x))\" y=\"10\" width=\"12\" height=\"12\" fill=\"\(HTML.escape(one.colour))\"/>"
                    + "<text x=\"\(Format.coordinate(x + 16))\" y=\"20\">\(HTML.escape(one.name))</text>\n"
                x += 32 + Double(one.name.count) * 7
            }
            return svg + "</svg>\n"
        }
    }
}
