import Foundation
import Logging
import NIOConcurrencyHelpers
import PQ
import Testing
import VerbinderStore

/// The graph commands over TCP, on the real seed network.
@Suite("Graph queries on the seed network")
struct GraphQueryTests {
    func client() throws -> LineClient {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        return client
    }

    /// Every relation of a node, as a set of "from|relation|to".
    func relations(_ client: LineClient, _ key: String) throws -> Set<String> {
        Set(try client.request("SHOW \(key)").lines.dropFirst().map(parseRecord).map {
            "\($0.fields["from"]!)|\($0.fields["relation"]!)|\($0.fields["to"]!)"
        })
    }

    func hops(_ lines: [String]) throws -> [[String: String]] { try lines.map { try parseRecord($0).fields } }

    func assertValidChain(_ client: LineClient, _ hops: [[String: String]]) throws {
        for (previous, hop) in zip(hops, hops.dropFirst()) {
            let a = previous["key"]!, b = hop["key"]!, relation = hop["relation"]!
            let expected = hop["direction"] == "out" ? "\(a)|\(relation)|\(b)" : "\(b)|\(relation)|\(a)"
            #expect(try relations(client, a).contains(expected), "\(expected) is not a relation")
        }
    }

    @Test func pathBetweenProvincesIsAValidChain() throws {
        let client = try client()
        let (lines, status) = try client.request("PATH GM1731 GM0599") // Midden-Drenthe to Rotterdam
        let chain = try hops(lines)
        #expect(status == "OK hops=\(chain.count - 1)")
        #expect(chain.first?["key"] == "GM1731" && chain.last?["key"] == "GM0599")
        #expect(chain.enumerated().allSatisfy { $0.element["n"] == String($0.offset) })
        try assertValidChain(client, chain)
    }

    @Test func horizontalPathUsesOnlyHorizontalRelations() throws {
        let daemon = try SeededDaemon.get()
        let client = try client()
        // A target reachable through networks only: an M50 member that is not in P10 (P10 and M50 share Peel en Maas).
        let target = try Connection(daemon.conninfo).query("""
            SELECT from_key FROM relations WHERE relation = 'member_of' AND to_key = 'm50'
            EXCEPT SELECT from_key FROM relations WHERE relation = 'member_of' AND to_key = 'p10'
            ORDER BY 1 LIMIT 1
            """)[0].string(0)
        let (lines, status) = try client.request("PATH GM1731 \(target) axis=horizontal")
        #expect(status.hasPrefix("OK hops="))
        let chain = try hops(lines)
        #expect(chain.dropFirst().allSatisfy { $0["axis"] == "horizontal" })
        try assertValidChain(client, chain)
    }

    @Test func avoidIsHonoured() throws {
        let client = try client()
        let first = try hops(client.request("PATH GM1731 GM0106").lines) // Midden-Drenthe to Assen
        let middle = first.dropFirst().dropLast().map { $0["key"]! }
        #expect(!middle.isEmpty)
        let avoided = try hops(client.request("PATH GM1731 GM0106 avoid=\(middle.joined(separator: ","))").lines)
        #expect(!avoided.isEmpty)
        #expect(Set(avoided.map { $0["key"]! }).isDisjoint(with: middle))
        try assertValidChain(client, avoided)
    }

    @Test func threeShortestPathsAreDistinctAndSorted() throws {
        let client = try client()
        let (lines, status) = try client.request("PATH GM1731 GM0014 k=3")
        #expect(status.hasPrefix("OK hops=") && status.hasSuffix("paths=3"))
        let grouped = Dictionary(grouping: try hops(lines), by: { $0["path"]! })
        #expect(grouped.count == 3)
        let paths = ["1", "2", "3"].map { grouped[$0]!.map { $0["key"]! } }
        #expect(Set(paths).count == 3)
        #expect(paths.allSatisfy { Set($0).count == $0.count })
        #expect(paths.map(\.count) == paths.map(\.count).sorted())
        for number in ["1", "2", "3"] { try assertValidChain(client, grouped[number]!) }
    }

    @Test func noPathIsNOPATH() throws {
        let client = try client()
        #expect(try client.request("PATH GM1731 cpb").status.hasPrefix("ERR NOPATH"))
        #expect(try client.request("PATH GM1731 GM0599 max=1").status.hasPrefix("ERR NOPATH"))
    }

