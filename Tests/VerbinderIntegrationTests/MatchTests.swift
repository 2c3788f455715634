import Foundation
import PQ
import Testing
import VerbinderStore

/// `MATCH` over TCP: the answers on the problem's theme from other nodes, most alike source
/// first, equal scores in id order, at most `limit`, each read whole.
@Suite struct MatchTests {
    @Test func answersFromElsewhereMostAlikeFirstAndOnlyTheRankedOnes() throws {
        let (daemon, client, _) = try freshSeededDaemon("match")
        let add = { (line: String) in try client.request("SIGNAL ADD " + line).status }
        #expect(try add("GM0153 problem wonen \"Te weinig starterswoningen\"") == "OK id=1")  // Enschede
        #expect(try add("GM0164 solution wonen \"Flexwoningen op tijdelijke grond\"") == "OK id=2")  // Hengelo, Twente
        #expect(try add("GM0363 example wonen \"Woningdelen voor jongeren\"") == "OK id=3")  // Amsterdam
        #expect(try add("bzk solution wonen \"Woningbouwimpuls\"") == "OK id=4")
        #expect(try add("GM0153 solution wonen \"Eigen oplossing\"") == "OK id=5")  // the asking node itself
        #expect(try add("GM0164 solution zorg \"Wijkteams\"") == "OK id=6")  // another theme
        #expect(try add("GM0164 example wonen \"Tiny houses\"") == "OK id=7")  // Hengelo again

        let all = try client.request("MATCH 1").lines.map(parseRecord)
        #expect(Set(all.compactMap { $0.fields["id"] }) == ["2", "3", "4", "7"])
        // Hengelo shares the Twente regions with Enschede: its two answers lead, in id order.
        #expect(all.prefix(2).map { $0.fields["id"] } == ["2", "7"])
        #expect(all[0].fields["name"] == "Hengelo (O.)" && all[0].fields["kind"] == "solution" && all[0].fields["theme"] == "wonen"
                && all[0].fields["text"] == "Flexwoningen op tijdelijke grond", "\(all[0])")
        #expect(all[0].fields["reason"]?.contains("Twente") == true, "\(all[0])")
        let scores = all.map { Double($0.fields["score"] ?? "") ?? -1 }
        #expect(scores == scores.sorted(by: >), "\(scores)")
        for (a, b) in zip(all, all.dropFirst()) where a.fields["score"] == b.fields["score"] {
            #expect(Int(a.fields["id"]!)! < Int(b.fields["id"]!)!, "equal scores in id order")
        }
        // limit= keeps the best.
        let two = try client.request("MATCH 1 limit=2")
        #expect(two.status == "OK rows=2")
        #expect(try two.lines.map { try parseRecord($0).fields["id"] } == ["2", "7"], "\(two)")
        #expect(try client.request("MATCH 1 limit=0").status.hasPrefix("ERR INVALID limit="))

        #expect(try client.request("MATCH 2").status.hasPrefix("ERR INVALID signal 2 is a solution"))
        #expect(try client.request("MATCH 99").status == "ERR NOTFOUND no signal 99")
        #expect(try daemon.stop() == 0)
    }

    @Test func migrationNineteenKeepsTheSignalsAndIndexesTheAnswers() throws {
        let (conninfo, db) = try databaseBefore(migration: 19, label: "migrate-0019", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('GM0164', 'municipality', 'Hengelo (O.)', 'hengelo (o.)', 'local', NULL, '{}', '{}', NULL);
            INSERT INTO signals (node_key, kind, theme, text) VALUES
              ('GM0153', 'problem', 'wonen', 'Te weinig woningen'), ('GM0164', 'solution', 'wonen', 'Flexwoningen'),
              ('GM0164', 'example', 'wonen', 'Tiny houses'), ('GM0164', 'need', 'wonen', 'Geld');
            """)
        let rows = "SELECT id, node_key, kind, theme, text, status FROM signals ORDER BY id"
        let before = try db.query(rows).all.map(\.values)
        try migrate(conninfo, recording: 19, on: db)
        #expect(try db.query(rows).all.map(\.values) == before)
        try db.executeScript("SET enable_seqscan = off; SET enable_bitmapscan = off")
        let plan = try db.query("EXPLAIN SELECT id, node_key FROM signals WHERE theme = 'wonen' AND kind IN ('solution', 'example') ORDER BY id")
            .all.map { try $0.string(0) }.joined(separator: "\n")
        #expect(plan.contains("signals_answers"), "\(plan)")
        #expect(try WorkflowStore.answerSources(db, theme: "wonen").map(\.id) == [2, 3])
    }
}
