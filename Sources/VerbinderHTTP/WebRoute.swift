/// What an HTTP request asks for, parsed from its path and query alone (no IO, so every rule
/// is a unit test). Unknown paths are ``notFound``; only GET and HEAD reach a route.
public enum WebRoute: Equatable, Sendable {
    case healthz
    case metrics
    /// A calendar feed: one trajectory's, one stakeholder's, or everything.
    case calendar(CalendarScope)
    /// `/`: the monitoring figures as charts, for `from`…`to` (empty: the report's own default).
    case dashboard(from: String?, to: String?)
    case regions
    case node(String)
    case trajectory(String)
    /// `/search?q=`: FIND's matching (accents, aliases).
    case search(String)
    /// `/login`: a browser's way to a token (a form that sets the dashboard's cookie).
    case login
    case notFound

    /// Which meetings, milestones and goals a feed holds.
    public enum CalendarScope: Equatable, Sendable, Hashable {
        case trajectory(String)
        case node(String)
        case all
    }

    /// Whether it is a page for people (HTML), as opposed to a feed, a probe or metrics.
    public var isPage: Bool {
        switch self {
        case .dashboard, .regions, .node, .trajectory, .search, .login, .notFound: true
        case .healthz, .metrics, .calendar: false
        }
    }

    /// Whether a feed token may read it: the calendar feeds only.
    public var isFeed: Bool { if case .calendar = self { true } else { false } }

    /// The route of a request target such as `/calendar/node/GM1731.ics?token=…`.
    public init(target: String) {
        let (path, query) = WebRoute.split(target)
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { WebRoute.percentDecoded(String($0)) }
        switch parts.count {
        case 0:
            self = .dashboard(from: query["from"].flatMap { $0.isEmpty ? nil : $0 }, to: query["to"].flatMap { $0.isEmpty ? nil : $0 })
        case 1:
            switch parts[0] {
            case "healthz": self = .healthz
            case "metrics": self = .metrics
            case "regions": self = .regions
            case "search": self = .search(query["q"] ?? "")
            case "login": self = .login
            default: self = .notFound
            }
        case 2 where parts[0] == "calendar" && parts[1] == "all.ics": self = .calendar(.all)
        case 2 where parts[0] == "node" && !parts[1].isEmpty: self = .node(parts[1])
        case 2 where parts[0] == "trajectory" && !parts[1].isEmpty: self = .trajectory(parts[1])
        case 3 where parts[0] == "calendar" && parts[2].hasSuffix(".ics") && parts[2].count > 4:
            let key = String(parts[2].dropLast(4))
            switch parts[1] {
            case "trajectory": self = .calendar(.trajectory(key))
            case "node": self = .calendar(.node(key))
            default: self = .notFound
            }
        default: self = .notFound
        }
    }

    /// The path and its query parameters (the last of a repeated name wins), percent-decoded.
    public static func split(_ target: String) -> (path: String, query: [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(String(parts[0]), plusIsSpace: true)
            query[name] = parts.count > 1 ? percentDecoded(String(parts[1]), plusIsSpace: true) : ""
        }
        return (String(target[..<mark]), query)
    }

    /// `%C3%BA` → `ú`; a malformed escape stays as it is. In a query, `+` is a space.
    public static func percentDecoded(_ text: String, plusIsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let high = hexValue(iterator[iterator.startIndex]), let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