    @Test func suggestNeverListsANeighbour() throws {
        let client = try client()
        for key in ["GM1731", "GM0796", "vws", "PV22"] {
            let neighbours = try relations(client, key).flatMap { $0.split(separator: "|").map(String.init) }
            let (lines, status) = try client.request("SUGGEST \(key) limit=50")
            #expect(status.hasPrefix("OK rows="))
            for record in try lines.map(parseRecord) {
                #expect(record.type == "suggestion")
                #expect(!neighbours.contains(record.fields["key"]!) && record.fields["key"] != key)
                #expect(!(record.fields["reason"] ?? "").isEmpty)
            }
        }
    }

    @Test func healthcareSuggestionFromMunicipalityIsVWS() throws {
        let client = try client()
        let (lines, _) = try client.request("SUGGEST GM1731 theme=healthcare axis=vertical")
        let first = try parseRecord(try #require(lines.first))
        #expect(first.fields["key"] == "vws")
        // The English word is a synonym: the reason names the theme by its key.
        #expect(first.fields["reason"]?.contains("zorg") == true)
    }

    @Test func unaffiliatedMatchesSQL() throws {
        let daemon = try SeededDaemon.get()
        let client = try daemon.connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("GAPS unaffiliated")
        let keys = Set(try lines.map { try parseRecord($0).fields["key"]! })
        let connection = try Connection(daemon.conninfo)
        let expected = Set(try connection.query("""
            SELECT key FROM nodes m WHERE kind = 'municipality' AND NOT EXISTS (
              SELECT 1 FROM relations r JOIN nodes n ON n.key = r.to_key
              WHERE r.from_key = m.key AND r.relation = 'member_of' AND n.kind = 'network')
            """).all.map { try $0.string(0) })
        #expect(keys == expected)
        // The networks whose member list is partial are named: "in no network" may be a gap in the list.
        let partial = try connection.query("""
            SELECT string_agg(name, ',' ORDER BY name) FROM nodes WHERE kind = 'network' AND attributes->>'list_status' = 'partial'
            """)[0].string(0)
        #expect(status == "OK count=\(expected.count) partial=\(partial)")
        #expect(!expected.isEmpty)
    }

    @Test func gapsIsolatedAndVertical() throws {
        let client = try client()
        let isolated = try client.request("GAPS isolated")
        #expect(isolated.status.hasPrefix("OK count="))
        // Isolated: no relation to a node of today (a successor's only tie may be its ended predecessor).
        for record in try isolated.lines.map(parseRecord) {
            #expect(record.fields["ended"] == nil)
            for link in try relations(client, record.fields["key"]!) {
                let ends = link.split(separator: "|").map(String.init)
                let other = ends[0] == record.fields["key"] ? ends[2] : ends[0]
                let shown = try client.request("SHOW \(other)")
                #expect(shown.lines.first?.contains(" ended=") == true, "\(record.fields["key"]!) is tied to current \(other)")
            }
        }
        let vertical = try client.request("GAPS vertical theme=healthcare")
        #expect(try vertical.lines.map(parseRecord).allSatisfy { ["municipality", "region"].contains($0.fields["kind"]) })
        #expect(try client.request("GAPS nothing").status.hasPrefix("ERR USAGE"))
    }

    @Test func neighborsAndEgoNetwork() throws {
        let client = try client()
        let one = try client.request("NEIGHBORS GM1731")
        // CR07, p10, veenkolonien, vng-drenthe, VR03, PV22.
        #expect(one.status.hasPrefix("OK links=6"))
        let two = try client.request("NEIGHBORS GM1731 depth=2")
        #expect(two.lines.count > one.lines.count)
        #expect(try two.lines.map(parseRecord).allSatisfy { ["1", "2"].contains($0.fields["depth"]) })
        let horizontal = try client.request("NEIGHBORS GM1731 axis=horizontal")
        #expect(try horizontal.lines.map(parseRecord).allSatisfy { $0.fields["axis"] == "horizontal" })
        #expect(try client.request("NEIGHBORS GM1731 depth=4").status.hasPrefix("ERR INVALID"))
    }

    @Test func centralAndExport() throws {
        let client = try client()
        let central = try client.request("CENTRAL limit=3")
        #expect(central.status == "OK rows=3 exact=yes")
        let ranked = try central.lines.map(parseRecord)
        #expect(ranked.map { $0.fields["rank"] } == ["1", "2", "3"])
        let scores = ranked.map { Double($0.fields["betweenness"]!)! }
        #expect(scores == scores.sorted(by: >))
        let dot = try client.request("EXPORT dot GM1731 depth=2")
        #expect(dot.lines.first == "digraph verbinder {" && dot.lines.last == "}")
        #expect(dot.lines.contains { $0.contains("\"GM1731\" -> \"PV22\"") })
        #expect(dot.status == "OK lines=\(dot.lines.count)")
    }
}

/// Graph changes: PostgreSQL first, then memory, then OK; other daemons follow.
@Suite("Graph changes")
struct GraphChangeTests {
    @Test func addSetLinkUnlinkRemoveWithAudit() throws {
        let conninfo = try SharedCluster.freshDatabase("changes")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        let db = try Connection(conninfo)

        #expect(try client.request("ADD partner \"GGD Drenthe\" themes=healthcare province=Drenthe").status == "OK key=ggd-drenthe")
        #expect(try db.query("SELECT province, tier FROM nodes WHERE key = 'ggd-drenthe'")[0].values == ["PV22", "regional"])
        #expect(try client.request("ADD partner \"GGD Drenthe\"").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ADD municipality Nergenshuizen").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("ADD planet Mars").status.hasPrefix("ERR INVALID"))

        #expect(try client.request("LINK ggd-drenthe works_with GM1731 since=2024-02-30").status.hasPrefix("ERR INVALID"))
        // A regional partner and a municipality are one (decentral) layer.
        #expect(try client.request("LINK ggd-drenthe advises GM1731 themes=healthcare").status == "OK axis=horizontal")
        #expect(try client.request("LINK ggd-drenthe advises gm1731").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("LINK ggd-drenthe befriends GM1731").status.hasPrefix("ERR INVALID"))
        #expect(try db.query("SELECT count(*) FROM relations WHERE from_key = 'ggd-drenthe'")[0].int(0) == 1)

        #expect(try client.request("SET ggd-drenthe tier=provincial name=\"GGD Drenthe (regio)\"").status == "OK key=ggd-drenthe")
        let shown = try client.request("SHOW \"ggd drenthe (regio)\"")
        #expect(shown.lines.first?.contains("tier=provincial") == true)

        #expect(try client.request("REMOVE GM1731").status.hasPrefix("OK key=GM1731 links="))
        #expect(try client.request("SHOW GM1731").status.hasPrefix("ERR NOTFOUND"))
        #expect(try db.query("SELECT count(*) FROM relations WHERE from_key = 'GM1731' OR to_key = 'GM1731'")[0].int(0) == 0)
        #expect(try client.request("UNLINK ggd-drenthe advises GM1731").status.hasPrefix("ERR NOTFOUND"))

        let audit = try db.query("SELECT actor, command FROM audit WHERE actor = 'local' ORDER BY id").all.map { try $0.string(1) }
        #expect(audit.count == 4)
        #expect(audit.first?.hasPrefix("ADD partner") == true)
        #expect(try daemon.stop() == 0)
    }

