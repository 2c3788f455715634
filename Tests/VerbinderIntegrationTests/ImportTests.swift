import Foundation
import PQ
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `verbinder import` with the files Dutch Excel writes (issue 17, point 4), against a real
/// daemon: `;` and Windows-1252, a trailing row of separators, every bad row at once, and a
/// duplicate told in the daemon's words, never PostgreSQL's.
@Suite("verbinder import of Excel files")
struct ImportTests {
    /// This test's files (each test runs on an instance of its own); removed at its end.
    let directory = NSTemporaryDirectory() + "verbinder-import-\(UUID().uuidString)"

    /// Writes `bytes` to a file named `name` (the name shows in the errors).
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func file(_ name: String, _ text: String) throws -> String { try file(name, Array(text.utf8)) }

    /// Windows-1252 bytes of `text` (every character of it is in the code page).
    func windows1252(_ text: String) -> [UInt8] {
        // By scalar: "\r\n" is one Character.
        let high: [Unicode.Scalar: UInt8] = ["€": 0x80, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "–": 0x96]
        return text.unicodeScalars.map { scalar in
            if let byte = high[scalar] { return byte }
            precondition(scalar.value < 0x100, "not in Windows-1252: \(scalar)")
            return UInt8(scalar.value)
        }
    }

    @Test func dutchExcelFiles() throws {
        let (daemon, _, db) = try freshSeededDaemon("import-excel")
        defer { _ = try? daemon.stop() }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = "\(daemon.port)"
        func node(_ key: String) throws -> [String: String]? {
            let shown = try runClient(["--port", port, "--lang", "en", "SHOW", key])
            guard shown.code == 0, let first = shown.lines.first else { return nil }
            return try parseRecord(first).fields
        }

        // What Excel on a Dutch Windows saves: `;`, CRLF, Windows-1252, and a row of only separators.
        let regios = try file("regios.csv", windows1252(
            "kind;name;province;note\r\n"
                + "partner;Stichting Súdwest-Fryslân Verbindt;PV21;‘t “Hof” – € 5\r\n"
                + "partner;Werkgroep “Samen” Friesland;Friesland;\r\n"
                + ";;;\r\n"))
        let imported = try runClient(["--port", port, "--lang", "en", "import", "nodes", regios])
        #expect(imported.code == 0, "\(imported)")
        #expect(imported.lines == ["imported 2 nodes"])
        #expect(imported.stderr == "verbinder: \(regios) is Windows-1252; converted to UTF-8\n")
        let sudwest = try #require(try node("stichting-sudwest-fryslan-verbindt"))
        #expect(sudwest["name"] == "Stichting Súdwest-Fryslân Verbindt")
        #expect(sudwest["province"] == "PV21")
        #expect(try node("werkgroep-samen-friesland")?["name"] == "Werkgroep “Samen” Friesland")
        let found = try runClient(["--port", port, "--lang", "en", "FIND", "Súdwest-Fryslân Verbindt"])
        #expect(found.stdout.contains("key=stichting-sudwest-fryslan-verbindt"), "\(found)")
        #expect(try db.query("SELECT attributes->>'note' FROM nodes WHERE key = 'stichting-sudwest-fryslan-verbindt'")[0].string(0) == "‘t “Hof” – € 5")

        // A trailing `,,` row in a UTF-8 file with a byte-order mark.
        let trailing = try file("partners.csv", [0xEF, 0xBB, 0xBF] + Array("kind,name,key\npartner,Buurtkracht Sneek,buurtkracht-sneek\n,,\n".utf8))
        let second = try runClient(["--port", port, "--lang", "en", "import", "nodes", trailing])
        #expect(second.code == 0 && second.lines == ["imported 1 nodes"] && second.stderr.isEmpty, "\(second)")

        // Four bad rows among good ones: all four named by file and line, and nothing written.
        let bad = try file("slecht.csv",
            "kind;name;key;province\n"
                + "partner;Goede Rij Een;goede-rij-een;PV21\n"       // 2
                + "partner;;zonder-naam;PV21\n"                      // 3: no name (the client)
                + "partner;Rij Met Provincie;rij-provincie;Atlantis\n" // 4: no such province (the daemon)
                + "partner;Goede Rij Twee;goede-rij-twee;\n"          // 5
                + "kasteel;Rij Met Soort;rij-soort;\n"               // 6: no such kind (the daemon)
                + "partner;Te Veel;te-veel;PV21;extra\n"             // 7: a field too many (the client)
                + ";;;\n")
        let refused = try runClient(["--port", port, "--lang", "en", "import", "nodes", bad])
        #expect(refused.code == 1, "\(refused)")
        #expect(refused.stdout.isEmpty)
        let lines = refused.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(refused.stderr)")
        #expect(lines.first == "\(bad):3: column \"name\": empty, but required", "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(bad):4: ERR NOTFOUND") && $0.contains("Atlantis") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(bad):6: ERR INVALID") && $0.contains("kasteel") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(bad):7: 5 field(s), but the header has 4") }, "\(lines)")
        #expect(lines.last == "\(bad): 4 bad row(s); nothing imported")
        for key in ["goede-rij-een", "goede-rij-twee"] {
            #expect(try node(key) == nil, "\(key) was written")
            let find = try runClient(["--port", port, "--lang", "en", "FIND", key])
            #expect(find.code == 0 && find.lines.isEmpty, "\(find)")
        }
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key LIKE 'goede-rij-%'")[0].int(0) == 0)

        // Sixty bad rows: the first 50 are shown, the rest counted.
        let many = try file("veel.csv", "kind;name\n" + String(repeating: "partner;\n", count: 60))
        let tooMany = try runClient(["--port", port, "--lang", "en", "import", "nodes", many])
        let manyLines = tooMany.stderr.split(separator: "\n").map(String.init)
        #expect(tooMany.code == 1 && manyLines.count == 52, "\(tooMany)")
        #expect(manyLines.dropLast().last == "\(many): 10 more error(s) not shown")
        #expect(manyLines.last == "\(many): 60 bad row(s); nothing imported")
    }

