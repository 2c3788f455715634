import Foundation
import PQ
import Testing
import VerbinderStore

/// What the daemon says about Dutch public administration, as the advice *Elke regio telt!*
/// puts it: layers and axes, tri-party meetings, the current national government, the names
/// and themes people use. Over TCP, against real PostgreSQL with the seed.
@Suite("The advice's vocabulary")
struct AdviceTests {
    /// A fresh seeded database with its own daemon (these tests write).
    func fresh(_ label: String) throws -> (Daemon, LineClient, Connection) { try freshSeededDaemon(label) }

    func seeded() throws -> LineClient {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        return client
    }

    func records(_ lines: [String]) throws -> [(type: String, fields: [String: String])] { try lines.map(parseRecord) }

    /// The keys of the seed's nodes that have ended, from SQL.
    func endedKeys(_ conninfo: String) throws -> Set<String> {
        let db = try Connection(conninfo)
        defer { db.close() }
        return Set(try db.query("SELECT key FROM nodes WHERE valid_to <= (now() AT TIME ZONE 'Europe/Amsterdam')::date").all.map { try $0.string(0) })
    }

    @Test func triPartyMeansTheNationalGovernmentAtTheTable() throws {
        let (daemon, client, db) = try fresh("tripartite")
        #expect(try client.request("TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 region=CR12 themes=zorg").status == "OK key=ka-twente")
        var day = 10
        func plan(_ participants: String) throws -> (meeting: [String: String], missing: [[String: String]], status: String) {
            day += 1
            let answer = try client.request("MEETING PLAN ka-twente 2027-01-\(day)T10:00 \(participants)")
            let parsed = try records(answer.lines)
            return (parsed[0].fields, parsed.filter { $0.type == "missing" }.map(\.fields), answer.status)
        }
        // Municipality + province + ministry, municipality + region + ministry, region + province + ministry.
        for participants in ["GM0153 PV23 vws", "GM0153 CR12 vws", "CR12 PV23 vws", "GM0164 p10 lvvn", "GM0153 PV23 aenm vng"] {
            let planned = try plan(participants)
            #expect(planned.meeting["tripartite"] == "yes" && planned.meeting["axis"] == "vertical", "\(participants)")
            #expect(planned.status.hasSuffix("axis=vertical tripartite=yes"))
            #expect(planned.missing.isEmpty)
        }
        // Municipality + region + province: vertical, but the national government is absent.
        let noRijk = try plan("GM0153 CR12 PV23")
        #expect(noRijk.meeting["axis"] == "vertical" && noRijk.meeting["tripartite"] == "no")
        #expect(noRijk.missing.map { $0["party"]! } == ["national"])
        #expect(noRijk.missing.first?["candidate"] == "vws")
        // Two municipalities and their VNG department: one side of the line.
        let vngSide = try plan("GM0153 GM0164 vng-overijssel")
        #expect(vngSide.meeting["axis"] == "horizontal" && vngSide.meeting["tripartite"] == "no")
        // Enschede, Overijssel and the VNG: the VNG convenes, it is no party.
        let convened = try plan("GM0153 PV23 vng")
        #expect(convened.meeting["tripartite"] == "no")
        let national = try #require(convened.missing.first)
        #expect(national["party"] == "national" && national["tier"] == "national")
        let candidate = try records(try client.request("SHOW \(national["candidate"]!)").lines)[0].fields
        #expect(candidate["kind"] == "ministry" && candidate["ended"] == nil)
        // A ministry and the VNG only: the municipal, regional and provincial side is missing.
        let ministryOnly = try plan("vws vng")
        #expect(ministryOnly.missing.map { $0["party"]! } == ["province", "region", "municipality"])
        #expect(ministryOnly.missing.map { $0["candidate"]! } == ["PV23", "CR12", "GM0153"])

        // MEETINGS filters by the same rule.
        let horizontal = try records(try client.request("MEETINGS axis=horizontal").lines)
        #expect(horizontal.map { $0.fields["participants"]! } == ["GM0153,GM0164,vng-overijssel"])
        #expect(try client.request("MEETINGS tripartite=yes").status == "OK rows=5")

        // The class follows the participants: a node that moves to another layer takes its meetings along.
        #expect(try client.request("ADD partner \"Rijksdienst Voorbeeld\" key=rijksdienst tier=regional").status == "OK key=rijksdienst")
        let partner = try plan("GM0153 PV23 rijksdienst")
        #expect(partner.meeting["tripartite"] == "no")
        #expect(try client.request("SET rijksdienst tier=national").status == "OK key=rijksdienst")
        let after = try records(try client.request("MEETING \(partner.meeting["id"]!)").lines)[0].fields
        #expect(after["tripartite"] == "yes" && after["axis"] == "vertical")
        #expect(try db.query("SELECT tripartite FROM meetings WHERE id = $1", [partner.meeting["id"]!])[0].bool(0))
        #expect(try daemon.stop() == 0)
    }

