/// Escaping and encoding for building HTML by hand. Every value that comes from data goes
/// through ``escape(_:)`` (text and attribute values alike); every key put into a URL path
/// goes through ``pathSegment(_:)``.
public enum HTML {
    /// `text` safe as element content and as a quoted attribute value: `& < > " '` become
    /// character references, so a name like `<script>` is shown, never run.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// `text` as one URL path segment: the unreserved characters of RFC 3986 (`A–Z a–z 0–9 - . _ ~`)
    /// stay, every other byte of its UTF-8 becomes `%XX` (so `/`, `?` and `#` cannot change the route).
    public static func pathSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Standard base64 (RFC 4648, with `=` padding), for `data:` URLs.
    static func base64<Bytes: Collection<UInt8>>(_ input: Bytes) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let bytes = Array(input)
        var encoded: [UInt8] = []
        encoded.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0..<4 {
                encoded.append(position <= count ? alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// A link to a node's page, with its name as the text.
    static func link(_ node: NodeRef) -> String {
        "<a href=\"/node/\(escape(pathSegment(node.key)))\">\(escape(node.name))</a>"
    }

    /// A link to a node's page followed by its kind in Dutch, for lists of mixed kinds.
    static func linkWithKind(_ node: NodeRef) -> String {
        "\(link(node)) <span class=\"kind\">\(escape(Dutch.kind(node.kind)))</span>"
    }

    /// A paragraph saying there is nothing to show.
    static func empty(_ sentence: String) -> String {
        "<p class=\"empty\">\(escape(sentence))</p>"
    }
}
