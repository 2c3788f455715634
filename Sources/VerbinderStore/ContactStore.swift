import PQ
import VerbinderGraph

/// A contact person of a node: who they are, what they do there, their portfolio.
public struct Contact: Sendable {
    public var id: Int
    public var node: String
    public var name: String
    public var email: String
    /// Free text, as the person's organisation names the post.
    public var role: String?
    public var function: ContactFunction
    /// Theme keys of the portfolio.
    public var themes: [String]

    /// The person as the invitation rule sees them.
    public var invitee: Invitee { Invitee(id: id, function: function, themes: themes) }
}

/// What `CONTACT SET` changes; nil leaves a field as it is.
public struct ContactChange: Sendable {
    public var name: String?
    public var email: String?
    /// `""` clears the role.
    public var role: String?
    public var function: ContactFunction?
    public var themes: [String]?

    public init(name: String? = nil, email: String? = nil, role: String? = nil, function: ContactFunction? = nil, themes: [String]? = nil) {
        self.name = name
        self.email = email
        self.role = role
        self.function = function
        self.themes = themes
    }

    public var isEmpty: Bool { name == nil && email == nil && role == nil && function == nil && themes == nil }
}

/// The contacts table, and erasing a person from every table that can hold them.
public enum ContactStore {
    static let columns = "id, node_key, name, email, role, function, themes"

    static func decode(_ row: QueryResult.Row) throws -> Contact {
        Contact(id: try row.int(0), node: try row.string(1), name: try row.string(2), email: try row.string(3), role: row.optionalString(4),
                function: try row.value(5), themes: try row.textArray(6))
    }

    public static func add(_ tx: Connection, node: String, name: String, email: String, role: String?,
                           function: ContactFunction, themes: [String]) throws -> Int {
        try tx.query("INSERT INTO contacts (node_key, name, email, role, function, themes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                     [node, name, email, role, function.rawValue, PostgresArray.literal(themes)])[0].int(0)
    }

    /// Changes a contact; false when there is no such contact.
    public static func set(_ tx: Connection, id: Int, _ change: ContactChange) throws -> Bool {
        try tx.query("""
            UPDATE contacts SET name = coalesce($2, name), email = coalesce($3, email),
                   role = CASE WHEN $4::text IS NULL THEN role ELSE nullif($4, '') END,
                   function = coalesce($5, function), themes = coalesce($6::text[], themes)
            WHERE id = $1
            """, [String(id), change.name, change.email, change.role, change.function?.rawValue,
                  change.themes.map(PostgresArray.literal)]).affectedRows == 1
    }

    public static func remove(_ tx: Connection, id: Int) throws -> Bool {
        try tx.query("DELETE FROM contacts WHERE id = $1", [String(id)]).affectedRows == 1
    }

    /// Contacts across the graph, by node, function and portfolio theme (each optional), in id
    /// order; at most `limit`, and how many there are in all.
    public static func find(_ connection: Connection, node: String?, function: ContactFunction?, theme: String?,
                            limit: Int) throws -> (contacts: [Contact], total: Int) {
        let rows = try connection.query("""
            SELECT \(columns), count(*) OVER () FROM contacts
            WHERE ($1::text IS NULL OR node_key = $1) AND ($2::text IS NULL OR function = $2) AND ($3::text IS NULL OR $3 = ANY (themes))
            ORDER BY id LIMIT $4
            """, [node, function?.rawValue, theme, String(limit)]).all
        return (try rows.map(decode), try rows.first?.int(7) ?? 0)
    }

    /// The contacts of these nodes, in id order.
    public static func contacts(_ connection: Connection, nodes: [String]) throws -> [Contact] {
        guard !nodes.isEmpty else { return [] }
        return try connection.query("SELECT \(columns) FROM contacts WHERE node_key = ANY ($1::text[]) ORDER BY id",
                                    [PostgresArray.literal(nodes)]).all.map(decode)
    }

    // MARK: Forgetting a person

    /// Every column of the workflow and the audit that holds text a user typed and may
    /// therefore name a person: `CONTACT FORGET` replaces the person's address and names in all
    /// of them with `<forgotten>`.
    /// A test compares this list with the schema, so a new free-text column cannot be missed.
    public static let freeText: [(table: String, columns: [String])] = [
        ("audit", ["command"]),
        ("trajectories", ["name", "goal"]),
        ("meetings", ["title", "place", "notes", "outcome"]),
        ("milestones", ["title", "note"]),
        ("milestone_history", ["reason"]),
        ("signals", ["text"]),
        ("signal_steps", ["text"]),
        ("goals", ["text", "indicator", "target", "drop_reason"]),
        ("goal_progress", ["value", "note"]),
        ("reminders", ["last_error"]),
        ("contacts", ["role"]),
        ("idempotency_keys", ["answer_text", "answer_json"]),
    ]

    /// The JSON columns that may hold what a user typed, scrubbed in their text form.
    public static let freeJSON: [(table: String, column: String)] = [("audit", "changes")]

    /// Free text that describes organisations and their ties, not people: the graph's node
    /// notes (`nodes.attributes`) and relation notes. `CONTACT FORGET` leaves them, because
    /// the daemons' in-memory graphs follow them; people belong in contacts.
    public static let organisationText: [(table: String, column: String)] = [("nodes", "attributes"), ("relations", "note")]

    /// Erases a person everywhere: deletes their contact rows (every node's) and replaces
    /// their address and names, wherever a user may have typed them, with `<forgotten>`; the
    /// rows themselves (that a signal was answered, that a write happened) remain. Answers how
    /// many contacts went.
    public static func forget(_ tx: Connection, email: String) throws -> Int {
        let names = try tx.query("SELECT DISTINCT name FROM contacts WHERE lower(email) = lower($1)", [email]).all.map { try $0.string(0) }
        let removed = try tx.query("DELETE FROM contacts WHERE lower(email) = lower($1)", [email]).affectedRows
        // The longest text first, so a name that holds another (Jan de Vries, Jan) goes whole.
        for text in Set([email] + names).filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            let pattern = regexLiteral(text)
            for (table, columns) in freeText {
                let sets = columns.map { column in "\(column) = regexp_replace(\(column), $1, '<forgotten>', 'gi')" }.joined(separator: ", ")
                let matches = columns.map { column in "\(column) ~* $1" }.joined(separator: " OR ")
                try tx.query("UPDATE \(table) SET \(sets) WHERE \(matches)", [pattern])
            }
            // In JSON a quote or backslash of the text is escaped: match the escaped form.
            let jsonPattern = regexLiteral(jsonEscaped(text))
            for (table, column) in freeJSON {
                try tx.query("""
                    UPDATE \(table) SET \(column) = regexp_replace(\(column)::text, $1, '<forgotten>', 'gi')::jsonb
                    WHERE \(column)::text ~* $1
                    """, [jsonPattern])
            }
        }
        return removed
    }

    /// `text` as a PostgreSQL regular expression that matches exactly it.
    static func regexLiteral(_ text: String) -> String {
        var pattern = ""
        for character in text {
            if "\\.^$|?*+()[]{}-".contains(character) { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern
    }

    /// `text` as it appears inside a JSON string in PostgreSQL's text form of `jsonb`.
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.append(character)
            }
        }
        return out
    }
}