    @Test func aMunicipalityIsHorizontalWithItsRegionsNetworksAndDepartment() throws {
        let client = try seeded()
        let shown = try records(try client.request("SHOW GM0796").lines)
        #expect(shown[0].fields["layer"] == "decentral")
        let axis = Dictionary(uniqueKeysWithValues: shown.dropFirst().map { ($0.fields["to"]!, $0.fields["axis"]!) })
        #expect(axis["CR35"] == "horizontal")
        #expect(axis["VR21"] == "horizontal")
        #expect(axis["g40"] == "horizontal")
        #expect(axis["vng-noord-brabant"] == "horizontal")
        #expect(axis["PV30"] == "vertical")
        // NEIGHBORS and PATH walk the same axes.
        let vertical = try records(try client.request("NEIGHBORS GM0796 axis=vertical").lines)
        #expect(vertical.map { $0.fields["to"]! } == ["PV30"])
        let path = try records(try client.request("PATH GM0796 PV30 axis=horizontal max=3").lines)
        #expect(path.isEmpty || path.dropFirst().allSatisfy { $0.fields["axis"] == "horizontal" })
    }

    @Test func theCurrentNationalGovernment() throws {
        let client = try seeded()
        for theme in ["landbouw", "agriculture", "Stikstof"] {
            let suggested = try records(try client.request("SUGGEST GM1731 theme=\(theme) axis=vertical").lines)
            #expect(suggested.first?.fields["key"] == "lvvn", "theme=\(theme)")
            #expect(!suggested.contains { $0.fields["key"] == "lnv" })
        }
        let lnv = try records(try client.request("SHOW lnv").lines)
        #expect(lnv[0].fields["ended"] == "2024-07-02")
        #expect(lnv[0].fields["successors"] == "lvvn")
        #expect(lnv.contains { $0.type == "link" && $0.fields["relation"] == "succeeded_by" && $0.fields["to"] == "lvvn" })
        let ezk = try records(try client.request("SHOW ezk").lines)
        #expect(ezk[0].fields["ended"] == "2024-07-02" && ezk[0].fields["successors"] == "ez,kgg")
        // Since the cabinet Jetten (23 February 2026): EZ renamed, KGG, VRO and AenM taken in.
        for (key, successor) in [("ez", "ezk-2026"), ("kgg", "ezk-2026"), ("vro", "bzk"), ("aenm", "jenv")] {
            let node = try records(try client.request("SHOW \(key)").lines)[0].fields
            #expect(node["ended"] == "2026-02-23" && node["successors"] == successor, "\(key)")
        }
        let energy = try records(try client.request("SUGGEST GM1731 theme=energie axis=vertical").lines)
        #expect(energy.first?.fields["key"] == "ezk-2026")
        let lvvn = try records(try client.request("SHOW LVVN").lines)[0].fields
        #expect(lvvn["kind"] == "ministry" && lvvn["ended"] == nil && lvvn["valid_from"] == "2024-07-02")
        // BZK holds regional policy, the Regio Deals and Elke regio telt!, and housing again since
        // VRO was taken in.
        let bzk = try records(try client.request("SHOW BZK").lines)[0].fields
        #expect(bzk["themes"]?.split(separator: ",").contains("regionaal-beleid") == true)
        #expect(bzk["themes"]?.split(separator: ",").contains("wonen") == true)
        for theme in ["regio deals", "elke-regio-telt", "regionaal-beleid"] {
            let suggested = try records(try client.request("SUGGEST GM1731 theme=\"\(theme)\" axis=vertical").lines)
            #expect(suggested.contains { $0.fields["key"] == "bzk" }, "theme=\(theme)")
        }
        let housing = try records(try client.request("SUGGEST GM1731 theme=wonen axis=vertical").lines)
        #expect(housing.first?.fields["key"] == "bzk")
        #expect(!housing.contains { $0.fields["key"] == "vro" })
    }

