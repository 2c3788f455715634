import NIOConcurrencyHelpers
import PQ
import VerbinderProtocol
import VerbinderStore

/// What a command needs; each form of each command declares it (``Command/Form/permission``).
public enum Permission: Sendable {
    /// PING, HELP, AUTH, QUIT: allowed before authenticating.
    case open
    /// Any authenticated connection (FORMAT).
    case authenticated
    case read
    case write
    /// Claiming and acknowledging reminders.
    case send
    case admin
}

/// Token roles: reader (queries), connector (reader + writes and contacts), sender (reminders
/// only), admin (all), feed (the HTTP calendar feeds only: a token that sits in a calendar URL).
public enum Role: String, Sendable, CaseIterable {
    case reader, connector, sender, admin, feed

    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (_, .open), (_, .authenticated), (.admin, _): return true
        case (.reader, .read), (.connector, .read), (.connector, .write), (.sender, .send): return true
        default: return false
        }
    }

    /// Whether contacts' e-mail addresses may be shown.
    public var seesPersonalData: Bool { self == .connector || self == .admin || self == .sender }
}

/// The tokens in force, as this daemon knows them (names and roles only). With none, the
/// daemon is in protected mode: loopback clients only, with full rights, as Redis does it.
public final class AccessControl: Sendable {
    private let tokens = NIOLockedValueBox<[String: Role]>([:])
    /// Serve non-loopback clients even without tokens (`--insecure-open`).
    public let insecureOpen: Bool

    public init(insecureOpen: Bool = false) {
        self.insecureOpen = insecureOpen
    }

    public var isProtected: Bool { tokens.withLockedValue { $0.isEmpty } }

    /// The role of a token in force; nil once revoked.
    public func role(of name: String) -> Role? { tokens.withLockedValue { $0[name] } }

    /// Reloads the tokens from the database (start-up, and on every change notice).
    public func reload(conninfo: String) {
        guard let connection = try? Connection(conninfo), let active = try? TokenStore.active(connection) else { return }
        connection.close()
        tokens.withLockedValue { $0 = active.compactMapValues(Role.init(rawValue:)) }
    }
}