    @Test func rememberedAnswersFollowEveryWriteHereAndOnAnotherDaemon() throws {
        // SHOW and plain NEIGHBORS are answered from a cache of rendered answers: asked before
        // and after each change, here and on a second daemon, they must show the change.
        let conninfo = try SharedCluster.freshDatabase("rendercache")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let first = try Daemon(conninfo: conninfo), second = try Daemon(conninfo: conninfo)
        let writer = try first.connect(), reader = try second.connect()
        _ = try writer.readLine(); _ = try reader.readLine()
        func links(_ client: LineClient, _ command: String) throws -> Int {
            let response = try client.request(command)
            #expect(response.status.hasPrefix("OK links="), "\(command): \(response.status)")
            return response.lines.filter { $0.hasPrefix("link ") }.count
        }
        let before = try links(writer, "SHOW GM1731")
        #expect(try links(writer, "show gm1731") == before)  // same entry, folded key
        #expect(try links(writer, "NEIGHBORS GM1731") == before)
        #expect(try links(reader, "SHOW GM1731") == before)
        #expect(try links(reader, "NEIGHBORS GM1731") == before)

        #expect(try writer.request("LINK GM1731 partner_of GM0106").status == "OK axis=horizontal")
        #expect(try links(writer, "SHOW GM1731") == before + 1)
        #expect(try links(writer, "NEIGHBORS GM1731") == before + 1)
        func eventually(_ check: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(2)
            while Date() < deadline { if try check() { return true }; usleep(10_000) }
            return try check()
        }
        #expect(try eventually { try links(reader, "SHOW GM1731") == before + 1 && links(reader, "NEIGHBORS GM1731") == before + 1 })

        #expect(try writer.request("SET GM1731 name=\"Midden-Drenthe (test)\"").status.hasPrefix("OK"))
        #expect(try writer.request("SHOW GM1731").lines.first?.contains("Midden-Drenthe (test)") == true)
        // A neighbour's new name shows in the link records of a node that did not change itself.
        #expect(try writer.request("SHOW GM0106").lines.contains { $0.contains("Midden-Drenthe (test)") })
        #expect(try writer.request("SET GM0106 name=\"Assen (test)\"").status.hasPrefix("OK"))
        #expect(try writer.request("SHOW GM1731").lines.contains { $0.contains("to_name=\"Assen (test)\"") || $0.contains("from_name=\"Assen (test)\"") })
        #expect(try eventually { try reader.request("NEIGHBORS GM1731").lines.contains { $0.contains("Assen (test)") } })
        // Writes elsewhere leave a remembered answer as it was (and it is still right).
        let cached = try writer.request("SHOW GM1731").lines
        #expect(try writer.request("LINK GM0014 partner_of GM0034").status == "OK axis=horizontal")
        #expect(try writer.request("SHOW GM1731").lines == cached)
        #expect(try writer.request("UNLINK GM1731 partner_of GM0106").status == "OK")
        #expect(try links(writer, "SHOW GM1731") == before)
        #expect(try eventually { try links(reader, "NEIGHBORS GM1731") == before })

        // The other output format is its own entry.
        #expect(try writer.request("FORMAT json").status == "OK format=json")
        let json = try writer.request("SHOW GM1731")
        #expect(json.lines.allSatisfy { $0.hasPrefix("{") })
        #expect(try writer.request("FORMAT text").status == "OK format=text")
        #expect(try writer.request("SHOW GM1731").lines.first?.hasPrefix("node ") == true)
        #expect(try first.stop() == 0)
        #expect(try second.stop() == 0)
    }

