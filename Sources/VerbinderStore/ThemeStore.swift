import PQ
import VerbinderGraph

/// SQL for the theme vocabulary (`themes`, seeded by migration 0007).
public enum ThemeStore {
    static let columns = "key, label, synonyms"

    /// The whole vocabulary, by key.
    public static func all(_ connection: Connection) throws -> [Theme] {
        try connection.query("SELECT \(columns) FROM themes ORDER BY key").all.map(decode)
    }

    /// One theme (for a change announced by another daemon); nil if it is gone.
    public static func fetch(_ connection: Connection, key: String) throws -> Theme? {
        try connection.query("SELECT \(columns) FROM themes WHERE key = $1", [key]).all.first.map(decode)
    }

    /// `THEME ADD`, as one statement for ``Audit/run(_:on:actor:command:changes:)``.
    public static func insert(_ theme: Theme) -> WriteStatement {
        WriteStatement("INSERT INTO themes (key, label, synonyms) VALUES ($1, $2, $3::text[]) RETURNING key",
                       [theme.key, theme.label, PostgresArray.literal(theme.synonyms)])
    }

    static func decode(_ row: QueryResult.Row) throws -> Theme {
        Theme(key: try row.string(0), label: try row.string(1), synonyms: try row.textArray(2))
    }
}
