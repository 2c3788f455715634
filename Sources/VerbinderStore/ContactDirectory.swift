import PQ
import Synchronization
import VerbinderGraph

/// Every contact person, kept in memory by node and read again from PostgreSQL only when
/// `contacts_version` has moved (migration 18: a trigger moves it in the transaction of every
/// write to `contacts`, by any daemon or tool).
///
/// A calendar names the person to invite for each participant of each meeting; over a node's
/// years that is most of the contacts of the graph, which cost more to read and decode on every
/// `EXPORT ics` than the rest of the calendar. Checking the number is one small read, so an
/// answer never holds a contact older than the database's.
public final class ContactDirectory: Sendable {
    /// The contacts as of one `contacts_version`.
    public struct Snapshot: Sendable {
        public let version: Int64
        /// Each node's contacts, in id order.
        public let byNode: [String: [Contact]]
        /// Each node's contacts as the invitation rule sees them, made of `byNode`'s lists.
        private let invitees: [String: Invitees]

        init(version: Int64, byNode: [String: [Contact]]) {
            self.version = version
            self.byNode = byNode
            invitees = byNode.mapValues { Invitees(index: InviteeIndex($0.map(\.invitee)), contacts: $0) }
        }

        public static let empty = Snapshot(version: 0, byNode: [:])

        /// The contacts of `node`, in id order.
        public func contacts(of node: String) -> [Contact] { byNode[node] ?? [] }

        /// Whom to invite for `node` (of `kind`) at a meeting about `themes`: the contact, or
        /// nil when nobody fits.
        public func invite(_ node: String, kind: NodeKind, themes: [String]) -> Contact? {
            invitees[node]?.invite(kind: kind, themes: themes)
        }

        /// The contacts of `node` arranged for the invitation rule, nil when it has none: to
        /// choose for one node many times (a calendar, for each of its meetings).
        public func invitees(of node: String) -> Invitees? { invitees[node] }
    }

    /// One node's contacts arranged for the invitation rule.
    public struct Invitees: Sendable {
        let index: InviteeIndex
        /// In id order.
        public let contacts: [Contact]

        /// Whom to invite at a meeting about `themes`, nil when nobody fits.
        public func invite(kind: NodeKind, themes: [String]) -> Contact? {
            position(kind: kind, themes: themes).map { contacts[$0] }
        }

        /// Where in ``contacts`` the one to invite is, nil when nobody fits.
        public func position(kind: NodeKind, themes: [String]) -> Int? {
            index.chosenPosition(kind: kind, themes: themes)
        }
    }

    private let current = Mutex<Snapshot?>(nil)

    public init() {}

    /// The contacts as the database holds them now: the kept snapshot when its version is the
    /// database's, else every contact read again (in one snapshot with its version).
    public func snapshot(_ connection: Connection) throws -> Snapshot {
        let version = Int64(try connection.query("SELECT version FROM contacts_version")[0].int(0))
        if let kept = current.withLock({ $0 }), kept.version == version { return kept }
        let read = try connection.transaction(isolation: .repeatableRead) { tx -> Snapshot in
            let version = Int64(try tx.query("SELECT version FROM contacts_version")[0].int(0))
            let contacts = try tx.query("SELECT \(ContactStore.columns) FROM contacts ORDER BY id").all.map(ContactStore.decode)
            return Snapshot(version: version, byNode: Dictionary(grouping: contacts, by: \.node))
        }
        // The last read stays. Two readers may load at once: an older one winning costs one more
        // read. Keeping the highest number instead would reread on every call after the number
        // went back (a database restored from a backup).
        current.withLock { $0 = read }
        return read
    }
}
