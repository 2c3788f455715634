import Foundation
import PQ
import Testing

/// `AUDIT node=` (migration 16): a node's rows are the ones that name its key as a word of the
/// command or as the `node`, `from` or `to` of the changes, kept in `audit_mentions` by a
/// trigger on every insert into the trail, and found newest first through that table.
@Suite("Audit mentions")
struct AuditMentionTests {
    func commands(_ client: LineClient, _ request: String) throws -> [String] {
        let answer = try client.request(request)
        #expect(answer.status.hasPrefix("OK rows="), "\(request): \(answer.status)")
        return try answer.lines.map { try parseRecord($0).fields["command"] ?? "" }
    }

    @Test func aNodesRowsAreTheOnesThatNameItsKey() throws {
        let (daemon, client, db) = try freshSeededDaemon("audit-mentions")
        #expect(try client.request("LINK GM1731 works_with GM0106").status.hasPrefix("OK axis="))
        #expect(try client.request("TRAJECTORY ADD ka-drenthe \"Kansenagenda Drenthe\" kind=kansenagenda lead=GM1731").status.hasPrefix("OK"))
        #expect(try client.request("MEETING PLAN ka-drenthe 2027-01-12T10:00 GM1731 bzk PV22").status.hasPrefix("OK"))
        #expect(try client.request("ADD partner \"Stichting Tijdelijk\" key=tijdelijk-1").status == "OK key=tijdelijk-1")
        #expect(try client.request("REMOVE tijdelijk-1").status.hasPrefix("OK"))

        // The participants of the plan are words of its command; the link's ends are in its changes.
        let aboutGM0106 = try commands(client, "AUDIT node=GM0106")
        #expect(aboutGM0106 == ["LINK GM1731 works_with GM0106"])
        let aboutBZK = try commands(client, "AUDIT node=BZK")
        #expect(aboutBZK.count == 1 && aboutBZK[0].hasPrefix("MEETING PLAN ka-drenthe"), "\(aboutBZK)")
        // Newest first, case-insensitively, and the key whole: GM17 is not GM1731.
        let aboutGM1731 = try commands(client, "AUDIT node=gm1731")
        #expect(aboutGM1731.count == 3 && aboutGM1731.first?.hasPrefix("MEETING PLAN") == true
                && aboutGM1731.last == "LINK GM1731 works_with GM0106", "\(aboutGM1731)")
        #expect(try commands(client, "AUDIT node=GM17").isEmpty)
        #expect(try commands(client, "AUDIT node=gm1731 limit=1").count == 1)
        // A removed node's rows are found by its key.
        #expect(try commands(client, "AUDIT node=tijdelijk-1").count == 2)
        // The other filters still hold beside node=.
        #expect(try commands(client, "AUDIT node=GM1731 token=someone-else").isEmpty)
        #expect(try commands(client, "AUDIT node=GM1731 since=2999-01-01").isEmpty)

        // One mention per node and row, for every row of the trail that names a node.
        #expect(try db.query("SELECT count(*) FROM (SELECT node_key, audit FROM audit_mentions GROUP BY 1, 2 HAVING count(*) > 1) d")[0].int(0) == 0)
        #expect(try db.query("SELECT count(*) FROM audit_mentions m WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.id = m.audit)")[0].int(0) == 0)
        #expect(try daemon.stop() == 0)
    }

    @Test func migrationSixteenFindsTheMentionsOfTheRowsAlreadyThere() throws {
        let (conninfo, db) = try databaseBefore(migration: 16, label: "migrate-0016", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('bzk', 'ministry', 'BZK', 'bzk', 'national', NULL, '{}', '{}', NULL);
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
        // Rows written after the migration get theirs from the trigger, several in one statement.
        try db.executeScript("""
            INSERT INTO audit (actor, command, changes) VALUES
              ('local', 'SIGNAL ADD GM0153 problem wonen tekst', '{"action": "signal add", "node": "GM0153"}'),
              ('local', 'THEMES', '{}');
            """)
        #expect(try db.query("SELECT count(*) FROM audit_mentions m JOIN audit a ON a.id = m.audit WHERE a.command LIKE 'SIGNAL ADD%'")[0].int(0) == 1)
        #expect(try db.query("SELECT count(*) FROM audit_mentions")[0].int(0) == 6)
    }
}