    @Test func duplicatesAreToldInTheDaemonsWords() throws {
        let (daemon, _, db) = try freshSeededDaemon("import-duplicate")
        defer { _ = try? daemon.stop() }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = "\(daemon.port)"

        // Two names with one slug: only the daemon can know they clash.
        let slugs = try file("dubbel.csv", "kind,name\npartner,Stichting Één\npartner,Stichting Een\n")
        let clash = try runClient(["--port", port, "--lang", "en", "import", "nodes", slugs])
        #expect(clash.code == 1, "\(clash)")
        #expect(clash.stderr.contains("\(slugs):3: ERR CONFLICT a node with key stichting-een exists"), "\(clash.stderr)")
        // The same key twice in the file, and a key that exists.
        let keys = try file("sleutels.csv", "kind,name,key\npartner,Eerste,dubbel\npartner,Tweede,DUBBEL\npartner,Bestaat Al,vng\n")
        let twice = try runClient(["--port", port, "--lang", "en", "import", "nodes", keys])
        #expect(twice.code == 1, "\(twice)")
        #expect(twice.stderr.contains("\(keys):3: column \"key\": DUBBEL is also on line 2"), "\(twice.stderr)")
        #expect(twice.stderr.contains("\(keys):4: ERR CONFLICT a node with key vng exists"), "\(twice.stderr)")
        // A symmetric relation given both ways is one relation twice.
        let links = try file("relaties.csv", "from,relation,to\nGM0153,works_with,GM0158\nGM0158,works_with,GM0153\n")
        let linked = try runClient(["--port", port, "--lang", "en", "import", "links", links])
        #expect(linked.code == 1, "\(linked)")
        #expect(linked.stderr.contains("\(links):3: ERR CONFLICT GM0153 works_with GM0158 exists"), "\(linked.stderr)")
        for run in [clash, twice, linked] {
            #expect(!run.stderr.contains("Key ("), "PostgreSQL's text: \(run.stderr)")
            #expect(!run.stderr.contains("already exists"), "PostgreSQL's text: \(run.stderr)")
        }
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key IN ('stichting-een', 'dubbel')")[0].int(0) == 0)
    }

    /// The protocol under the import: `BEGIN errors=all` lets every write of a batch answer for
    /// itself, and COMMIT still writes nothing after any failure.
    @Test func aBatchThatReportsEveryError() throws {
        let (daemon, client, db) = try freshSeededDaemon("batch-errors-all")
        defer { _ = try? daemon.stop() }
        #expect(try client.request("BEGIN errors=maybe").status == "ERR INVALID errors= is one of: first, all")
        #expect(try client.request("BEGIN errors=all").status == "OK batch=open")
        #expect(try client.request("ADD partner Een key=dup-a").status == "OK key=dup-a")
        #expect(try client.request("ADD partner Twee key=DUP-A").status == "ERR CONFLICT a node with key DUP-A exists")
        #expect(try client.request("ADD partner Drie key=fine").status == "OK key=fine", "later writes still run")
        #expect(try client.request("LINK fine advises nosuchnode").status.hasPrefix("ERR NOTFOUND"))
        #expect(try client.request("LINK GM0153 works_with GM0158").status == "OK axis=horizontal")
        #expect(try client.request("LINK GM0158 works_with GM0153").status == "ERR CONFLICT GM0153 works_with GM0158 exists")
        #expect(try client.request("COMMIT").status == "ERR CONFLICT batch aborted, nothing written: CONFLICT a node with key DUP-A exists")
        #expect(try client.request("SHOW fine").status.hasPrefix("ERR NOTFOUND"))
        #expect(try db.query("SELECT count(*) FROM nodes WHERE key IN ('dup-a', 'fine')")[0].int(0) == 0)
        // A clean errors=all batch commits as any other.
        #expect(try client.request("BEGIN errors=all").status == "OK batch=open")
        #expect(try client.request("ADD partner Vier key=vier").status == "OK key=vier")
        #expect(try client.request("COMMIT").status == "OK applied=1")
        // Without errors=all the first error still aborts the batch, and a duplicate in it is named.
        #expect(try client.request("BEGIN").status == "OK batch=open")
        #expect(try client.request("ADD partner Vijf key=vijf").status == "OK key=vijf")
        #expect(try client.request("ADD partner Zes key=Vijf").status == "ERR CONFLICT a node with key Vijf exists")
        #expect(try client.request("ADD partner Zeven key=zeven").status == "ERR CONFLICT batch aborted by an earlier error (CONFLICT); ROLLBACK")
        #expect(try client.request("COMMIT").status == "ERR CONFLICT batch aborted, nothing written: CONFLICT a node with key Vijf exists")
    }
}
