import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import VerbinderWeb

/// Hostile values every page must show as text: a name that would run a script, and a title
/// with every character that has a meaning in HTML.
enum Hostile {
    static let name = "<script>alert(1)</script>"
    static let nameEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    static let title = "\"a\" & 'b'"
    static let titleEscaped = "&quot;a&quot; &amp; &#39;b&#39;"
    static let node = NodeRef(key: "GM-evil", name: name, kind: "municipality")
}

/// Helpers to look inside rendered HTML.
enum Inspect {
    /// Every `<svg …>…</svg>` in the page.
    static func svgs(in html: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest[start.lowerBound...].range(of: "</svg>") {
            found.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// Whether `xml` parses as well-formed XML.
    static func isWellFormedXML(_ xml: String) -> Bool {
        XMLParser(data: Data(xml.utf8)).parse()
    }

    /// Whether every non-void element is closed in the right order (script and style bodies
    /// skipped): a cheap check that the hand-built HTML nests.
    static func tagsBalance(_ html: String) -> Bool {
        let void: Set<String> = ["meta", "input", "img", "br", "hr", "link", "!doctype"]
        var stack: [String] = []
        var index = html.startIndex
        while let open = html[index...].firstIndex(of: "<") {
            guard let close = html[open...].firstIndex(of: ">") else { return false }
            let tag = html[html.index(after: open)..<close]
            index = html.index(after: close)
            let isEnd = tag.hasPrefix("/")
            let name = String((isEnd ? tag.dropFirst() : tag).prefix { !$0.isWhitespace && $0 != "/" }).lowercased()
            if isEnd {
                guard stack.popLast() == name else { return false }
            } else if !void.contains(name), !tag.hasSuffix("/") {
                stack.append(name)
                if name == "script" || name == "style", let end = html[index...].range(of: "</\(name)>") {
                    index = end.lowerBound
                }
            }
        }
        return stack.isEmpty
    }

    /// The text between `start` and the next `end` after it.
    static func between(_ html: String, _ start: String, _ end: String) -> String? {
        guard let from = html.range(of: start), let to = html[from.upperBound...].range(of: end) else { return nil }
        return String(html[from.upperBound..<to.lowerBound])
    }

    /// The `<section id="…">` of that id, up to its end.
    static func section(_ html: String, _ id: String) -> String? { between(html, "<section id=\"\(id)\">", "</section>") }
}
