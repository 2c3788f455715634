/// A node as pages refer to it: linked by its key to `/node/<key>`, shown by its name, with
/// its kind (`municipality`, `region`, …; shown in Dutch).
public struct NodeRef: Sendable, Equatable, Hashable {
    public var key: String
    public var name: String
    public var kind: String

    public init(key: String, name: String, kind: String) {
        self.key = key
        self.name = name
        self.kind = kind
    }
}

/// A meeting in a list: `start` is `YYYY-MM-DD HH:MM` (Amsterdam time), `axis` is
/// `horizontal` or `vertical` (others are shown as they are), `status` `planned`, `held` or
/// `cancelled`.
public struct MeetingRow: Sendable, Equatable {
    public var id: Int
    public var start: String
    public var title: String
    public var axis: String
    public var tripartite: Bool
    public var status: String
    /// Shown on the trajectory page; the node page leaves them out.
    public var participants: [NodeRef]

    public init(id: Int, start: String, title: String, axis: String, tripartite: Bool, status: String,
                participants: [NodeRef] = []) {
        self.id = id
        self.start = start
        self.title = title
        self.axis = axis
        self.tripartite = tripartite
        self.status = status
        self.participants = participants
    }
}

/// How many of an area's municipalities an active kansenagenda covers.
public struct CoverageRow: Sendable, Equatable {
    public var key: String
    public var name: String
    public var covered: Int
    public var total: Int

    public init(key: String, name: String, covered: Int, total: Int) {
        self.key = key
        self.name = name
        self.covered = covered
        self.total = total
    }

    /// `covered / total`, 0 for an area without municipalities.
    public var share: Double { total == 0 ? 0 : Double(covered) / Double(total) }
}

/// An HTML table built from cells that are already HTML (escaped by whoever made them).
struct Table {
    struct Column {
        var title: String
        var isNumeric = false
    }

    struct Row {
        var cells: [String]
        /// Per cell, a number to sort by (the sort script reads `data-value`).
        var sortValues: [Double?] = []
        var className: String? = nil
    }

    var columns: [Column]
    var rows: [Row]
    var className: String? = nil
    var id: String? = nil
    var caption: String? = nil

    var html: String {
        var html = "<table"
        if let id { html += " id=\"\(HTML.escape(id))\"" }
        if let className { html += " class=\"\(HTML.escape(className))\"" }
        html += ">"
        if let caption { html += "<caption>\(HTML.escape(caption))</caption>" }
        html += "<thead><tr>"
        for column in columns {
            html += column.isNumeric ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">"
            html += HTML.escape(column.title) + "</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for row in rows {
            html += row.className.map { "<tr class=\"\(HTML.escape($0))\">" } ?? "<tr>"
            for (index, cell) in row.cells.enumerated() {
                var attributes = ""
                if index < columns.count, columns[index].isNumeric { attributes += " class=\"num\"" }
                if index < row.sortValues.count, let value = row.sortValues[index] {
                    attributes += " data-value=\"\(Format.plain(value))\""
                }
                html += "<td\(attributes)>\(cell)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table>\n"
    }
}
