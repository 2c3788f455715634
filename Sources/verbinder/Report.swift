import ArgumentParser
import Foundation
import VerbinderProtocol
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient

/// The options of `verbinder report`, parsed from the words after `report`.
struct ReportOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbinder report",
        abstract: "The monitoring figures (REPORT), and with --svg a chart of them.",
        discussion: """
        Prints the metric records of REPORT [from=YYYY-MM-DD] [to=YYYY-MM-DD] (by default the last 12 months). With --svg FILE it also draws, per month, the meetings held per axis with the tri-party share, and the milestones done on time and late, with the single figures as a caption. With --svg - the SVG goes to standard output instead of the records.

        """
    )

    @Option(help: ArgumentHelp("Write an SVG chart of the monthly figures to FILE (- for standard output).", valueName: "file"))
    var svg: String?

    @Flag(help: "Do not print the metric records.")
    var quiet = false

    @Argument(help: ArgumentHelp("from=YYYY-MM-DD and to=YYYY-MM-DD.", valueName: "name=value"))
    var period: [String] = []

    func validate() throws {
        for word in period {
            guard let (name, value) = Verbinder.optionParts(word), ["from", "to"].contains(name),
                  value.count == 10, value.allSatisfy({ $0.isNumber || $0 == "-" })
            else { throw ValidationError("unexpected \(word): give from=YYYY-MM-DD and to=YYYY-MM-DD") }
        }
    }
}

/// `verbinder report [--svg FILE] [--quiet] [from=…] [to=…]`.
struct ReportCommand {
    let settings: Settings

    func run(_ words: [String]) throws(ClientFailure) -> Int32 {
        let options: ReportOptions
        do {
            options = try ReportOptions.parse(words)
        } catch {
            let code = ReportOptions.exitCode(for: error).rawValue
            if code == 0 {
                Output.standard.line(ReportOptions.fullMessage(for: error))
                Output.standard.flush()
                return ExitStatus.ok
            }
            throw ClientFailure(ReportOptions.message(for: error), exitCode: code)
        }
        let connection = try settings.open()
        let (data, status) = try connection.request(Verbinder.requestLine(["REPORT"] + options.period))
        let printRecords = !options.quiet && options.svg != "-"
        if printRecords {
            for line in data { Output.standard.line(line) }
            if settings.raw { Output.standard.line(status) }
        }
        if isErrorLine(status) {
            if !settings.raw || !printRecords { printError(status.text) }
            return ExitStatus.failed
        }
        guard let path = options.svg else { return ExitStatus.ok }
        let statusFields = Shell.record(Array("status ".utf8) + status.dropFirst(2)).map { Dictionary($0.fields, uniquingKeysWith: { a, _ in a }) } ?? [:]
        let metrics = data.compactMap { Shell.fields(of: $0) }.filter { $0["name"] != nil && $0["value"] != nil }
        let chart = ReportChart(metrics: metrics, from: statusFields["from"], to: statusFields["to"])
        let svg = chart.svg()
        if path == "-" {
            Output.standard.write(svg)
            return ExitStatus.ok
        }
        Output.standard.flush()
        guard FileManager.default.createFile(atPath: path, contents: Data(svg.utf8)) else {
            printError("verbinder: cannot write \(path): \(String(cString: strerror(errno)))")
            return ExitStatus.failed
        }
        return ExitStatus.ok
    }
}

/// The monitoring figures as a hand-written SVG: two monthly panels (meetings held per axis with
/// the tri-party share as a line; milestones done on time and late) and a caption with the
/// single figures. Labels are Dutch, like the reminders the daemon writes.
struct ReportChart {
    var months: [String] = []
    var vertical: [String: Double] = [:]
    var horizontal: [String: Double] = [:]
    var tripartite: [String: Double] = [:]
    var onTime: [String: Double] = [:]
    var late: [String: Double] = [:]
    var single: [String: Double] = [:]
    var signals: [String: Double] = [:]
    let from: String?
    let to: String?