    @Test func aBurstOfNoticesLargerThanOneMessageArrivesWholeAndInOrder() throws {
        let conninfo = try SharedCluster.freshDatabase("notices")
        let received = NIOLockedValueBox<[String]>([])
        let connected = NIOLockedValueBox(false)
        let listener = Listener(conninfo: conninfo, channels: ["burst_test"], onConnect: { _ in connected.withLockedValue { $0 = true } },
                                handler: { note in received.withLockedValue { $0 += note.payload.split(separator: ";").map(String.init) } })
        listener.start()
        defer { listener.stop() }
        let started = Date().addingTimeInterval(5)
        while !connected.withLockedValue({ $0 }), Date() < started { usleep(10_000) }
        let notifier = ChangeNotifier(conninfo: conninfo, channel: "burst_test", logger: Logger(label: "test"))
        notifier.start()
        defer { notifier.stop() }
        // About 60 KB of notices in one enqueue: several messages in one statement.
        let payloads = (0..<2_000).map { "daemon-x|node|key-\($0)" }
        notifier.enqueue(payloads)
        let deadline = Date().addingTimeInterval(5)
        while received.withLockedValue({ $0.count }) < payloads.count, Date() < deadline { usleep(10_000) }
        #expect(received.withLockedValue { $0 } == payloads)
    }

