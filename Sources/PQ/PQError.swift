/// An error from libpq or the PostgreSQL server, with the server's diagnostic fields.
///
/// `sqlState` is the five-character SQLSTATE (`23505` for a unique violation); it is
/// empty when the failure happened on the client side (for example a lost connection).
public struct PQError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, so callers can map it without parsing text.
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached or the connection broke.
        case connection
        /// The server ran the statement and reported an error.
        case server
        /// The result could not be decoded into the requested type.
        case decoding
        /// No pooled connection became free within the pool's wait limit (nothing was sent).
        case poolExhausted
    }

    public var kind: Kind
    public var sqlState: String
    public var message: String
    public var detail: String?

    public init(kind: Kind, sqlState: String = "", message: String, detail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    /// SQLSTATE class 23: a constraint was violated.
    public var isIntegrityViolation: Bool { sqlState.hasPrefix("23") }
    /// `23505`: a unique constraint was violated.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// `57014`: the statement was cancelled, usually by `statement_timeout`.
    public var isQueryCanceled: Bool { sqlState == "57014" }
    /// Failures that mean "the database is not available right now": a broken
    /// connection, or the server shutting down / not accepting connections (class 08, 57P0x).
    public var isUnavailable: Bool {
        kind == .connection || sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
    }

    public var description: String {
        var text = sqlState.isEmpty ? message : "\(sqlState): \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}
