import Foundation
import PQ
import Testing

/// Dutch for people, stable fields for programs (issue 16): with `LANG nl` (the default) the
/// texts for people are Dutch, with `LANG en` today's English, and everything a script reads
/// is byte for byte the same.
@Suite("Dutch and English")
struct LanguageTests {
    /// A daemon whose default is Dutch, on a seeded database with a trajectory and signals to
    /// ask about (shared by the tests of this suite; killed when the tests end).
    static let dutch: Result<Daemon, any Error> = Result {
        let daemon = try Daemon(conninfo: try seededDatabase("language"), extraArguments: ["--lang", "nl"])
        atexit { if case .success(let daemon) = LanguageTests.dutch { kill(daemon.process.pid, SIGKILL) } }
        let client = try daemon.connect()
        _ = try client.readLine()
        for line in ["TRAJECTORY ADD cd-wonen \"Co-design wonen\" kind=codesign lead=vng themes=wonen",
                     "SIGNAL ADD GM1731 problem wonen Te weinig huurwoningen voor jongeren",
                     "SIGNAL ADD GM0153 solution wonen Tiny houses op tijdelijke locaties"] {
            guard try client.request(line).status.hasPrefix("OK") else { throw HarnessError("setup failed: \(line)") }
        }
        return daemon
    }

    /// Requests whose answers hold texts for people: evidence, HELP summaries, error messages.
    static let requests = [
        "SUGGEST GM1731 theme=zorg axis=vertical limit=3",
        "SUGGEST GM0153 limit=5",
        "MATCH 1",
        "HELP MILESTONE",
        "HELP",
        "SHOW nergens",
        "FIND x limit=0",
        "NEIGHBORS GM1731 depth=9",
        "ADD partner \"Stichting X\" region_type=corop",
        "GAPS stale by=corop",
        "FROB",
        "MILESTONE MOVE 1 2027-01-01",
    ]

    /// The answer with every text for people blanked: what a program reads.
    static func skeleton(_ answer: (lines: [String], status: String)) throws -> [String] {
        var result = try answer.lines.map { line -> String in
            let record = try parseRecord(line)
            let fields = record.fields.filter { !["reason", "summary"].contains($0.key) }.sorted { $0.key < $1.key }
            return record.type + " " + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let status = answer.status
        result.append(status.hasPrefix("ERR ") ? String(status.split(separator: " ").prefix(2).joined(separator: " ")) : status)
        return result
    }

    @Test func dutchIsTheDefaultAndEnglishIsAskedFor() throws {
        let daemon = try Self.dutch.get()
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("LANG").status == "OK lang=nl")
        #expect(try client.request("SHOW nergens").status == "ERR NOTFOUND geen partij met sleutel of naam nergens")
        #expect(try client.request("LANG EN").status == "OK lang=en")
        #expect(try client.request("SHOW nergens").status == "ERR NOTFOUND no node with key or name nergens")
        #expect(try client.request("LANG fr").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("LANG nl en").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("LANG").status == "OK lang=en", "a refused LANG changes nothing")
    }

    @Test func onlyTheTextsForPeopleChange() throws {
        let daemon = try Self.dutch.get()
        let nl = try daemon.connect(), en = try daemon.connect()
        _ = try nl.readLine()
        _ = try en.readLine()
        #expect(try en.request("LANG en").status == "OK lang=en")
        var translated = 0
        for request in Self.requests {
            let dutch = try nl.request(request), english = try en.request(request)
            #expect(try Self.skeleton(dutch) == Self.skeleton(english), "\(request)")
            if dutch.lines != english.lines || dutch.status != english.status { translated += 1 }
            #expect(dutch.lines.count == english.lines.count, "\(request)")
        }
        #expect(translated == Self.requests.count, "every one of these answers holds a text for people")

        // Evidence, a missing party and an error, in Dutch.
        let suggestion = try parseRecord(try #require(try nl.request("SUGGEST GM1731 theme=zorg axis=vertical limit=1").lines.first))
        #expect(suggestion.fields["reason"]?.contains("ministerie") == true, "\(suggestion.fields)")
        let plan = try nl.request("MEETING PLAN cd-wonen 2027-03-01T10:00 vro GM0153")
        let missing = try plan.lines.map(parseRecord).filter { $0.type == "missing" }
        #expect(!missing.isEmpty)
        let englishReasons = ["national level", "provincial level", "the province of the trajectory", "a region of the lead",
                              "the provinces' association, for a trajectory of no one province", "the trajectory's lead"]
        #expect(missing.allSatisfy { record in !englishReasons.contains { record.fields["reason"]?.contains($0) == true } }, "\(missing)")
        #expect(try nl.request("FIND x limit=0").status == "ERR INVALID limit= moet een geheel getal zijn van 1 tot en met 1000")
        let help = try parseRecord(try #require(try nl.request("HELP PING").lines.first))
        #expect(help.fields["usage"] == "PING" && help.fields["summary"] != "Check that the server answers: OK pong.")
    }
}
