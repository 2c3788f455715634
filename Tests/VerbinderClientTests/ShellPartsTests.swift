import Testing
import VerbinderText
@testable import verbinder

/// The client's rules for people that need no daemon: what a status line adds to one-shot
/// output, how a table shares the screen, what TAB completes where.
@Suite("Status lines, tables and completion rules")
struct ShellPartsTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func statusFields() {
        #expect(StatusSummary.fields(of: bytes("OK id=2")) == "id=2")
        #expect(StatusSummary.fields(of: bytes("OK id=5 axis=vertical tripartite=no")) == "id=5 axis=vertical tripartite=no")
        #expect(StatusSummary.fields(of: bytes("OK key=GM1731 alias=\"Gemeente Midden-Drenthe\"")) == "key=GM1731 alias=\"Gemeente Midden-Drenthe\"")
        #expect(StatusSummary.fields(of: bytes("OK pong")) == nil)
        #expect(StatusSummary.fields(of: bytes("OK")) == nil)
        #expect(StatusSummary.fields(of: bytes("ERR NOTFOUND no node x=1")) == nil)
    }

    @Test func emptyListings() {
        #expect(StatusSummary.isEmptyListing(dataLines: 0, status: bytes("OK rows=0")))
        #expect(StatusSummary.isEmptyListing(dataLines: 0, status: bytes("OK count=0 municipalities=342 covered=342 uncovered=0")))
        #expect(StatusSummary.isEmptyListing(dataLines: 0, status: bytes("OK links=0 nodes=0")))
        #expect(!StatusSummary.isEmptyListing(dataLines: 0, status: bytes("OK key=x links=0")), "a REMOVE is a write")
        #expect(!StatusSummary.isEmptyListing(dataLines: 0, status: bytes("OK rows=3")))
        #expect(!StatusSummary.isEmptyListing(dataLines: 0, status: bytes("ERR USAGE rows=0")))
    }

    @Test func oneShotLinesForPeopleAndForPipes() {
        func lines(_ data: Int, _ status: String, terminal: Bool, _ language: Language = .nl) -> [String] {
            StatusSummary.oneShotLines(dataLines: data, status: bytes(status), terminal: terminal, language: language)
        }
        // A write says what it made, on a terminal and in a pipe (`id=$(verbinder MILESTONE ADD ...)`).
        #expect(lines(0, "OK id=2", terminal: false) == ["id=2"])
        #expect(lines(0, "OK axis=horizontal", terminal: true) == ["axis=horizontal"])
        // An empty listing: words on a terminal, nothing in a pipe.
        #expect(lines(0, "OK rows=0", terminal: true) == ["(geen resultaten)"])
        #expect(lines(0, "OK rows=0", terminal: true, .en) == ["(no results)"])
        #expect(lines(0, "OK rows=0", terminal: false) == [])
        #expect(lines(0, "OK count=0 municipalities=342", terminal: true) == ["(geen resultaten)", "municipalities=342"])
        // After records: the count on a terminal only, so pipes carry records alone.
        #expect(lines(3, "OK rows=3", terminal: true) == ["rows=3"])
        #expect(lines(3, "OK rows=3", terminal: false) == [])
        #expect(lines(0, "OK pong", terminal: true) == [])
        #expect(lines(0, "OK", terminal: false) == [])
    }

    /// At 160 columns a meeting's start and end stay whole; prose gives way first.
    @Test func tablesCutProseBeforeTimes() {
        let names = ["id", "trajectory", "start", "end", "duration", "title", "status", "axis", "tripartite", "participants", "outcome", "notes"]
        let row = ["12", "ka-twente", "2026-11-24T10:30+01:00", "2026-11-24T12:00+01:00", "90",
                   "Verkenning van de kansenagenda met provincie en rijk", "held", "vertical", "no", "CR12,GM0153,GM0164,PV23,vws",
                   "Gezamenlijke probleemanalyse afgesproken voor de volgende ronde", "Provincie wil meedoen; VWS nog niet gevraagd\\nTweede notitie"]
        let widths = Shell.columnWidths(names: names, cells: [row], screen: 160)
        #expect(widths.reduce(0, +) + 2 * (widths.count - 1) <= 160, "\(widths)")
        #expect(widths[2] == 22 && widths[3] == 22, "\(widths)")
        #expect(widths[1] == 10 && widths[0] == 2)
        let line = Shell.row(row, widths)
        #expect(line.contains("2026-11-24T10:30+01:00  2026-11-24T12:00+01:00"), "\(line)")
        // What fits is not cut at all.
        #expect(Shell.columnWidths(names: ["key", "name"], cells: [["GM1731", "Midden-Drenthe"]], screen: 80) == [6, 14])
    }

    @Test func usagePlaceholders() {
        #expect(UsageBook.placeholders("MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d]", skipping: 2)
            == ["trajectory", "YYYY-MM-DD", "title"])
        #expect(UsageBook.placeholders("MEETING PLAN <trajectory|-> <YYYY-MM-DDTHH:MM> <participant> <participant>... [duration=90m]", skipping: 2)
            == ["trajectory|-", "YYYY-MM-DDTHH:MM", "participant", "participant..."])
        #expect(UsageBook.placeholders("SET <node> name=value... (fields: name, kind)", skipping: 1) == ["node"])
        #expect(UsageBook.placeholders("MILESTONES [trajectory] [status=open|done]", skipping: 1) == ["trajectory"])
    }

    @Test func argumentKindsFromUsage() {
        var book = UsageBook()
        book.add(name: "MILESTONE ADD", usage: "MILESTONE ADD <trajectory> <YYYY-MM-DD> <title> [owner=<node>] [remind=14d,3d,0d]")
        book.add(name: "MEETING", usage: "MEETING PLAN|NOTE|HELD|CANCEL|FOLLOWUP|<id> ...")
        book.add(name: "MEETING HELD", usage: "MEETING HELD <id> [outcome=\"...\"]")
        book.add(name: "MEETING PLAN", usage: "MEETING PLAN <trajectory|-> <YYYY-MM-DDTHH:MM> <participant> <participant>... [duration=90m]")
        book.add(name: "TRAJECTORY", usage: "TRAJECTORY ADD|SET|<key> ...")
        book.add(name: "TRAJECTORY ADD", usage: "TRAJECTORY ADD <key> <name> kind=K lead=<node> [region=<node>] [themes=a,b]")
        book.add(name: "TRAJECTORY SET", usage: "TRAJECTORY SET <key> name=value... (fields: name, kind)")
        book.add(name: "TRAJECTORY", usage: "TRAJECTORY <key>")
        book.add(name: "SIGNAL ADD", usage: "SIGNAL ADD <node> problem|solution|example|need <theme> <text>")
        book.add(name: "EXPORT", usage: "EXPORT dot [<node>] [depth=N] | EXPORT ics [trajectory=T] [node=<node>]")
        book.add(name: "PATH", usage: "PATH <from> <to> [axis=vertical|horizontal]")
        book.add(name: "FIND", usage: "FIND <text> [kind=K] [limit=N]")

        #expect(book.positional(verb: "milestone", arguments: ["add"], index: 1) == .trajectory)
        #expect(book.positional(verb: "MILESTONE", arguments: ["ADD", "ka-twente"], index: 2) == ArgumentKind.none)
        #expect(book.positional(verb: "MEETING", arguments: [], index: 0) == .meeting)
        #expect(book.positional(verb: "MEETING", arguments: ["HELD"], index: 1) == .meeting)
        #expect(book.positional(verb: "MEETING", arguments: ["PLAN"], index: 1) == .trajectory)
        #expect(book.positional(verb: "MEETING", arguments: ["PLAN", "ka", "2026-12-08T10:30", "GM0153", "CR12"], index: 5) == .node)
        #expect(book.positional(verb: "TRAJECTORY", arguments: [], index: 0) == .trajectory)
        #expect(book.positional(verb: "TRAJECTORY", arguments: ["SET"], index: 1) == .trajectory)
        #expect(book.positional(verb: "TRAJECTORY", arguments: ["ADD"], index: 1) == ArgumentKind.none, "a new key")
        #expect(book.positional(verb: "SIGNAL", arguments: ["ADD", "GM0153"], index: 2) == .words(["problem", "solution", "example", "need"]))
        #expect(book.positional(verb: "SIGNAL", arguments: ["ADD", "GM0153", "need"], index: 3) == .theme)
        #expect(book.positional(verb: "EXPORT", arguments: ["dot"], index: 1) == .node)
        #expect(book.positional(verb: "EXPORT", arguments: ["ics"], index: 1) == ArgumentKind.none)
        #expect(book.positional(verb: "PATH", arguments: ["GM1731"], index: 1) == .node)
        #expect(book.positional(verb: "FIND", arguments: [], index: 0) == .node)
        #expect(book.positional(verb: "NOSUCHVERB", arguments: [], index: 0) == nil)

        #expect(book.option(verb: "DUE", arguments: [], name: "trajectory") == .trajectory)
        #expect(book.option(verb: "TRAJECTORY", arguments: ["ADD"], name: "themes") == .theme)
        #expect(book.option(verb: "MILESTONE", arguments: ["ADD"], name: "owner") == .node)
        #expect(book.option(verb: "MILESTONE", arguments: ["ADD"], name: "remind") == ArgumentKind.none)
    }
}
