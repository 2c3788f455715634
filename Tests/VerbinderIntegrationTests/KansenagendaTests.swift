import Foundation
import PQ
import Testing

/// A kansenagenda for every region, measured per municipality (issue 16): region types, the
/// coverage `GAPS agenda` and `REPORT` give, and the example regions with their members.
@Suite("Kansenagenda coverage")
struct KansenagendaTests {
    static func metrics(_ client: LineClient) throws -> [(name: String, dimensions: [String: String], value: String)] {
        try client.request("REPORT").lines.map(parseRecord).map { record in
            var dimensions = record.fields
            let name = dimensions.removeValue(forKey: "name") ?? ""
            let value = dimensions.removeValue(forKey: "value") ?? ""
            return (name, dimensions, value)
        }
    }

    static func value(_ metrics: [(name: String, dimensions: [String: String], value: String)], _ name: String,
                      _ dimensions: [String: String] = [:]) -> String? {
        metrics.first { $0.name == name && $0.dimensions == dimensions }?.value
    }

    @Test func theSeedHasFortyCoropAreasAndNoMunicipalityCovered() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("GAPS agenda")
        #expect(status == "OK count=40 municipalities=342 covered=0 uncovered=342")
        let records = try lines.map(parseRecord)
        #expect(records.count == 40 && records.allSatisfy { $0.type == "coverage" && $0.fields["by"] == "corop" })
        #expect(Set(records.compactMap { $0.fields["unit"] }).count == 40)
        #expect(records.allSatisfy { $0.fields["unit"]?.hasPrefix("CR") == true && $0.fields["covered"] == "0" })
        #expect(records.reduce(0) { $0 + Int($1.fields["members"] ?? "0")! } == 342)
        let twente = try #require(records.first { $0.fields["unit"] == "CR12" })
        #expect(twente.fields["members"] == "14" && twente.fields["uncovered"]?.split(separator: ",").count == 14)

