/// What `/search?q=` shows: the query as typed and the nodes that match it.
public struct SearchView: Sendable, Equatable {
    public var query: String
    public var results: [NodeRef]

    public init(query: String, results: [NodeRef]) {
        self.query = query
        self.results = results
    }
}

/// The page `/search`: the query stays in the search field, so it can be refined.
public enum SearchPage {
    public static func render(_ view: SearchView) -> String {
        let query = view.query.trimmingWhitespace
        guard !query.isEmpty else {
            return PageLayout.render(title: "Zoeken",
                                     body: "<p class=\"hint\">Zoek een partij op naam, sleutel of andere naam, zoals Twente, GM0153 of Den Haag.</p>\n",
                                     searchQuery: view.query)
        }
        var body: String
        if view.results.isEmpty {
            body = "<p class=\"empty\">Geen resultaten voor \"\(HTML.escape(query))\".</p>\n"
        } else {
            body = "<p>\(view.results.count) \(view.results.count == 1 ? "resultaat" : "resultaten").</p>\n<ul id=\"results\">\n"
            for node in view.results { body += "<li>\(HTML.linkWithKind(node))</li>\n" }
            body += "</ul>\n"
        }
        return PageLayout.render(title: "Zoeken naar \"\(query)\"", body: body, searchQuery: view.query)
    }
}

extension String {
    /// Without spaces, tabs and line breaks at either end (no Foundation needed).
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
