import Foundation
import PQ
import Testing

/// `AUDIT node=` (migrations 16 and 21): a node's rows are the ones that name its key as a word
/// of the command or as the `node`, `from` or `to` of the changes. They are indexed in
/// `audit_mentions` in batches by `audit_mentions_catch_up()`, which every daemon calls once a
/// second, and found newest first through that table; rows past the index's end are matched
/// by their text. Either way the answer is the same.
@Suite("Audit mentions")
struct AuditMentionTests {
    func commands(_ client: LineClient, _ request: String) throws -> [String] {
        let answer = try client.request(request)
        #expect(answer.status.hasPrefix("OK rows="), "\(request): \(answer.status)")
        return try answer.lines.map { try parseRecord($0).fields["command"] ?? "" }
    }

    /// Calls the index's catch-up (as the daemons do) until it has every row of the trail, or
    /// throws after ten seconds.
    static func indexEverything(_ db: Connection) throws {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let end = try db.query("SELECT audit_mentions_catch_up()::text")[0].optionalString(0).flatMap { Int($0) }
            let last = try db.query("SELECT coalesce(max(id), 0) FROM audit")[0].int(0)
            if let end, end >= last { return }
            guard Date() < deadline else { throw HarnessError("the audit mention index stays at \(end.map(String.init) ?? "-") of \(last)") }
            usleep(20_000)
        }
    }

    /// Writes rows about a few nodes through the daemon.
    func write(_ client: LineClient) throws {
        #expect(try client.request("LINK GM1731 works_with GM0106").status.hasPrefix("OK axis="))
        #expect(try client.request("TRAJECTORY ADD ka-drenthe \"Kansenagenda Drenthe\" kind=kansenagenda lead=GM1731").status.hasPrefix("OK"))
        #expect(try client.request("MEETING PLAN ka-drenthe 2027-01-12T10:00 GM1731 bzk PV22").status.hasPrefix("OK"))
        #expect(try client.request("ADD partner \"Stichting Tijdelijk\" key=tijdelijk-1").status == "OK key=tijdelijk-1")
        #expect(try client.request("REMOVE tijdelijk-1").status.hasPrefix("OK"))
    }

    /// Asks for the rows of those nodes and checks them against the rule; returns every answer.
    func askAndCheck(_ client: LineClient) throws -> [[String]] {
        // The participants of the plan are words of its command; the link's ends are in its changes.
        let aboutGM0106 = try commands(client, "AUDIT node=GM0106")
        #expect(aboutGM0106 == ["LINK GM1731 works_with GM0106"])
        let aboutBZK = try commands(client, "AUDIT node=BZK")
        #expect(aboutBZK.count == 1 && aboutBZK.first?.hasPrefix("MEETING PLAN ka-drenthe") == true, "\(aboutBZK)")
        // Newest first, case-insensitively, and the key whole: GM17 is not GM1731.
        let aboutGM1731 = try commands(client, "AUDIT node=gm1731")
        #expect(aboutGM1731.count == 3 && aboutGM1731.first?.hasPrefix("MEETING PLAN") == true
                && aboutGM1731.last == "LINK GM1731 works_with GM0106", "\(aboutGM1731)")
        let aboutGM17 = try commands(client, "AUDIT node=GM17")
        #expect(aboutGM17.isEmpty)
        // A word that is no node's key finds nothing, though it is in a command.
        let aboutKansenagenda = try commands(client, "AUDIT node=kansenagenda")
        #expect(aboutKansenagenda.isEmpty)
        let limited = try commands(client, "AUDIT node=gm1731 limit=1")
        #expect(limited == Array(aboutGM1731.prefix(1)))
        // A removed node's rows are found by its key.
        let aboutRemoved = try commands(client, "AUDIT node=tijdelijk-1")
        #expect(aboutRemoved.count == 2)
        // The other filters still hold beside node=.
        let otherToken = try commands(client, "AUDIT node=GM1731 token=someone-else")
        #expect(otherToken.isEmpty)
        let future = try commands(client, "AUDIT node=GM1731 since=2999-01-01")
        #expect(future.isEmpty)
        return [aboutGM0106, aboutBZK, aboutGM1731, aboutGM17, aboutKansenagenda, limited, aboutRemoved, otherToken, future]
    }

    @Test func aNodesRowsAreTheOnesThatNameItsKeyIndexedOrNot() throws {
        let (daemon, client, db) = try freshSeededDaemon("audit-mentions")
        try Self.indexEverything(db)
        let indexedBefore = try db.query("SELECT count(*) FROM audit_mentions")[0].int(0)
        // Held by this session, the index stands still (the daemon's turns skip it): the new
        // rows are past its end, found by their text.
        let holder = try Connection(daemon.conninfo)
        try holder.query("BEGIN")
        #expect(try holder.query("SELECT upto FROM audit_mentions_done FOR UPDATE").count == 1)
        try write(client)
        let byText = try askAndCheck(client)
        #expect(try db.query("SELECT count(*) FROM audit_mentions")[0].int(0) == indexedBefore, "the index moved while held")
        try holder.query("COMMIT")

        // Released, the rows are indexed, and read through the index the answers are the same.
        try Self.indexEverything(db)
        #expect(try db.query("SELECT count(*) FROM audit_mentions")[0].int(0) == indexedBefore + 8)
        #expect(try db.query("SELECT count(*) FROM audit a, audit_mentions_done d WHERE a.id > d.upto")[0].int(0) == 0)
        #expect(try askAndCheck(client) == byText)

        // One mention per node and row, for every row of the trail that names a node.
        #expect(try db.query("SELECT count(*) FROM (SELECT node_key, audit FROM audit_mentions GROUP BY 1, 2 HAVING count(*) > 1) d")[0].int(0) == 0)
        #expect(try db.query("SELECT count(*) FROM audit_mentions m WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.id = m.audit)")[0].int(0) == 0)
        #expect(try daemon.stop() == 0)
    }

    @Test func theDaemonIndexesNewRowsWithinSeconds() throws {
        let (daemon, client, db) = try freshSeededDaemon("audit-mentions-daemon")
        #expect(try client.request("LINK GM1680 works_with GM0106").status.hasPrefix("OK axis="))
        let id = try db.query("SELECT max(id) FROM audit")[0].int(0)
        let deadline = Date().addingTimeInterval(10)
        while try db.query("SELECT upto FROM audit_mentions_done")[0].int(0) < id, Date() < deadline { usleep(50_000) }
        #expect(try db.query("SELECT string_agg(node_key, ',' ORDER BY node_key) FROM audit_mentions WHERE audit = $1", [String(id)])[0]
            .optionalString(0) == "gm0106,gm1680")
        #expect(try daemon.stop() == 0)
    }

    /// A row whose transaction is still open when rows after it commit is not skipped: the
    /// index waits below it until it has ended, then takes it.
    @Test func aRowThatCommitsLateIsIndexedNotSkipped() throws {
        let conninfo = try seededDatabase("audit-mentions-late")
        let db = try Connection(conninfo)
        try Self.indexEverything(db)
        let late = try Connection(conninfo)
        try late.query("BEGIN")
        // The audit insert is the transaction's first write: its id default takes the
        // transaction id before the audit id.
        let lateID = try late.query("INSERT INTO audit (actor, command, changes) VALUES ('test', 'REMOVE laat-1', '{\"node\": \"laat-1\"}') RETURNING id")[0].int(0)
        try db.query("INSERT INTO audit (actor, command, changes) VALUES ('test', 'LINK GM0153 works_with bzk', '{\"from\": \"GM0153\", \"to\": \"bzk\"}')")
        let after = try db.query("SELECT max(id) FROM audit")[0].int(0)
        #expect(after > lateID)
        for _ in 0..<5 {
            let end = try db.query("SELECT audit_mentions_catch_up()")[0].int(0)
            #expect(end < lateID, "the index passed a row whose transaction is open")
            usleep(20_000)
        }
        try late.query("COMMIT")
        try Self.indexEverything(db)
        #expect(try db.query("SELECT count(*) FROM audit_mentions WHERE audit = $1 AND node_key = 'laat-1'", [String(lateID)])[0].int(0) == 1)
        #expect(try db.query("SELECT count(*) FROM audit_mentions WHERE audit = $1", [String(after)])[0].int(0) == 2)
        // Inside a transaction that already holds an id, the catch-up refuses: its look would
        // come after that id, which proves nothing about the transactions of the look.
        try db.query("BEGIN")
        try db.query("INSERT INTO audit (actor, command) VALUES ('test', 'PING')")
        #expect(throws: PQError.self) { try db.query("SELECT audit_mentions_catch_up()") }
        try db.query("ROLLBACK")
    }

    /// The nodes the migration tests' audit rows name, as the schema before them holds nodes.
    static let twoNodes = """
        INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
          ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
          ('bzk', 'ministry', 'BZK', 'bzk', 'national', NULL, '{}', '{}', NULL);
        """

    @Test func migrationSixteenFindsTheMentionsOfTheRowsAlreadyThere() throws {
        let (conninfo, db) = try databaseBefore(migration: 16, label: "migrate-0016", rows: """
            \(Self.twoNodes)
            INSERT INTO audit (actor, command, changes) VALUES
              ('local', 'LINK GM0153 works_with bzk', '{"action": "link", "from": "GM0153", "relation": "works_with", "to": "bzk"}'),
              ('local', 'MEETING PLAN ka-twente 2025-03-01T10:00 GM0153 BZK', '{"action": "meeting plan", "participants": "GM0153,BZK"}'),
              ('local', 'REMOVE gone-1', '{"action": "remove", "node": "gone-1"}'),
              ('local', 'MILESTONE DONE 12', '{"action": "milestone done", "milestone": "12"}');
            """)
        let before = try db.query("SELECT string_agg(id || command || changes::text, '|' ORDER BY id) FROM audit")[0].values
        try migrate(conninfo, recording: 16, on: db)
        #expect(try db.query("SELECT string_agg(id || command || changes::text, '|' ORDER BY id) FROM audit")[0].values == before)
        let mentions = try db.query("""
            SELECT m.node_key || ' ' || a.command FROM audit_mentions m JOIN audit a ON a.id = m.audit ORDER BY a.id, m.node_key
            """).all.map { try $0.string(0) }
        #expect(mentions == ["bzk LINK GM0153 works_with bzk", "gm0153 LINK GM0153 works_with bzk",
                             "bzk MEETING PLAN ka-twente 2025-03-01T10:00 GM0153 BZK", "gm0153 MEETING PLAN ka-twente 2025-03-01T10:00 GM0153 BZK",
                             "gone-1 REMOVE gone-1"])
        // Rows written after the migrations get theirs from the catch-up (migration 21).
        try db.executeScript("""
            INSERT INTO audit (actor, command, changes) VALUES
              ('local', 'SIGNAL ADD GM0153 problem wonen tekst', '{"action": "signal add", "node": "GM0153"}'),
              ('local', 'THEMES', '{}');
            """)
        try Self.indexEverything(db)
        #expect(try db.query("SELECT count(*) FROM audit_mentions m JOIN audit a ON a.id = m.audit WHERE a.command LIKE 'SIGNAL ADD%'")[0].int(0) == 1)
        #expect(try db.query("SELECT count(*) FROM audit_mentions")[0].int(0) == 6)
    }

    @Test func migrationTwentyOneKeepsTheIndexAndEndsTheTrigger() throws {
        let (conninfo, db) = try databaseBefore(migration: 21, label: "migrate-0021", rows: """
            \(Self.twoNodes)
            INSERT INTO audit (actor, command, changes) VALUES
              ('local', 'LINK GM0153 works_with bzk', '{"action": "link", "from": "GM0153", "relation": "works_with", "to": "bzk"}'),
              ('local', 'MILESTONE DONE 12', '{"action": "milestone done", "milestone": "12"}');
            INSERT INTO audit (actor, command, changes) VALUES
              ('local', 'MEETING PLAN ka-twente 2025-03-01T10:00 GM0153 BZK', '{"action": "meeting plan"}');
            """)
        let trail = "SELECT string_agg(id || command || changes::text, '|' ORDER BY id) FROM audit"
        let index = "SELECT string_agg(node_key || ':' || audit, ',' ORDER BY audit, node_key) FROM audit_mentions"
        let (before, indexed) = (try db.query(trail)[0].values, try db.query(index)[0].values)
        #expect(indexed == ["bzk:1,gm0153:1,bzk:3,gm0153:3"])
        try migrate(conninfo, recording: 21, on: db)
        #expect(try db.query(trail)[0].values == before)
        #expect(try db.query(index)[0].values == indexed)
        #expect(try db.query("SELECT upto FROM audit_mentions_done")[0].int(0) == 3)
        // No trigger any more: a new row waits for the catch-up, which indexes it.
        try db.query("INSERT INTO audit (actor, command, changes) VALUES ('local', 'REMOVE gone-1', '{\"node\": \"gone-1\"}')")
        #expect(try db.query("SELECT count(*) FROM audit_mentions WHERE node_key = 'gone-1'")[0].int(0) == 0)
        try Self.indexEverything(db)
        #expect(try db.query("SELECT count(*) FROM audit_mentions WHERE node_key = 'gone-1' AND audit = 4")[0].int(0) == 1)
        // Ids keep counting from where they were.
        #expect(try db.query("INSERT INTO audit (actor, command) VALUES ('local', 'PING') RETURNING id")[0].int(0) == 5)
    }
}
