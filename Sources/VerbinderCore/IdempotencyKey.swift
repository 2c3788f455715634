import PQ
import VerbinderProtocol
import VerbinderStore

/// The `idem=<key>` of a write: a retry with the same key within 24 hours gets the first
/// answer and writes nothing. The answer is kept in the write's own transaction
/// (``WriteCoordinator``), so
/// it is there exactly when the write is. Keys belong to the token that used them.
public struct IdempotencyKey: Sendable {
    /// The option's name.
    public static let option = "idem"

    public var key: String
    /// Who used the key (the token's name, `local` in protected mode).
    public var actor: String
    /// The SHA-256 of the request in canonical form: a key used again for another request is
    /// refused. A hash, so no personal data (a contact's e-mail address) is kept with the key.
    public var request: String

    public init(key: String, actor: String, request: String) {
        self.key = key
        self.actor = actor
        self.request = request
    }

    /// 1 to 64 letters, digits and `-_.:` (room for a UUID, a date and a counter).
    public static func isValid(_ key: String) -> Bool {
        (1...64).contains(key.utf8.count) && key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }

    /// The SHA-256 (hex) of the request as verb, arguments and options (sorted, `idem=` left
    /// out), quoted as on the wire: the same request however its options were ordered or spaced.
    public static func fingerprint(_ request: Request) -> String {
        var parts = [request.verb] + request.arguments.map(Quoting.quoteArgument)
        for name in request.options.keys.sorted() where name != option {
            parts.append("\(name)=\(Quoting.quote(request.options[name]!))")
        }
        return SHA256.hex(parts.joined(separator: " "))
    }

    /// What is kept for `response`: this request and the answer in both output formats.
    public func kept(_ response: Response) -> Idempotency.Kept {
        Idempotency.Kept(request: request, text: String(decoding: response.render(.text), as: UTF8.self),
                         json: String(decoding: response.render(.json), as: UTF8.self))
    }

    /// The kept answer for a retry, in the connection's format; `ERR CONFLICT` when the key
    /// answered another request.
    public func replay(_ kept: Idempotency.Kept, format: OutputFormat) throws(ProtocolError) -> Response {
        guard kept.request == request else {
            throw ProtocolError(.conflict, "idem key \(key) was used within 24 hours for another request")
        }
        return Response(rendered: Array((format == .json ? kept.json : kept.text).utf8), format: format)
    }
}

extension IdempotencyKey {
    public static let invalid = ProtocolError(.invalid, "idem= is 1 to 64 letters, digits, -, _, . or :")
}
