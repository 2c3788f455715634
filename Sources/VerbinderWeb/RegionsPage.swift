/// What `/regions` shows: kansenagenda coverage per province and per region, the
/// municipalities no active kansenagenda covers, and those in no network (not in the G40, M50,
/// K80, P10, R8 or G4).
public struct RegionsView: Sendable, Equatable {
    public var provinces: [CoverageRow]
    public var regions: [CoverageRow]
    public var uncovered: [NodeRef]
    public var unaffiliated: [NodeRef]

    public init(provinces: [CoverageRow], regions: [CoverageRow], uncovered: [NodeRef], unaffiliated: [NodeRef]) {
        self.provinces = provinces
        self.regions = regions
        self.uncovered = uncovered
        self.unaffiliated = unaffiliated
    }
}

/// The page `/regions`: who is covered and who falls outside. Its tables sort by a click on a
/// header when JavaScript runs, and read fine when it does not.
public enum RegionsPage {
    public static func render(_ view: RegionsView) -> String {
        var body = "<p>Welke gemeenten vallen onder een actieve kansenagenda, en welke gemeenten zitten in geen enkel netwerk "
            + "(G40, M50, K80, P10, R8 of G4)? Klik op een kolomkop om een tabel te sorteren.</p>\n"
        body += "<section id=\"provinces\">\n<h2>Kansenagenda's per provincie</h2>\n"
        if view.provinces.isEmpty {
            body += HTML.empty("Geen provincies bekend.")
        } else {
            body += SVGChart.bars(title: "Aandeel gemeenten onder een actieve kansenagenda, per provincie",
                                  categories: view.provinces.map(\.name),
                                  series: [SVGChart.Series(name: "Gedekt", colour: SVGChart.shareColour, values: view.provinces.map(\.share))],
                                  scale: .percent, categoryAxis: "Provincie", valueAxis: "Aandeel gemeenten")
            body += coverageTable(view.provinces, area: "Provincie", id: "province-coverage")
        }
        body += "</section>\n<section id=\"regions\">\n<h2>Kansenagenda's per regio</h2>\n"
        body += view.regions.isEmpty ? HTML.empty("Geen regio's bekend.") : coverageTable(view.regions, area: "Regio", id: "region-coverage")
        body += "</section>\n"
        body += nodeList(id: "uncovered", heading: "Gemeenten zonder kansenagenda", view.uncovered,
                         empty: "Alle gemeenten vallen onder een actieve kansenagenda.")
        body += nodeList(id: "unaffiliated", heading: "Gemeenten in geen netwerk", view.unaffiliated,
                         empty: "Elke gemeente zit in minstens één netwerk.")
        body += "<script>\n\(sortScript)</script>\n"
        return PageLayout.render(title: "Regio's", body: body)
    }

    static func coverageTable(_ rows: [CoverageRow], area: String, id: String) -> String {
        Table(columns: [Table.Column(title: area), Table.Column(title: "Gedekt", isNumeric: true),
                        Table.Column(title: "Gemeenten", isNumeric: true), Table.Column(title: "Aandeel", isNumeric: true)],
              rows: rows.map { row in
                  Table.Row(cells: ["<a href=\"/node/\(HTML.escape(HTML.pathSegment(row.key)))\">\(HTML.escape(row.name))</a>",
                                    String(row.covered), String(row.total), HTML.escape(Format.percent(row.share))],
                            sortValues: [nil, Double(row.covered), Double(row.total), row.share])
              },
              className: "sortable", id: id).html
    }

    static func nodeList(id: String, heading: String, _ nodes: [NodeRef], empty: String) -> String {
        var html = "<section id=\"\(id)\">\n<h2>\(HTML.escape(heading)) (\(nodes.count))</h2>\n"
        if nodes.isEmpty { return html + HTML.empty(empty) + "</section>\n" }
        html += "<ul class=\"columns\">\n"
        for node in nodes { html += "<li>\(HTML.link(node))</li>\n" }
        return html + "</ul>\n</section>\n"
    }

    /// Sorts a `table.sortable` by the clicked column (again: the other way round), by
    /// `data-value` where a cell has one, else by its text in Dutch order.
    static let sortScript = """
        document.querySelectorAll('table.sortable').forEach(function (table) {
          var headers = table.querySelectorAll('thead th');
          headers.forEach(function (header, column) {
            header.tabIndex = 0;
            function sort() {
              var ascending = header.getAttribute('aria-sort') !== 'ascending';
              headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
              header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
              function key(row) {
                var cell = row.cells[column], value = cell.getAttribute('data-value');
                return value === null ? cell.textContent.trim() : parseFloat(value);
              }
              var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
              rows.sort(function (a, b) {
                var x = key(a), y = key(b);
                var order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'nl');
                return ascending ? order : -order;
              });
              rows.forEach(function (row) { body.appendChild(row); });
            }
            header.addEventListener('click', sort);
            header.addEventListener('keydown', function (event) {
              if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); sort(); }
            });
          });
        });

        """
}
