/// The frame every page shares: a complete HTML5 document in Dutch with the navigation, the
/// search form, the title as `<h1>` and the page's body in `<main id="content">`. Everything
/// is inline (no fonts, stylesheets or scripts fetched from anywhere) and works without
/// JavaScript.
public enum PageLayout {
    /// `title` and `searchQuery` are escaped here; `body` is HTML and must have been built
    /// from escaped values.
    public static func render(title: String, body: String, searchQuery: String = "") -> String {
        """
        <!doctype html>
        <html lang="nl">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · Verbinder</title>
        <style>\(style)</style>
        </head>
        <body>
        <header>
        <nav aria-label="Hoofdmenu"><a class="brand" href="/">Verbinder</a> <a href="/">Overzicht</a> <a href="/regions">Regio's</a></nav>
        <form action="/search" method="get" role="search"><label for="search" class="hidden">Zoek een partij</label><input type="search" id="search" name="q" value="\(HTML.escape(searchQuery))" placeholder="Zoek een partij"> <button>Zoeken</button></form>
        </header>
        <main id="content">
        <h1>\(HTML.escape(title))</h1>
        \(body)
        </main>
        <footer>Verbinder · VNG · alleen-lezen overzicht</footer>
        </body>
        </html>

        """
    }

    /// Small and readable: system fonts, tables with lines, the overdue in red.
    static let style = """

        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff}
        header{display:flex;flex-wrap:wrap;gap:.75rem 2rem;align-items:center;justify-content:space-between;padding:.6rem 1.5rem;background:#eef3f8;border-bottom:1px solid #cfd8e3}
        nav a{margin-right:1rem;font-weight:600}
        nav a.brand{color:#1b1b1b;text-decoration:none}
        a{color:#0b57a4}
        main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
        footer{max-width:72rem;margin:0 auto;padding:1rem 1.5rem;color:#5a5a5a;font-size:.85rem}
        h2{margin-top:2rem;border-bottom:1px solid #cfd8e3}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
        th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde3ea;vertical-align:top}
        th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
        caption{text-align:left;font-weight:600;padding:.3rem 0}
        table.sortable th{cursor:pointer}
        tr.overdue td{background:#fdecea}
        .late{color:#b00020;font-weight:600}
        .mark{display:inline-block;padding:0 .45rem;border-radius:.6rem;background:#e6eefc;font-size:.85em}
        .kind,.empty,.hint{color:#5a5a5a}
        .hidden{position:absolute;left:-9999px}
        figure{margin:1rem 0}
        svg.chart{width:100%;max-width:46rem;height:auto;display:block}
        svg.chart text{font:12px system-ui,sans-serif;fill:#1b1b1b}
        figure#ego img{max-width:100%;height:auto;border:1px solid #dde3ea}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
        dl.facts dt{font-weight:600}
        dl.facts dd{margin:0}
        ul.columns{columns:16rem}
        form label{margin-right:.75rem}
        input,button{font:inherit}

        """
}

/// A page for a request that cannot be answered (404, 403, …), in the same frame.
public enum ErrorPage {
    public static func render(status: Int, message: String) -> String {
        let title: String
        switch status {
        case 400: title = "Ongeldig verzoek"
        case 401, 403: title = "Geen toegang"
        case 404: title = "Niet gevonden"
        case 503: title = "Tijdelijk niet beschikbaar"
        case 500...599: title = "Serverfout"
        default: title = "Fout"
        }
        let body = """
            <p class="error"><strong>Fout \(status)</strong>: \(HTML.escape(message))</p>
            <p><a href="/">Terug naar het overzicht</a></p>
            """
        return PageLayout.render(title: title, body: body)
    }
}