    @Test func noAnswerNamesAnEndedNode() throws {
        let daemon = try SeededDaemon.get()
        let ended = try endedKeys(daemon.conninfo)
        // LNV and EZK ended on 2 July 2024; AenM, KGG, VRO and EZ on 23 February 2026 (cabinet Jetten).
        #expect(ended == ["ezk", "lnv", "aenm", "kgg", "vro", "ez"])
        let client = try seeded()
        var answers: [String] = []
        for which in ["unaffiliated", "isolated", "vertical", "vertical theme=landbouw", "vertical theme=energie"] {
            answers += try client.request("GAPS \(which)").lines
        }
        let themes = try records(try client.request("THEMES").lines).map { $0.fields["key"]! }
        for node in ["GM1731", "GM0153", "vng", "PV22", "p10"] {
            for theme in themes {
                answers += try client.request("SUGGEST \(node) theme=\(theme) limit=20").lines
            }
            answers += try client.request("SUGGEST \(node) limit=50").lines
        }
        answers += try client.request("CENTRAL kind=ministry limit=100").lines
        #expect(!answers.isEmpty)
        for line in answers {
            let fields = try parseRecord(line).fields
            #expect(!ended.contains(fields["key"] ?? ""), "\(line)")
            for key in (fields["path"] ?? "").split(separator: ">") { #expect(!ended.contains(String(key)), "\(line)") }
        }
    }

    @Test func missingCandidatesAreCurrent() throws {
        let (daemon, client, _) = try fresh("missing-current")
        let ended = try endedKeys(daemon.conninfo)
        // Themes only ended ministries covered entirely: the candidate is their successor.
        #expect(try client.request("TRAJECTORY ADD cd-drenthe \"Co-design Drenthe\" kind=codesign lead=GM1731 themes=agriculture,klimaat").status == "OK key=cd-drenthe")
        let answer = try client.request("MEETING PLAN cd-drenthe 2027-02-01T10:00 GM1731 PV22")
        let missing = try records(answer.lines).filter { $0.type == "missing" }.map(\.fields)
        #expect(missing.map { $0["party"]! } == ["national"])
        let candidate = try #require(missing.first?["candidate"])
        #expect(!ended.contains(candidate))
        #expect(["lvvn", "ezk-2026"].contains(candidate))
        #expect(!(missing.first?["path"] ?? "").split(separator: ">").contains { ended.contains(String($0)) })
        #expect(try daemon.stop() == 0)
    }

    @Test func anEndedNodeTakesOnlyHistoricRelations() throws {
        let (daemon, client, db) = try fresh("ended-link")
        let lnvRelations = "SELECT count(*) FROM relations WHERE from_key = 'lnv' OR to_key = 'lnv'"
        let before = try db.query(lnvRelations)[0].int(0)
        #expect(try client.request("LINK GM1731 works_with lnv").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("LINK lnv advises GM1731 until=2024-08-01").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("LINK GM1731 works_with lnv since=2019-01-01 until=2024-06-30").status == "OK axis=vertical")
        #expect(try client.request("LINK lnv advises PV22 until=2024-07-02").status == "OK axis=vertical")
        #expect(try client.request("LINK GM1731 works_with lvvn").status == "OK axis=vertical")
        #expect(try db.query(lnvRelations)[0].int(0) == before + 2)
        // Ending a node: SET valid_to=; it stays, shows ended= and is no longer proposed.
        #expect(try client.request("SET vws valid_to=2025-01-01").status == "OK key=vws")
        let vws = try records(try client.request("SHOW vws").lines)[0].fields
        #expect(vws["ended"] == "2025-01-01")
        let suggested = try records(try client.request("SUGGEST GM1731 theme=zorg axis=vertical").lines)
        #expect(!suggested.contains { $0.fields["key"] == "vws" })
        #expect(try client.request("SET vws valid_to=").status == "OK key=vws")
        #expect(try records(try client.request("SHOW vws").lines)[0].fields["ended"] == nil)
        #expect(try client.request("SET vws valid_from=2030-01-01 valid_to=2029-01-01").status.hasPrefix("ERR INVALID"))
        #expect(try daemon.stop() == 0)
    }

    @Test func theNamesPeopleUse() throws {
        let client = try seeded()
        let denHaag = try records(try client.request("FIND den haag").lines)
        #expect(denHaag.first?.fields["key"] == "GM0518")
        #expect(denHaag.first?.fields["aliases"]?.contains("Den Haag") == true)
        #expect(try records(try client.request("SHOW \"Den Bosch\"").lines)[0].fields["key"] == "GM0796")
        #expect(try records(try client.request("SHOW \"den bosch\"").lines)[0].fields["key"] == "GM0796")
        #expect(try records(try client.request("SHOW Friesland").lines)[0].fields["key"] == "PV21")
        let bzk = try records(try client.request("SHOW BZK").lines)[0].fields
        #expect(bzk["key"] == "bzk" && bzk["kind"] == "ministry" && bzk["layer"] == "national")
        #expect(try records(try client.request("FIND \"binnenlandse zaken\"").lines).first?.fields["key"] == "bzk")
        #expect(try records(try client.request("FIND friesland kind=province").lines).map { $0.fields["key"]! } == ["PV21"])
        // Every command that takes a node resolves an alias like a key.
        let path = try client.request("PATH \"Den Haag\" \"Den Bosch\"")
        #expect(path.status.hasPrefix("OK hops="))
        #expect(try records(path.lines).first?.fields["key"] == "GM0518")
        #expect(try records(path.lines).last?.fields["key"] == "GM0796")
        #expect(try client.request("NEIGHBORS \"Den Haag\"").status.hasPrefix("OK links="))
        // The alias of the data: Hengelo (O.) is Hengelo in the 2024 list.
        #expect(try records(try client.request("SHOW Hengelo").lines)[0].fields["key"] == "GM0164")
    }

    @Test func aliasesAreWrittenAuditedAndSharedBetweenDaemons() throws {
        let (daemon, client, db) = try fresh("aliases")
        let other = try Daemon(conninfo: daemon.conninfo)
        let second = try other.connect()
        _ = try second.readLine()
        #expect(try client.request("ALIAS ADD GM1731 \"Midden Drenthe gemeente\"").status == "OK key=GM1731 alias=\"Midden Drenthe gemeente\"")
        #expect(try client.request("ALIAS ADD GM1731 \"MIDDEN DRENTHE GEMEENTE\"").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ALIAS ADD GM1731 Midden-Drenthe").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ALIAS ADD GM1731 PV22").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("ALIAS ADD GM1731 \"\"").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("ALIAS ADD GM1731 \"a\\nb\"").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("ALIAS ADD nobody x").status.hasPrefix("ERR NOTFOUND"))
        #expect(try client.request("ALIAS GM1731 x").status.hasPrefix("ERR USAGE"))
        #expect(try records(try client.request("SHOW \"midden drenthe gemeente\"").lines)[0].fields["key"] == "GM1731")
        #expect(try records(try client.request("FIND \"drenthe gemeente\"").lines).first?.fields["key"] == "GM1731")
        // The same alias on a second node: ambiguous, with both candidates.
        #expect(try client.request("ALIAS ADD GM0106 \"Midden Drenthe gemeente\"").status.hasPrefix("OK"))
        let ambiguous = try client.request("SHOW \"Midden Drenthe gemeente\"")
        #expect(ambiguous.status.hasPrefix("ERR AMBIGUOUS"))
        #expect(try records(ambiguous.lines).map { $0.fields["key"]! } == ["GM0106", "GM1731"])
        // The other daemon learns of it through the change notices.
        var seen = ""
        for _ in 0..<100 {
            seen = try second.request("SHOW GM1731").lines.first ?? ""
            if seen.contains("Midden Drenthe gemeente") { break }
            usleep(50_000)
        }
        #expect(seen.contains("aliases=\"Midden Drenthe gemeente\""))
        #expect(try client.request("ALIAS REMOVE GM1731 \"midden drenthe GEMEENTE\"").status.hasPrefix("OK"))
        #expect(try client.request("ALIAS REMOVE GM1731 \"Midden Drenthe gemeente\"").status.hasPrefix("ERR NOTFOUND"))
        #expect(try records(try client.request("SHOW \"Midden Drenthe gemeente\"").lines)[0].fields["key"] == "GM0106")
        let audit = try db.query("SELECT changes->>'action', changes->>'node' FROM audit WHERE changes->>'action' LIKE 'alias%' ORDER BY id")
            .all.map { "\(try $0.string(0)) \(try $0.string(1))" }
        #expect(audit == ["alias add GM1731", "alias add GM0106", "alias remove GM1731"])
        #expect(try db.query("SELECT count(*) FROM aliases WHERE node_key IN ('GM1731', 'GM0106') AND alias LIKE 'Midden%'")[0].int(0) == 1)
        #expect(try other.stop() == 0)
        #expect(try daemon.stop() == 0)
    }

    @Test func themesAreAVocabulary() throws {
        let (daemon, client, db) = try fresh("themes")
        let other = try Daemon(conninfo: daemon.conninfo)
        let second = try other.connect()
        _ = try second.readLine()
        let listed = try records(try client.request("THEMES").lines)
        let required = ["wonen", "zorg", "jeugd", "onderwijs", "arbeidsmarkt", "economie", "bereikbaarheid", "energie", "landbouw",
                        "natuur", "water", "leefbaarheid", "veiligheid", "cultuur", "digitalisering", "bestuur", "financien",
                        "regionaal-beleid", "brede-welvaart", "migratie"]
        let keys = Set(listed.map { $0.fields["key"]! })
        #expect(Set(required).isSubset(of: keys))
        #expect(listed.allSatisfy { $0.type == "theme" && !($0.fields["label"] ?? "").isEmpty })
        let zorg = try #require(listed.first { $0.fields["key"] == "zorg" }).fields
        #expect(zorg["synonyms"]?.split(separator: ",").contains("healthcare") == true)

        // A typo is an error that names the nearest theme, wherever a theme is taken.
        for request in ["SUGGEST GM1731 theme=zorgg", "GAPS vertical theme=zorgg", "TRAJECTORIES theme=zorgg", "SIGNALS theme=zorgg",
                        "DUE theme=zorgg", "ADD partner X themes=wonen,zorgg", "SIGNAL ADD GM0153 problem zorgg tekst"] {
            let status = try client.request(request).status
            #expect(status == "ERR INVALID unknown theme \"zorgg\" (did you mean zorg?)", "\(request): \(status)")
        }
        #expect(try client.request("SUGGEST GM1731 theme=ruimtevaart").status == "ERR INVALID unknown theme \"ruimtevaart\" (THEMES lists them)")

        // Synonyms in, keys stored and shown.
        #expect(try client.request("TRAJECTORY ADD ka-twente Twente kind=kansenagenda lead=GM0153 themes=healthcare,Werk,zorg").status == "OK key=ka-twente")
        #expect(try records(try client.request("TRAJECTORY ka-twente").lines)[0].fields["themes"] == "zorg,arbeidsmarkt")
        #expect(try client.request("SIGNAL ADD GM0153 problem Gezondheid \"Te weinig huisartsen\"").status == "OK id=1")
        #expect(try records(try client.request("SIGNALS theme=healthcare").lines).map { $0.fields["theme"]! } == ["zorg"])
        #expect(try client.request("TRAJECTORIES theme=gezondheid").status == "OK rows=1")
        let vws = try records(try client.request("SUGGEST GM1731 theme=zorg axis=vertical").lines)
        #expect(vws.first?.fields["key"] == "vws")

        // THEME ADD extends it, for this daemon and the others.
        #expect(try client.request("THEME ADD vrije-tijd \"Vrije tijd en recreatie\" synonyms=recreatie,Toerisme").status == "OK key=vrije-tijd")
        #expect(try client.request("THEME ADD vrije-tijd Dubbel").status.hasPrefix("ERR CONFLICT"))
        #expect(try client.request("THEME ADD zorg-2 Dubbel synonyms=healthcare").status == "ERR CONFLICT healthcare already means theme zorg")
        #expect(try client.request("THEME ADD \"Vrije Tijd!\" X").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("THEME ADD sport2").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("ADD partner \"VVV Drenthe\" themes=toerisme").status == "OK key=vvv-drenthe")
        #expect(try records(try client.request("SHOW vvv-drenthe").lines)[0].fields["themes"] == "vrije-tijd")
        var learned = ""
        for _ in 0..<100 {
            learned = try second.request("SUGGEST GM1731 theme=recreatie").status
            if learned.hasPrefix("OK") { break }
            usleep(50_000)
        }
        #expect(learned.hasPrefix("OK rows="))
        #expect(try db.query("SELECT label, synonyms::text FROM themes WHERE key = 'vrije-tijd'")[0].values == ["Vrije tijd en recreatie", "{recreatie,toerisme}"])
        #expect(try db.query("SELECT count(*) FROM audit WHERE changes->>'action' = 'theme add'")[0].int(0) == 1)
        #expect(try other.stop() == 0)
        #expect(try daemon.stop() == 0)
    }

    /// Migration 0007 from the previous schema with data in it: nothing is lost, every theme
    /// becomes a key, the period of validity moves to its columns, meetings take the new rule.
    @Test func migrationFromThePreviousSchemaKeepsEveryRow() throws {
        let (conninfo, db) = try databaseBefore(migration: 7, label: "migrate-0007", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes) VALUES
              ('PV23', 'province', 'Overijssel', 'overijssel', 'provincial', NULL, '{}', '{}'),
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', 'PV23', '{healthcare,space-travel,healthcare}', '{}'),
              ('CR12', 'region', 'COROP Twente', 'corop twente', 'regional', 'PV23', '{}', '{}'),
              ('lnv', 'ministry', 'Ministerie van LNV', 'ministerie van lnv', 'national', NULL, '{agriculture,nature}',
               '{"valid_to":"2024-07-02"}'),
              ('vng-overijssel', 'vng', 'VNG afdeling Overijssel', 'vng afdeling overijssel', 'provincial', 'PV23', '{}', '{}');
            INSERT INTO relations (from_key, relation, to_key, themes) VALUES
              ('GM0153', 'member_of', 'CR12', '{labour-market}'), ('GM0153', 'member_of', 'vng-overijssel', '{}');
            INSERT INTO trajectories (key, name, kind, lead_key, region_key, themes, goal)
              VALUES ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153', 'CR12', '{housing,Unknown_Theme}', 'Zorg');
            INSERT INTO signals (node_key, kind, theme, text) VALUES ('GM0153', 'problem', 'healthcare', 'Te weinig huisartsen'),
              ('GM0153', 'need', 'space-travel', 'Een raket');
            INSERT INTO meetings (trajectory, starts_at, duration_minutes, axis, tripartite)
              VALUES ('ka-twente', '2026-12-08 10:30+01', 90, 'vertical', true), (NULL, '2026-12-09 10:30+01', 60, 'vertical', false);
            INSERT INTO meeting_participants VALUES (1, 'GM0153'), (1, 'CR12'), (1, 'PV23'), (2, 'GM0153'), (2, 'vng-overijssel');
            """)
        let counts = "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM relations), (SELECT count(*) FROM trajectories), (SELECT count(*) FROM signals), (SELECT count(*) FROM meetings), (SELECT count(*) FROM meeting_participants)"
        let before = try db.query(counts)[0].values
        try migrate(conninfo, recording: 7, on: db)
        #expect(try db.query(counts)[0].values == before)
        #expect(try db.query("SELECT themes::text FROM nodes WHERE key = 'GM0153'")[0].string(0) == "{zorg,space-travel}")
        #expect(try db.query("SELECT themes::text FROM nodes WHERE key = 'lnv'")[0].string(0) == "{landbouw,natuur}")
        #expect(try db.query("SELECT valid_to::text FROM nodes WHERE key = 'lnv'")[0].string(0) == "2024-07-02")
        #expect(try db.query("SELECT themes::text FROM relations WHERE to_key = 'CR12'")[0].string(0) == "{arbeidsmarkt}")
        // A theme outside the slug form is kept as it was; a slug the vocabulary lacks becomes a theme of its own.
        #expect(try db.query("SELECT themes::text FROM trajectories")[0].string(0) == "{wonen,Unknown_Theme}")
        #expect(try db.query("SELECT theme FROM signals ORDER BY id").all.map { try $0.string(0) } == ["zorg", "space-travel"])
        #expect(try db.query("SELECT label FROM themes WHERE key = 'space-travel'")[0].string(0) == "space-travel")
        // Municipality, region and province: no national government, so not tri-party; one side only: horizontal.
        #expect(try db.query("SELECT axis, tripartite::text FROM meetings ORDER BY id").all.map { $0.values } ==
                [["vertical", "false"], ["horizontal", "false"]])
        #expect(try db.query("SELECT count(*) FROM schema_migrations WHERE version = 7")[0].int(0) == 1)
        // The daemon serves it: the unknown theme is usable, the ended ministry shows it.
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try records(try client.request("SHOW lnv").lines)[0].fields["ended"] == "2024-07-02")
        #expect(try client.request("SIGNALS theme=space-travel").status == "OK rows=1")
        #expect(try daemon.stop() == 0)
    }

    /// Migration 0008 (the daemon that wrote an audit row) keeps every audit row, with no daemon named.
    @Test func auditMigrationKeepsEveryRow() throws {
        let (conninfo, db) = try databaseBefore(migration: 8, label: "migrate-0008", rows: """
            INSERT INTO audit (actor, remote, connection, command, changes) VALUES
              ('admin', '127.0.0.1:5000', 3, 'ADD GM0153', '{"action":"add","node":"GM0153"}'),
              ('seed', NULL, NULL, 'seed', '{}');
            """)
        let rows = "SELECT id::text, actor, coalesce(remote, '-'), command, changes::text FROM audit ORDER BY id"
        let before = try db.query(rows).all.map { $0.values }
        try migrate(conninfo, recording: 8, on: db)
        #expect(try db.query(rows).all.map { $0.values } == before)
        #expect(try db.query("SELECT count(*) FROM audit WHERE daemon IS NULL")[0].int(0) == 2)
    }
}