        #expect(try client.request("GAPS agenda by=province").status == "OK count=12 municipalities=342 covered=0 uncovered=342")
        #expect(try client.request("GAPS agenda limit=3").lines.count == 3)
        #expect(try client.request("GAPS agenda by=gemeente").status.hasPrefix("ERR INVALID by=gemeente is not one of: corop, province, functional"))
        #expect(try client.request("GAPS stale by=corop").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("GAPS isolated by=corop").status == "ERR USAGE by= goes with GAPS agenda")
    }

    @Test func aKansenagendaCoversItsRegionsMembersButASafetyRegionsCoversNobody() throws {
        let (daemon, client, _) = try freshSeededDaemon("kansenagenda")
        #expect(try client.request("TRAJECTORY ADD ka-vr \"Veiligheidsregio Twente\" kind=kansenagenda lead=GM0153 region=VR05").status == "OK key=ka-vr")
        // A safety region is no kansenagenda region: its members are not covered, nor is its lead.
        #expect(try client.request("GAPS agenda").status == "OK count=40 municipalities=342 covered=0 uncovered=342")

        #expect(try client.request("TRAJECTORY ADD ka-parkstad \"Kansenagenda Parkstad\" kind=kansenagenda lead=vng region=parkstad-limburg").status
                == "OK key=ka-parkstad")
        #expect(try client.request("GAPS agenda").status == "OK count=40 municipalities=342 covered=7 uncovered=335")
        let limburg = try client.request("GAPS agenda by=province").lines.map(parseRecord).first { $0.fields["unit"] == "PV31" }
        #expect(limburg?.fields["covered"] == "7")
        let functional = try client.request("GAPS agenda by=functional").lines.map(parseRecord)
        #expect(!functional.contains { $0.fields["unit"] == "parkstad-limburg" }, "a fully covered unit is no gap")
        #expect(functional.last?.fields["unit"] == "-" && functional.last?.fields["name"] == nil)

        var metrics = try Self.metrics(client)
        #expect(Self.value(metrics, "municipalities_covered_by_kansenagenda") == "7")
        #expect(Self.value(metrics, "municipalities_covered_by_kansenagenda", ["province": "PV31"]) == "7")
        #expect(Self.value(metrics, "municipalities_covered_by_kansenagenda", ["province": "PV23"]) == "0")
        #expect(Double(Self.value(metrics, "municipalities_covered_by_kansenagenda_share") ?? "") == (7.0 / 342 * 10_000).rounded() / 10_000)
        #expect(Double(Self.value(metrics, "municipalities_covered_by_kansenagenda_share", ["province": "PV31"]) ?? "") == (7.0 / 31 * 10_000).rounded() / 10_000)
        // The safety region's kansenagenda counts as no region's.
        #expect(Self.value(metrics, "regions_with_kansenagenda") == "1")
        #expect(Self.value(metrics, "regions_with_kansenagenda", ["region_type": "functional"]) == "1")
        #expect(Self.value(metrics, "regions_with_kansenagenda", ["region_type": "corop"]) == "0")
        #expect(Self.value(metrics, "regions_with_kansenagenda", ["region_type": "veiligheidsregio"]) == nil)

        // Paused, it covers nobody; the lead or a partner municipality of an agenda without a region is covered.
        #expect(try client.request("TRAJECTORY SET ka-parkstad status=paused").status.hasPrefix("OK"))
        #expect(try client.request("TRAJECTORY ADD ka-kop \"Kop\" kind=kansenagenda lead=GM0400").status == "OK key=ka-kop")
        #expect(try client.request("STAKEHOLDER ADD ka-kop GM0441 role=partner").status.hasPrefix("OK"))
        #expect(try client.request("STAKEHOLDER ADD ka-kop GM1911 role=observer").status.hasPrefix("OK"))
        #expect(try client.request("GAPS agenda").status == "OK count=40 municipalities=342 covered=2 uncovered=340")
        metrics = try Self.metrics(client)
        #expect(Self.value(metrics, "municipalities_covered_by_kansenagenda") == "2")
        #expect(Self.value(metrics, "regions_with_kansenagenda") == "0")
        #expect(try daemon.stop() == 0)
    }

    @Test func regionsHaveATypeToShowSetAndFilterOn() throws {
        let (daemon, client, db) = try freshSeededDaemon("regiontypes")
        let corop = try parseRecord(try #require(try client.request("SHOW CR12").lines.first))
        #expect(corop.fields["region_type"] == "corop")
        #expect(try parseRecord(try #require(try client.request("SHOW VR05").lines.first)).fields["region_type"] == "veiligheidsregio")
        #expect(try parseRecord(try #require(try client.request("SHOW twente").lines.first)).fields["region_type"] == "functional")
        #expect(try parseRecord(try #require(try client.request("SHOW GM0153").lines.first)).fields["region_type"] == nil)

        let found = try client.request("FIND twente kind=region region_type=functional")
        #expect(found.status == "OK rows=1" && found.lines.first?.hasPrefix("node key=twente ") == true)
        #expect(try client.request("FIND twente region_type=corop").lines.map { try parseRecord($0).fields["key"] } == ["CR12"])
        #expect(try client.request("FIND twente region_type=land").status.hasPrefix("ERR INVALID region_type=land is not one of:"))

        #expect(try client.request("ADD region \"Regio Achterhoek\" region_type=functional").status == "OK key=regio-achterhoek")
        #expect(try client.request("ADD region \"Arbeidsmarktregio Twente\"").status == "OK key=arbeidsmarktregio-twente")
        #expect(try db.query("SELECT region_type FROM nodes WHERE key = 'arbeidsmarktregio-twente'")[0].string(0) == "other")
        #expect(try client.request("SET arbeidsmarktregio-twente region_type=arbeidsmarkt").status.hasPrefix("OK"))
        #expect(try parseRecord(try #require(try client.request("SHOW arbeidsmarktregio-twente").lines.first)).fields["region_type"] == "arbeidsmarkt")
        #expect(try client.request("ADD partner \"Stichting X\" region_type=corop").status == "ERR INVALID region_type= goes with kind region")
        #expect(try client.request("SET GM0153 region_type=corop").status == "ERR INVALID region_type= goes with kind region")
        // A region that becomes another kind of node loses its type, and one that becomes a region gets `other`.
        #expect(try client.request("SET regio-achterhoek kind=partner").status.hasPrefix("OK"))
        #expect(try db.query("SELECT region_type IS NULL FROM nodes WHERE key = 'regio-achterhoek'")[0].bool(0))
        #expect(try client.request("SET regio-achterhoek kind=region").status.hasPrefix("OK"))
        #expect(try db.query("SELECT region_type FROM nodes WHERE key = 'regio-achterhoek'")[0].string(0) == "other")

        #expect(try client.request("LINK GM0197 member_of regio-achterhoek").status.hasPrefix("OK"))
        let neighbors = try client.request("NEIGHBORS GM0197 region_type=other")
        #expect(try neighbors.lines.map { try parseRecord($0).fields["to"] } == ["regio-achterhoek"], "not its COROP area or safety region")
        #expect(try daemon.stop() == 0)
    }

    @Test func theExampleRegionsHaveTheirMembersAndThereIsOneTwente() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let expected: [String: Set<String>] = [
            "twente": ["GM0141", "GM0147", "GM1774", "GM0153", "GM0158", "GM0163", "GM0164", "GM1735", "GM0168", "GM0173",
                       "GM1742", "GM0183", "GM1700", "GM0189"],
            "parkstad-limburg": ["GM0917", "GM0928", "GM0882", "GM0899", "GM0965", "GM0986", "GM1954"],
            "zeeuws-vlaanderen": ["GM1714", "GM0715", "GM0677"],
            "kop-van-noord-holland": ["GM0400", "GM0441", "GM1911", "GM0448"],
        ]
        for (region, members) in expected {
            let (lines, _) = try client.request("SHOW \(region)")
            let node = try parseRecord(try #require(lines.first))
            #expect(node.fields["region_type"] == "functional", "\(region)")
            let links = try lines.dropFirst().map(parseRecord).filter { $0.fields["relation"] == "member_of" && $0.fields["to"] == region }
            #expect(Set(links.compactMap { $0.fields["from"] }) == members, "\(region)")
        }
        let veenkolonien = try client.request("SHOW veenkolonien").lines.dropFirst().map(parseRecord).filter { $0.fields["relation"] == "member_of" }
        #expect(veenkolonien.count >= 9, "the Agenda voor de Veenkoloniën's municipalities")
        // One node is called Twente; the COROP area and the safety region carry their prefix.
        #expect(try client.request("SHOW Twente").lines.first?.hasPrefix("node key=twente ") == true)
        let named = try client.request("FIND twente kind=region limit=100").lines.map(parseRecord).filter { $0.fields["name"] == "Twente" }
        #expect(named.count == 1)
    }

    @Test func networkListsSayWhetherTheyAreComplete() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let p10 = try parseRecord(try #require(try client.request("SHOW p10").lines.first)).fields
        #expect(p10["list_status"] == "partial")
        let known = try #require(Int(p10["members_known"] ?? ""))
        let reported = try #require(Int(p10["members_reported"] ?? ""))
        #expect(known > 24 && known < reported, "P10 lists more members than before, and still fewer than it reports")
        #expect(p10["members_reported_on"]?.count ?? 0 >= 7)
        let g4 = try parseRecord(try #require(try client.request("SHOW g4").lines.first)).fields
        #expect(g4["list_status"] == "complete" && g4["members_known"] == "4")
        #expect(try parseRecord(try #require(try client.request("SHOW GM1731").lines.first)).fields["list_status"] == nil)

        let neighbors = try client.request("NEIGHBORS p10")
        #expect(neighbors.status.hasPrefix("OK links="))
        #expect(neighbors.status.contains(" list_status=partial members_known=\(known) members_reported=\(reported)"))
        #expect(try client.request("NEIGHBORS GM1731").status.contains("list_status") == false)

        let unaffiliated = try client.request("GAPS unaffiliated").status
        #expect(unaffiliated.hasSuffix(" partial=K80,P10"), "\(unaffiliated)")
        #expect(try client.request("GAPS isolated").status.contains("partial") == false)
    }

    @Test func theVerticalAxisRunsThroughTheVNGAndThePartnersAreThere() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let path = try client.request("PATH GM1731 vws")
        #expect(path.status.hasPrefix("OK hops="))
        let hops = try path.lines.map { try parseRecord($0).fields["key"] ?? "" }
        #expect(hops.first == "GM1731" && hops.last == "vws" && hops.contains("vng"), "\(hops)")

        // No current ministry is without a relation.
        let isolated = try client.request("GAPS isolated").lines.map(parseRecord)
        #expect(!isolated.contains { $0.fields["kind"] == "ministry" })

        let ipo = try parseRecord(try #require(try client.request("SHOW IPO").lines.first)).fields
        #expect(ipo["key"] == "ipo" && ipo["layer"] == "provincial" && !(ipo["portfolio"] ?? "").isEmpty)
        #expect(try client.request("NEIGHBORS ipo relation=represents").status.hasPrefix("OK links=12 "))
        for partner in ["uvw", "cbs"] {
            let fields = try parseRecord(try #require(try client.request("SHOW \(partner)").lines.first)).fields
            #expect(fields["layer"] != nil && !(fields["portfolio"] ?? "").isEmpty, "\(partner)")
        }
        // The VNG's provincial departments under the names they use, the generic one kept as alias.
        let groningen = try parseRecord(try #require(try client.request("SHOW \"VNG afdeling Groningen\"").lines.first)).fields
        #expect(groningen["key"] == "vng-groningen" && groningen["name"] == "Vereniging van Groninger Gemeenten")
    }

    @Test func aNationalCoDesignMeetsTheProvincesThroughIPO() throws {
        let (daemon, client, _) = try freshSeededDaemon("ipo-candidate")
        #expect(try client.request("TRAJECTORY ADD cd-wonen \"Co-design wonen\" kind=codesign lead=vng themes=wonen").status == "OK key=cd-wonen")
        #expect(try client.request("STAKEHOLDER ADD cd-wonen vro").status.hasPrefix("OK"))
        let plan = try client.request("MEETING PLAN cd-wonen 2027-03-01T10:00 vro GM0153")
        let missing = try plan.lines.map(parseRecord).filter { $0.type == "missing" }.map(\.fields)
        let province = try #require(missing.first { $0["party"] == "province" })
        #expect(province["candidate"] == "ipo", "\(missing)")
        // A province that already works on the trajectory is asked before the association (issue 17).
        #expect(try client.request("STAKEHOLDER ADD cd-wonen PV23").status.hasPrefix("OK"))
        let withProvince = try client.request("MEETING PLAN cd-wonen 2027-03-03T10:00 vro GM0153").lines.map(parseRecord)
        #expect(withProvince.first { $0.type == "missing" && $0.fields["party"] == "province" }?.fields["candidate"] == "PV23")
        // With IPO at the table the meeting is tri-party: IPO sits for the provinces.
        let withIPO = try parseRecord(try #require(try client.request("MEETING PLAN cd-wonen 2027-03-02T10:00 vro GM0153 ipo").lines.first)).fields
        #expect(withIPO["tripartite"] == "yes")
        #expect(try daemon.stop() == 0)
    }

    /// Migration 0010 from the previous schema with data in it: every row stays, and each
    /// region gets the type its seed attributes name.
    @Test func regionTypeMigrationKeepsEveryRow() throws {
        let (conninfo, db) = try databaseBefore(migration: 10, label: "migrate-0010", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes) VALUES
              ('PV23', 'province', 'Overijssel', 'overijssel', 'provincial', NULL, '{}', '{}'),
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', 'PV23', '{zorg}', '{}'),
              ('CR12', 'region', 'COROP Twente', 'corop twente', 'regional', 'PV23', '{}', '{"region_kind":"corop"}'),
              ('VR05', 'region', 'Veiligheidsregio Twente', 'veiligheidsregio twente', 'regional', 'PV23', '{}', '{"region_kind":"veiligheidsregio"}'),
              ('twente', 'region', 'Twente', 'twente', 'regional', NULL, '{}', '{"region_kind":"example"}'),
              ('mijn-regio', 'region', 'Mijn regio', 'mijn regio', 'regional', NULL, '{}', '{}');
            INSERT INTO relations (from_key, relation, to_key) VALUES ('GM0153', 'member_of', 'CR12'), ('GM0153', 'member_of', 'twente');
            INSERT INTO trajectories (key, name, kind, lead_key, region_key) VALUES ('ka-twente', 'Kansenagenda Twente', 'kansenagenda', 'GM0153', 'twente');
            """)
        let counts = "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM relations), (SELECT count(*) FROM trajectories)"
        let before = try db.query(counts)[0].values
        try migrate(conninfo, recording: 10, on: db)
        #expect(try db.query(counts)[0].values == before)
        #expect(try db.query("SELECT key, coalesce(region_type, '-') FROM nodes ORDER BY key COLLATE \"C\"").all.map { $0.values } == [
            ["CR12", "corop"], ["GM0153", "-"], ["PV23", "-"], ["VR05", "veiligheidsregio"], ["mijn-regio", "other"], ["twente", "functional"],
        ])
        // Only a region has a type, and every region has one.
        #expect(throws: PQError.self) { try db.query("UPDATE nodes SET region_type = 'corop' WHERE key = 'GM0153'") }
        #expect(throws: PQError.self) { try db.query("UPDATE nodes SET region_type = NULL WHERE key = 'twente'") }
    }
}