    @Test func aChangeWithoutNoticeIsReconciled() throws {
        let conninfo = try SharedCluster.freshDatabase("reconcile")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let process = try ChildProcess([Paths.verbinderd, "serve", "--database-url", conninfo, "--listen", "127.0.0.1:0"],
                                       environment: ["VERBINDER_RECONCILE_SECONDS": "1"])
        var port: Int?
        let started = Date().addingTimeInterval(30)
        while port == nil, Date() < started { port = Daemon.boundPort(in: process.output); usleep(20_000) }
        let client = try LineClient(port: try #require(port))
        _ = try client.readLine()
        // As if another daemon died between its commit and its notice.
        let db = try Connection(conninfo)
        try db.query("INSERT INTO nodes (key, kind, name, search_name, tier) VALUES ('ghost', 'partner', 'Ghost', 'ghost', 'regional')")
        let deadline = Date().addingTimeInterval(10)
        var seen = false
        while !seen, Date() < deadline {
            seen = try client.request("SHOW ghost").status.hasPrefix("OK")
            if !seen { usleep(100_000) }
        }
        #expect(seen)
        process.signal(SIGTERM)
        #expect(try process.wait() == 0)
    }

    @Test func aRunningDaemonReloadsAfterASeed() throws {
        let conninfo = try SharedCluster.freshDatabase("seedlive")
        #expect(try runVerbinderd(["migrate", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("SHOW GM1731").status.hasPrefix("ERR NOTFOUND"))
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let deadline = Date().addingTimeInterval(2)
        var found = false
        while !found, Date() < deadline {
            found = try client.request("SHOW GM1731").status.hasPrefix("OK")
            if !found { usleep(20_000) }
        }
        #expect(found)
        #expect(try daemon.stop() == 0)
    }

    @Test func secondDaemonSeesAWriteWithinASecond() throws {
        let conninfo = try SharedCluster.freshDatabase("twodaemons")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let first = try Daemon(conninfo: conninfo), second = try Daemon(conninfo: conninfo)
        let writer = try first.connect(), reader = try second.connect()
        _ = try writer.readLine(); _ = try reader.readLine()
        #expect(try writer.request("LINK GM1731 partner_of GM0106 note=\"shared agenda\"").status == "OK axis=horizontal")
        let deadline = Date().addingTimeInterval(1)
        var seen = false
        while Date() < deadline, !seen {
            seen = try reader.request("NEIGHBORS GM1731 relation=partner_of").lines.contains { $0.contains("GM0106") }
            if !seen { usleep(10_000) }
        }
        #expect(seen)
        #expect(try writer.request("ADD partner \"Zorgnetwerk Noord\"").status == "OK key=zorgnetwerk-noord")
        #expect(try writer.request("REMOVE GM0106").status.hasPrefix("OK"))
        let later = Date().addingTimeInterval(1)
        var applied = false
        while Date() < later, !applied {
            applied = try reader.request("SHOW zorgnetwerk-noord").status.hasPrefix("OK")
                && reader.request("SHOW GM0106").status.hasPrefix("ERR NOTFOUND")
            if !applied { usleep(10_000) }
        }
        #expect(applied)
        #expect(try first.stop() == 0)
        #expect(try second.stop() == 0)
    }

    @Test func concurrentLinksEachGetTheirOwnAnswerAndAuditRow() throws {
        // LINKs from many connections are written in groups (one statement, one commit). Every
        // request must still get its own answer: one OK per relation however many ask for it
        // at once, ERR CONFLICT for the others, one audit row per OK, and a LINK to a node the
        // database no longer has fails alone, not its group.
        let conninfo = try SharedCluster.freshDatabase("linkgroups")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let setup = try daemon.connect()
        _ = try setup.readLine()
        for n in 0..<40 {
            let status = try setup.request("ADD partner \"Groep \(n)\" key=grp\(n)").status
            #expect(status == "OK key=grp\(n)", "\(status)")
        }
        #expect(try setup.request("ADD partner \"Verdwenen\" key=gone").status == "OK key=gone")
        let db = try Connection(conninfo)
        try db.query("DELETE FROM nodes WHERE key = 'gone'")  // behind the daemon's back: memory still has it
        // 16 clients, each asking for the same 60 relations in its own order, and one bad one each.
        // 60 distinct relations (works_with is undirected: no pair twice in either order).
        var chosenPairs: [String] = []
        var chosen: Set<String> = []
        for step in [1, 3] {
            for a in 0..<40 where chosenPairs.count < 60 {
                let b = (a + step) % 40
                if chosen.insert("\(min(a, b))|\(max(a, b))").inserted { chosenPairs.append("grp\(a) works_with grp\(b)") }
            }
        }
        let pairs = chosenPairs
        #expect(pairs.count == 60)
        let results = try onThreads(16) { index -> [String: String] in
            let client = try LineClient(port: daemon.port)
            _ = try client.readLine()
            var answers: [String: String] = [:]
            for offset in 0..<pairs.count {
                let line = pairs[(offset + index * 5) % pairs.count]
                answers[line] = try client.request("LINK " + line).status
            }
            answers["bad"] = try client.request("LINK grp\(index) works_with gone").status
            return answers
        }
        for line in pairs {
            let answers = results.map { $0[line]! }
            #expect(answers.filter { $0 == "OK axis=horizontal" }.count == 1, "\(line): \(answers)")
            #expect(answers.filter { $0.hasPrefix("ERR CONFLICT") }.count == 15, "\(line): \(answers)")
        }
        #expect(results.allSatisfy { $0["bad"]!.hasPrefix("ERR CONFLICT") })
        let distinct = Set(pairs.map { line -> String in
            let p = line.split(separator: " "); return [String(p[0]), String(p[2])].sorted().joined(separator: "|") })
        #expect(try db.query("SELECT count(*) FROM relations WHERE from_key LIKE 'grp%' AND to_key LIKE 'grp%' AND relation = 'works_with'")[0].int(0) == distinct.count)
        let audited = try db.query("SELECT actor, command, remote FROM audit WHERE command LIKE 'LINK grp%'").all
        #expect(audited.count == distinct.count)
        #expect(try audited.allSatisfy { try $0.string(0) == "local" && $0.string(2).hasPrefix("127.0.0.1:") })
        // Memory agrees with the database.
        let shown = try setup.request("SHOW grp1")
        let stored = try db.query("SELECT count(*) FROM relations WHERE from_key = 'grp1' OR to_key = 'grp1'")[0].int(0)
        #expect(shown.status == "OK links=\(stored)")
        // A relation the database has but memory does not (written behind the daemon's back):
        // its LINK fails alone with ERR CONFLICT, whichever group it lands in.
        try db.query("INSERT INTO relations (from_key, relation, to_key) VALUES ('grp0', 'advises', 'grp1')")
        let sneaky = try onThreads(8) { index -> String in
            let client = try LineClient(port: daemon.port)
            _ = try client.readLine()
            return try client.request(index == 0 ? "LINK grp0 advises grp1" : "LINK grp\(index + 2) advises grp\(index + 20)").status
        }
        #expect(sneaky[0].hasPrefix("ERR CONFLICT") && sneaky[0].contains("exists"), "\(sneaky[0])")
        #expect(sneaky.dropFirst().allSatisfy { $0 == "OK axis=horizontal" }, "\(sneaky)")
        #expect(try db.query("SELECT count(*) FROM audit WHERE command LIKE 'LINK grp% advises %'")[0].int(0) == 7)
        // A lone LINK is written by the one-row statement: every column and its audit row,
        // and the same ERR CONFLICT for a relation only the database has.
        try db.query("INSERT INTO relations (from_key, relation, to_key) VALUES ('grp30', 'funds', 'grp31')")
        let lone = try setup.request("LINK grp30 funds grp31")
        #expect(lone.status.hasPrefix("ERR CONFLICT") && lone.status.contains("exists"), "\(lone.status)")
        let full = try setup.request("LINK grp32 funds grp33 themes=zorg,wonen since=2026-01-01 until=2026-12-31 note=\"met \\\"citaat\\\"\"")
        #expect(full.status == "OK axis=horizontal", "\(full.status)")
        let row = try db.query("SELECT array_to_string(themes, ','), since::text, until::text, note FROM relations WHERE from_key = 'grp32' AND relation = 'funds' AND to_key = 'grp33'")
        #expect(row.count == 1)
        #expect(try row[0].string(0) == "zorg,wonen" && row[0].string(1) == "2026-01-01" && row[0].string(2) == "2026-12-31")
        #expect(try row[0].string(3) == "met \"citaat\"")
        let loneAudit = try db.query("SELECT changes->>'action', changes->>'to' FROM audit WHERE command LIKE 'LINK grp3% funds %'")
        #expect(loneAudit.count == 1)
        #expect(try loneAudit[0].string(0) == "link" && loneAudit[0].string(1) == "grp33")
        #expect(try daemon.stop() == 0)
    }

    @Test func readersDuringWritesSeeNoHalfWrites() throws {
        let conninfo = try SharedCluster.freshDatabase("readwrite")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let port = daemon.port
        let stop = Date().addingTimeInterval(10)
        let results = try onThreads(17) { index -> [String] in
            let client = try LineClient(port: port)
            _ = try client.readLine()
            if index == 0 {
                var written: [String] = []
                var n = 0
                while Date() < stop {
                    let key = "partner-\(n)"
                    #expect(try client.request("ADD partner \"Partner \(n)\" key=\(key)").status == "OK key=\(key)")
                    #expect(try client.request("LINK \(key) works_with GM0014").status.hasPrefix("OK axis="))
                    written.append(key)
                    if n % 3 == 2 {
                        #expect(try client.request("REMOVE partner-\(n - 1)").status.hasPrefix("OK"))
                        written.removeAll { $0 == "partner-\(n - 1)" }
                    }
                    n += 1
                }
                return written
            }
            while Date() < stop {
                let (lines, status) = try client.request("NEIGHBORS GM0014")
                #expect(status.hasPrefix("OK links="))
                for line in lines {
                    let record = try parseRecord(line)
                    // Both ends of every relation exist: names are resolved from the same snapshot.
                    #expect(record.fields["from_name"] != nil && record.fields["to_name"] != nil)
                }
            }
            return []
        }
        let acknowledged = results[0]
        let db = try Connection(conninfo)
        let stored = Set(try db.query("SELECT from_key FROM relations WHERE to_key = 'GM0014' AND relation = 'works_with' UNION SELECT to_key FROM relations WHERE from_key = 'GM0014' AND relation = 'works_with'").all.map { try $0.string(0) })
        #expect(!acknowledged.isEmpty)
        let missing = Set(acknowledged).subtracting(stored)
        #expect(missing.isEmpty, "acknowledged but not stored: \(missing.sorted().prefix(10))")
        let removedButStored = stored.filter { key in key.hasPrefix("partner-") && !acknowledged.contains(key) }
        #expect(removedButStored.isEmpty, "removed but still stored: \(removedButStored.sorted().prefix(10))")
        #expect(try daemon.stop() == 0)
    }
}

/// BEGIN … COMMIT: all of a batch or none of it.
@Suite("Batches")
struct BatchTests {
    @Test func commitAppliesAllAndAFailureWritesNothing() throws {
        let conninfo = try SharedCluster.freshDatabase("batch")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect(), other = try daemon.connect()
        _ = try client.readLine(); _ = try other.readLine()
        let db = try Connection(conninfo)

        // (A nested BEGIN aborts the batch: EdgeInputTests/aNestedBeginAbortsTheBatch.)
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner \"Batch One\"").status == "OK key=batch-one")
        #expect(try client.request("LINK GM1731 works_with GM0106").status == "OK axis=horizontal")
        // Not visible to others before COMMIT.
        #expect(try other.request("SHOW batch-one").status.hasPrefix("ERR NOTFOUND"))
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key = 'batch-one'")[0].int(0) == 0)
        #expect(try client.request("COMMIT").status == "OK applied=2")
        #expect(try other.request("SHOW batch-one").status.hasPrefix("OK"))
        #expect(try other.request("NEIGHBORS GM1731 relation=works_with").lines.count == 1)

        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner \"Batch Two\"").status == "OK key=batch-two")
        #expect(try client.request("ADD partner \"Batch One\"").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ADD partner \"Batch Three\"").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("COMMIT").status.hasPrefix("ERR CONFLICT batch aborted"))
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key IN ('batch-two', 'batch-three')")[0].int(0) == 0)
        #expect(try client.request("SHOW batch-two").status.hasPrefix("ERR NOTFOUND"))

        // A connection that closes with a batch open writes nothing.
        do {
            let quitter = try daemon.connect()
            _ = try quitter.readLine()
            #expect(try quitter.request("BEGIN").status == "OK batch=open")
            #expect(try quitter.request("ADD partner \"Batch Four\"").status == "OK key=batch-four")
        }
        #expect(try client.request("ROLLBACK").status.hasPrefix("ERR CONFLICT"))
        usleep(200_000)
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key = 'batch-four'")[0].int(0) == 0)
        #expect(try daemon.stop() == 0)
    }
}