    static let monthNames = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]

    init(metrics: [[String: String]], from: String?, to: String?) {
        self.from = from
        self.to = to
        var seen: Set<String> = []
        for metric in metrics {
            guard let name = metric["name"], let value = metric["value"].flatMap(Double.init) else { continue }
            if let month = metric["month"] { seen.insert(month) }
            let month = metric["month"] ?? ""
            switch name {
            case "meetings_held":
                if metric["axis"] == "vertical" { vertical[month, default: 0] += value } else { horizontal[month, default: 0] += value }
            case "tripartite_share": tripartite[month] = value
            case "milestones_done_on_time": onTime[month] = value
            case "milestones_done_late": late[month] = value
            case "signals": signals[metric["kind"] ?? "", default: 0] += value
            // A figure with dimensions (per province, per region type) is no single figure.
            default: if metric.keys.allSatisfy({ ["type", "name", "value"].contains($0) }) { single[name] = value }
            }
        }
        // Every month of the period, also those without figures; else the months that have some.
        if let from, let to, let start = ReportChart.month(from), let end = ReportChart.month(to), start <= end {
            var (year, month) = start
            while (year, month) <= end, months.count < 600 {
                months.append(String(format: "%04d-%02d", year, month))
                month += 1
                if month > 12 { month = 1; year += 1 }
            }
        }
        if months.isEmpty { months = seen.sorted() }
    }

    /// Year and month of `YYYY-MM` or `YYYY-MM-DD`.
    static func month(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-")
        guard parts.count >= 2, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        return (year, month)
    }

    static func label(_ month: String) -> String {
        guard let (_, number) = ReportChart.month(month) else { return month }
        return monthNames[number - 1]
    }

    // MARK: drawing

    static let width = 820.0
    static let left = 56.0, right = 64.0
    static let panelHeight = 190.0
    static let font = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
    static let colors = (vertical: "#2b6cb0", horizontal: "#90cdf4", tripartite: "#dd6b20", onTime: "#38a169", late: "#e53e3e",
                         grid: "#e2e8f0", axis: "#4a5568", text: "#1a202c", muted: "#718096")

    func svg() -> String {
        let width = ReportChart.width
        let period = [from, to].compactMap { $0 }.joined(separator: " t/m ")
        let title = "Verbinder monitoring" + (period.isEmpty ? "" : ": \(period)")
        var body = ""
        var y = 104.0
        body += text(ReportChart.left, 30, title, size: 18, weight: "bold")
        body += text(ReportChart.left, 48, "Per maand: overleggen die zijn gehouden en mijlpalen die zijn afgerond", size: 12, color: ReportChart.colors.muted)
        body += meetingsPanel(top: y)
        y += ReportChart.panelHeight + 80
        body += milestonesPanel(top: y)
        y += ReportChart.panelHeight + 64
        let lines = captionLines()
        body += "<g class=\"caption\">\n"
        body += "<line x1=\"\(n(ReportChart.left))\" y1=\"\(n(y - 18))\" x2=\"\(n(width - ReportChart.right))\" y2=\"\(n(y - 18))\" stroke=\"\(ReportChart.colors.grid)\"/>\n"
        for (index, line) in lines.enumerated() {
            body += text(ReportChart.left, y + Double(index) * 20, line.label, size: 13, color: ReportChart.colors.muted)
            body += text(ReportChart.left + 330, y + Double(index) * 20, line.value, size: 13, weight: "bold")
        }
        body += "</g>\n"
        let height = y + Double(lines.count) * 20 + 8
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" role="img" aria-labelledby="chart-title" font-family="\(ReportChart.font)">
        <title id="chart-title">\(escape(title))</title>
        <rect width="100%" height="100%" fill="#ffffff"/>

        """ + body + "</svg>\n"
    }

    private var plotWidth: Double { ReportChart.width - ReportChart.left - ReportChart.right }
    private var slot: Double { plotWidth / Double(max(months.count, 1)) }
    private func center(_ index: Int) -> Double { ReportChart.left + slot * (Double(index) + 0.5) }

    private func meetingsPanel(top: Double) -> String {
        let height = ReportChart.panelHeight
        let maximum = months.map { max(vertical[$0] ?? 0, horizontal[$0] ?? 0) }.max() ?? 0
        let scale = NiceScale(maximum)
        var out = "<g class=\"meetings\">\n"
        out += text(ReportChart.left, top - 16, "Overleggen gehouden, per as", size: 14, weight: "bold")
        out += legend(top: top - 16, items: [("rect", ReportChart.colors.vertical, "verticaal"), ("rect", ReportChart.colors.horizontal, "horizontaal"),
                                             ("line", ReportChart.colors.tripartite, "aandeel drie partijen")])
        out += grid(top: top, scale: scale)
        // The tri-party share's axis on the right: 0 to 100 %.
        for step in 0...4 {
            let value = Double(step) * 25
            let y = top + height - height * value / 100
            out += text(ReportChart.width - ReportChart.right + 8, y + 4, "\(Int(value))%", size: 11, color: ReportChart.colors.tripartite)
        }
        let barWidth = min(slot * 0.34, 28)
        var points: [(Double, Double)] = []
        for (index, month) in months.enumerated() {
            let x = center(index)
            let v = vertical[month] ?? 0, h = horizontal[month] ?? 0
            let share = tripartite[month]
            var tip = "\(month): \(format(v)) verticaal, \(format(h)) horizontaal"
            if let share { tip += ", \(percent(share)) met drie partijen" }
            out += "<g><title>\(escape(tip))</title>\n"
            out += bar(x: x - barWidth - 1, width: barWidth, value: v, top: top, scale: scale, color: ReportChart.colors.vertical)
            out += bar(x: x + 1, width: barWidth, value: h, top: top, scale: scale, color: ReportChart.colors.horizontal)
            out += "</g>\n"
            if let share { points.append((x, top + height - height * min(max(share, 0), 1))) }
        }
        if points.count > 1 {
            let path = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(ReportChart.colors.tripartite)\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n"
        }
        for point in points {
            out += "<circle cx=\"\(n(point.0))\" cy=\"\(n(point.1))\" r=\"3\" fill=\"#ffffff\" stroke=\"\(ReportChart.colors.tripartite)\" stroke-width=\"2\"/>\n"
        }
        out += monthAxis(top: top)
        return out + "</g>\n"
    }

    private func milestonesPanel(top: Double) -> String {
        let maximum = months.map { (onTime[$0] ?? 0) + (late[$0] ?? 0) }.max() ?? 0
        let scale = NiceScale(maximum)
        var out = "<g class=\"milestones\">\n"
        out += text(ReportChart.left, top - 16, "Mijlpalen afgerond", size: 14, weight: "bold")
        out += legend(top: top - 16, items: [("rect", ReportChart.colors.onTime, "op tijd"), ("rect", ReportChart.colors.late, "te laat")])
        out += grid(top: top, scale: scale)
        let barWidth = min(slot * 0.6, 40)
        for (index, month) in months.enumerated() {
            let x = center(index) - barWidth / 2
            let good = onTime[month] ?? 0, bad = late[month] ?? 0
            out += "<g><title>\(escape("\(month): \(format(good)) op tijd, \(format(bad)) te laat"))</title>\n"
            out += bar(x: x, width: barWidth, value: good, top: top, scale: scale, color: ReportChart.colors.onTime)
            out += bar(x: x, width: barWidth, value: bad, base: good, top: top, scale: scale, color: ReportChart.colors.late)
            out += "</g>\n"
        }
        out += monthAxis(top: top)
        return out + "</g>\n"
    }

    /// Horizontal grid lines with the counts on the left, and the y axis.
    private func grid(top: Double, scale: NiceScale) -> String {
        let height = ReportChart.panelHeight
        var out = ""
        for tick in scale.ticks {
            let y = top + height - height * tick / scale.top
            out += "<line x1=\"\(n(ReportChart.left))\" y1=\"\(n(y))\" x2=\"\(n(ReportChart.width - ReportChart.right))\" y2=\"\(n(y))\" stroke=\"\(tick == 0 ? ReportChart.colors.axis : ReportChart.colors.grid)\" stroke-width=\"1\"/>\n"
            out += text(ReportChart.left - 8, y + 4, format(tick), size: 11, color: ReportChart.colors.muted, anchor: "end")
        }
        out += "<line x1=\"\(n(ReportChart.left))\" y1=\"\(n(top))\" x2=\"\(n(ReportChart.left))\" y2=\"\(n(top + height))\" stroke=\"\(ReportChart.colors.axis)\" stroke-width=\"1\"/>\n"
        return out
    }

    /// Month names under the panel (every n-th when there are many), the year under January and the first month.
    private func monthAxis(top: Double) -> String {
        let y = top + ReportChart.panelHeight
        let every = max(1, Int((Double(months.count) / 24).rounded(.up)))
        var out = ""
        for (index, month) in months.enumerated() where index % every == 0 {
            let x = center(index)
            out += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x))\" y2=\"\(n(y + 4))\" stroke=\"\(ReportChart.colors.axis)\"/>\n"
            out += text(x, y + 17, ReportChart.label(month), size: 11, color: ReportChart.colors.text, anchor: "middle", title: month)
            if index == 0 || month.hasSuffix("-01") {
                out += text(x, y + 31, String(month.prefix(4)), size: 11, color: ReportChart.colors.muted, anchor: "middle")
            }
        }
        return out
    }

    private func legend(top: Double, items: [(shape: String, color: String, label: String)]) -> String {
        var x = ReportChart.width - ReportChart.right
        var out = "<g class=\"legend\">\n"
        // Laid out from the right edge leftwards: the widest label last.
        for item in items.reversed() {
            let labelWidth = Double(item.label.count) * 6.6
            x -= labelWidth
            out += text(x, top, item.label, size: 12, color: ReportChart.colors.text)
            x -= 18
            if item.shape == "line" {
                out += "<line x1=\"\(n(x))\" y1=\"\(n(top - 4))\" x2=\"\(n(x + 14))\" y2=\"\(n(top - 4))\" stroke=\"\(item.color)\" stroke-width=\"2\"/>\n"
                out += "<circle cx=\"\(n(x + 7))\" cy=\"\(n(top - 4))\" r=\"3\" fill=\"#ffffff\" stroke=\"\(item.color)\" stroke-width=\"2\"/>\n"
            } else {
                out += "<rect x=\"\(n(x + 2))\" y=\"\(n(top - 10))\" width=\"11\" height=\"11\" rx=\"2\" fill=\"\(item.color)\"/>\n"
            }
            x -= 14
        }
        return out + "</g>\n"
    }

    private func bar(x: Double, width: Double, value: Double, base: Double = 0, top: Double, scale: NiceScale, color: String) -> String {
        guard value > 0 else { return "" }
        let height = ReportChart.panelHeight
        let y0 = top + height - height * base / scale.top
        let y1 = top + height - height * (base + value) / scale.top
        return "<rect x=\"\(n(x))\" y=\"\(n(y1))\" width=\"\(n(width))\" height=\"\(n(max(y0 - y1, 0.5)))\" fill=\"\(color)\"/>\n"
    }

    /// The single figures, for the caption.
    func captionLines() -> [(label: String, value: String)] {
        var lines: [(String, String)] = []
        // A count with its share: "14 van 342 (4%)".
        func countAndShare(_ name: String, _ label: String) {
            guard let count = single[name] else { return }
            var value = format(count)
            if let share = single[name + "_share"] {
                if share > 0 { value += " van \(format((count / share).rounded()))" }
                value += " (\(percent(share)))"
            }
            lines.append((label, value))
        }
        countAndShare("regions_with_kansenagenda", "Regio's met een actieve kansenagenda")
        countAndShare("municipalities_covered_by_kansenagenda", "Gemeenten met een kansenagenda")
        if let overdue = single["milestones_open_overdue"] {
            lines.append(("Open mijlpalen over hun datum", format(overdue)))
        }
        if let without = single["municipalities_without_vertical_meeting"] {
            var value = format(without)
            if let alone = single["municipalities_without_vertical_meeting_unaffiliated"] {
                value += ", waarvan \(format(alone)) in geen enkel netwerk"
            }
            lines.append(("Gemeenten zonder verticaal overleg", value))
        }
        if !signals.isEmpty {
            let names = ["problem": "probleem", "solution": "oplossing", "example": "voorbeeld", "need": "behoefte"]
            let parts = signals.keys.sorted().map { "\(format(signals[$0]!)) \(names[$0] ?? $0)" }
            lines.append(("Signalen", parts.joined(separator: ", ")))
        }
        return lines
    }

    // MARK: text

    private func text(_ x: Double, _ y: Double, _ content: String, size: Int, weight: String? = nil, color: String = ReportChart.colors.text,
                      anchor: String? = nil, title: String? = nil) -> String {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\" fill=\"\(color)\""
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let anchor { attributes += " text-anchor=\"\(anchor)\"" }
        let tip = title.map { "<title>\(escape($0))</title>" } ?? ""
        return "<text \(attributes)>\(tip)\(escape(content))</text>\n"
    }

    /// Text for XML: the five special characters escaped, control characters (not allowed in XML 1.0) left out.
    func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(" ")
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate with at most one decimal.
    private func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String((value * 100).rounded() / 100)
    }

    private func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }
}

/// A y axis from 0 to a round number above the maximum, in 1, 2 or 5 times a power of ten.
struct NiceScale {
    let top: Double
    let ticks: [Double]

    init(_ maximum: Double) {
        guard maximum > 0 else {
            top = 4
            ticks = [0, 1, 2, 3, 4]
            return
        }
        let rough = maximum / 4
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        let wholeStep = max(step, 1) // counts: no ticks at 0.5
        let count = Int((maximum / wholeStep).rounded(.up))
        top = Double(max(count, 1)) * wholeStep
        ticks = (0...max(count, 1)).map { Double($0) * wholeStep }
    }
}
