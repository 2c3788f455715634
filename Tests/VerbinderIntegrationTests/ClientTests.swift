import Foundation
import PQ
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `verbinder` client against a real daemon: one-shot, script mode, import, the shell.
@Suite("verbinder client")
struct ClientTests {
    // MARK: one-shot

    @Test func oneShotExitCodes() throws {
        let port = try SeededDaemon.get().port
        let found = try runClient(["--port", "\(port)", "FIND", "drenthe"])
        #expect(found.code == 0, "\(found)")
        #expect(found.lines.contains { $0.hasPrefix("node key=GM1731 ") })
        #expect(found.lines.allSatisfy { $0.hasPrefix("node ") }, "only data lines by default: \(found.lines)")
        #expect(found.stderr.isEmpty)

        let missing = try runClient(["--port", "\(port)", "SHOW", "nosuchnode"])
        #expect(missing.code == 1, "\(missing)")
        #expect(missing.stderr.contains("ERR NOTFOUND"))
        #expect(missing.stdout.isEmpty)

        let closed = try runClient(["--port", "\(try closedPort())", "FIND", "drenthe"])
        #expect(closed.code == 2, "\(closed)")
        #expect(closed.stdout.isEmpty)
        #expect(!closed.stderr.isEmpty)

        let viaEnvironment = try runClient(["--raw", "PING"], environment: ["VERBINDER_ADDR": "127.0.0.1:\(port)"])
        #expect(viaEnvironment.code == 0 && viaEnvironment.lines == ["OK pong"], "\(viaEnvironment)")
    }

    /// `--lang` and the `LANG` environment variable choose the language of the daemon's texts
    /// for people; the data lines are the same in both.
    @Test func theLanguageComesFromLangOrTheEnvironment() throws {
        let port = try SeededDaemon.get().port
        let dutch = try runClient(["--port", "\(port)", "SHOW", "nosuchnode"], environment: ["LANG": "nl_NL.UTF-8"])
        #expect(dutch.code == 1 && dutch.stderr.contains("ERR NOTFOUND geen partij met sleutel of naam nosuchnode"), "\(dutch)")
        let english = try runClient(["--port", "\(port)", "--lang", "en", "SHOW", "nosuchnode"], environment: ["LANG": "nl_NL.UTF-8"])
        #expect(english.code == 1 && english.stderr.contains("ERR NOTFOUND no node with key or name nosuchnode"), "\(english)")
        #expect(try runClient(["--port", "\(port)", "--lang", "fr", "PING"]).code != 0)
        let nl = try runClient(["--port", "\(port)", "--lang", "nl", "SUGGEST", "GM1731", "limit=2"])
        let en = try runClient(["--port", "\(port)", "--lang", "en", "SUGGEST", "GM1731", "limit=2"])
        #expect(nl.code == 0 && en.code == 0)
        #expect(try nl.lines.map { try parseRecord($0).fields["key"] } == en.lines.map { try parseRecord($0).fields["key"] })
        #expect(nl.lines != en.lines, "the reasons differ")
    }

    @Test func namesWithBlanksAndQuotesArriveIntact() throws {
        let port = try SeededDaemon.get().port
        let bergen = try runClient(["--port", "\(port)", "SHOW", "Bergen (NH.)"])
        #expect(bergen.code == 0, "\(bergen)")
        #expect(try parseRecord(try #require(bergen.lines.first)).fields["key"] == "GM0373")

        let bosch = try runClient(["--port", "\(port)", "SHOW", "'s-Hertogenbosch"])
        #expect(bosch.code == 0, "\(bosch)")
        #expect(try parseRecord(try #require(bosch.lines.first)).fields["key"] == "GM0796")

        let path = try runClient(["--port", "\(port)", "--raw", "PATH", "GM1731", "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties"])
        #expect(path.code == 0, "\(path)")
        #expect(path.lines.last?.hasPrefix("OK hops=") == true)
        #expect(try parseRecord(try #require(path.lines.dropLast().last)).fields["key"] == "bzk")

        // name=value words are options: limit= cuts the list.
        let limited = try runClient(["--port", "\(port)", "FIND", "berg", "limit=2"])
        #expect(limited.code == 0 && limited.lines.count == 2, "\(limited)")
    }

    @Test func jsonLinesParse() throws {
        let port = try SeededDaemon.get().port
        for command in [["FIND", "drenthe"], ["SHOW", "GM1731"]] {
            let result = try runClient(["--port", "\(port)", "--json"] + command)
            #expect(result.code == 0, "\(result)")
            #expect(!result.lines.isEmpty)
            for line in result.lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["type"] is String, "not a JSON record: \(line)")
            }
        }
        let first = try runClient(["--port", "\(port)", "--json", "FIND", "sudwest"]).lines.first ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
        #expect(object?["key"] as? String == "GM1900")
        #expect(object?["name"] as? String == "Súdwest-Fryslân")
    }

    @Test func exportDotPrintsTheGraphLines() throws {
        let port = try SeededDaemon.get().port
        let result = try runClient(["--port", "\(port)", "export", "dot", "GM1731", "depth=1"])
        #expect(result.code == 0, "\(result)")
        #expect(result.lines.first == "digraph verbinder {")
        #expect(result.lines.last == "}")
        #expect(result.lines.contains { $0.contains("\"GM1731\" -> \"PV22\"") })
    }

    // MARK: script mode

    @Test func scriptStopsAtTheFirstError() throws {
        let port = try SeededDaemon.get().port
        let script = try temporaryFile("FIND sudwest\n# a comment\n\nSHOW nosuchnode\nFIND drenthe\n")
        defer { unlink(script) }

        let stopped = try runClient(["--port", "\(port)", "-f", script])
        #expect(stopped.code == 1, "\(stopped)")
        #expect(stopped.stdout.contains("key=GM1900"))
        #expect(!stopped.stdout.contains("key=GM1731"), "the script went on after ERR: \(stopped.stdout)")
        #expect(stopped.stderr.contains("line 4: ERR NOTFOUND"), "\(stopped.stderr)")

        let kept = try runClient(["--port", "\(port)", "--keep-going", "-f", script])
        #expect(kept.code == 1, "\(kept)")
        #expect(kept.stdout.contains("key=GM1900"))
        #expect(kept.stdout.contains("key=GM1731"))
        #expect(kept.stderr.contains("ERR NOTFOUND"))

        // From standard input, all answered: exit 0, with --raw the status lines in order.
        let piped = try runClient(["--port", "\(port)", "--raw"], stdin: "PING\n# skipped\n\nFIND sudwest\nPING")
        #expect(piped.code == 0, "\(piped)")
        #expect(piped.lines == ["OK pong", try #require(stopped.lines.first), "OK rows=1", "OK pong"])
    }

    // MARK: import

    @Test func importNodesAndLinksAllOrNothing() throws {
        let conninfo = try SharedCluster.freshDatabase("clientimport")
        let (seedCode, seedOutput) = try runVerbinderd(["seed", "--database-url", conninfo])
        try #require(seedCode == 0, "\(seedOutput)")
        let daemon = try Daemon(conninfo: conninfo)
        let port = "\(daemon.port)"

        let nodes = try temporaryFile(
            "kind,name,key,tier,province,themes,note\r\n"
                + "partner,\"Stichting \"\"Samen\"\" Verder\",samen-verder,,PV22,\"housing,energy\",\"line one\nline two\"\r\n"
                + "partner,Buurtkracht Assen,buurtkracht,regional,,,\r\n")
        let links = try temporaryFile("from,relation,to,since\nsamen-verder,works_with,buurtkracht,2024-01-01\nbuurtkracht,member_of,GM0106,\n")
        let badLinks = try temporaryFile("from,relation,to\nsamen-verder,advises,GM1731\nsamen-verder,funds,nosuchnode\n")
        let malformed = try temporaryFile("from,relation\nsamen-verder,advises\n")
        defer { for path in [nodes, links, badLinks, malformed] { unlink(path) } }

        let importedNodes = try runClient(["--port", port, "import", "nodes", nodes])
        #expect(importedNodes.code == 0, "\(importedNodes)")
        #expect(importedNodes.lines == ["imported 2 nodes"])
        // The same file again (a retry): keyed by its content, it gets the first answer and writes nothing.
        let again = try runClient(["--port", port, "import", "nodes", nodes])
        #expect(again.code == 0, "\(again)")
        #expect(again.lines == ["imported 2 nodes"])
        #expect(try Connection(conninfo).query("SELECT count(*) FROM audit WHERE command LIKE 'ADD partner%Buurtkracht Assen%'")[0].int(0) == 1)
        let samen = try runClient(["--port", port, "SHOW", "samen-verder"])
        let node = try parseRecord(try #require(samen.lines.first)).fields
        #expect(node["name"] == "Stichting \"Samen\" Verder")
        #expect(node["province"] == "PV22")
        #expect(node["themes"] == "wonen,energie")  // the vocabulary's keys for housing and energy

        let importedLinks = try runClient(["--port", port, "import", "links", links])
        #expect(importedLinks.code == 0, "\(importedLinks)")
        #expect(importedLinks.lines == ["imported 2 links"])
        let shown = try runClient(["--port", port, "SHOW", "buurtkracht"])
        let relations = try shown.lines.dropFirst().map { try parseRecord($0).fields }
        #expect(relations.contains { $0["relation"] == "member_of" && $0["to"] == "GM0106" }, "\(shown.lines)")
        #expect(relations.contains { $0["relation"] == "works_with" && $0["since"] == "2024-01-01" }, "\(shown.lines)")

        // Line 3 names an unknown node: the error names the line, and line 2 is not written either.
        let failed = try runClient(["--port", port, "import", "links", badLinks])
        #expect(failed.code == 1, "\(failed)")
        #expect(failed.stderr.contains("\(badLinks):3: ERR NOTFOUND"), "\(failed.stderr)")
        let after = try runClient(["--port", port, "SHOW", "samen-verder"])
        #expect(!after.stdout.contains("relation=advises"), "a row of the failed batch was written: \(after.stdout)")
        let written = try Connection(conninfo).query("SELECT count(*) FROM relations WHERE from_key = 'samen-verder' AND relation = 'advises'")[0].int(0)
        #expect(written == 0)

        let bad = try runClient(["--port", port, "import", "links", malformed])
        #expect(bad.code == 1, "\(bad)")
        #expect(bad.stderr.contains("\(malformed):1: ") && bad.stderr.contains("\"to\""), "\(bad.stderr)")

        _ = try daemon.stop()
    }

    // MARK: the interactive shell

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"))
    func interactiveCompletionHistoryAndTables() throws {
        let tmux = try #require(tmuxPath)
        let port = try SeededDaemon.get().port
        let home = NSTemporaryDirectory() + "verbinder-shell-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let session = "verbinder-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let command = "env HOME='\(home)' PAGER=cat TERM=xterm '\(Paths.verbinder)' --port \(port)"
        try #require(try runProgram(tmux, ["new-session", "-d", "-s", session, "-x", "200", "-y", "50", command]).code == 0)
        defer { _ = try? runProgram(tmux, ["kill-session", "-t", session]) }

        func screen() throws -> [String] {
            try runProgram(tmux, ["capture-pane", "-p", "-t", session]).stdout
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        func lastLine() throws -> String { try screen().last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "" }
        func keys(_ keys: String...) throws { _ = try runProgram(tmux, ["send-keys", "-t", session] + keys) }
        func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(15)
            while try !condition() {
                if Date() > deadline { throw HarnessError("timed out waiting for \(what); screen:\n\(try screen().joined(separator: "\n"))") }
                usleep(100_000)
            }
        }

        try waitFor("the prompt") { try lastLine().hasPrefix("verbinder>") }
        try keys("PA", "Tab")
        try waitFor("PA<TAB> to complete to PATH") { try lastLine() == "verbinder> PATH" }
        try keys("Midden-Dr", "Tab")
        try waitFor("a name prefix to complete to its key") { try lastLine() == "verbinder> PATH GM1731" }
        try keys("C-u", "SHOW GM1731", "Enter")
        try waitFor("the answer") { try screen().contains { $0.hasPrefix("OK links=") } }
        let lines = try screen()
        #expect(lines.contains("node"), "no node heading: \(lines)")
        #expect(lines.contains("link"), "no link heading: \(lines)")
        #expect(lines.contains { $0.hasPrefix("key ") && $0.contains("kind") && $0.contains("name") })
        #expect(lines.contains { $0.hasPrefix("GM1731  municipality  Midden-Drenthe") }, "\(lines)")
        try keys("Up")
        try waitFor("the up arrow to recall SHOW GM1731") { try lastLine() == "verbinder> SHOW GM1731" }
        try keys("C-u", "QUIT", "Enter")
        try waitFor("QUIT to be in the history file") {
            (try? String(contentsOfFile: home + "/.verbinder_history", encoding: .utf8))?.contains("QUIT") == true
        }
        let history = try String(contentsOfFile: home + "/.verbinder_history", encoding: .utf8)
        #expect(history == "SHOW GM1731\nQUIT\n")
        var info = stat()
        #expect(stat(home + "/.verbinder_history", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }
}

/// `verbinder report`: the metric records, and with --svg a chart that parses as XML.
extension ClientTests {
    @Test func reportPrintsTheMetricsAndDrawsAnSVG() throws {
        let conninfo = try SharedCluster.freshDatabase("clientreport")
        let (seedCode, seedOutput) = try runVerbinderd(["seed", "--database-url", conninfo])
        try #require(seedCode == 0, "\(seedOutput)")
        let daemon = try Daemon(conninfo: conninfo)
        let port = "\(daemon.port)"
        let db = try Connection(conninfo)
        let day = { (offset: Int) in try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + $1::int)::text", [String(offset)])[0].string(0) }
        let month = { (offset: Int) in try db.query("SELECT to_char((now() AT TIME ZONE 'Europe/Amsterdam')::date + make_interval(months => $1::int), 'YYYY-MM')", [String(offset)])[0].string(0) }
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("TRAJECTORY ADD ka-tw \"Kansenagenda Twente & <Achterhoek>\" kind=kansenagenda lead=GM0153 region=CR12").status.hasPrefix("OK"))
        // Meetings held in the past: tri-party (vertical), municipality + province (vertical), two municipalities (horizontal).
        let plans = [(-70, "GM0153 PV23 vws"), (-40, "GM0153 PV23"), (-38, "GM0153 GM0164"), (-5, "GM0164 PV23 vws"), (-3, "GM0153 GM0164")]
        for (offset, participants) in plans {
            let (lines, status) = try client.request("MEETING PLAN ka-tw \(try day(offset))T10:00 \(participants)")
            #expect(status.hasPrefix("OK"), "\(status)")
            let meeting = try lines.map(parseRecord).first { $0.type == "meeting" }
            let id = try #require(meeting?.fields["id"], "\(lines)")
            #expect(try client.request("MEETING HELD \(id)").status.hasPrefix("OK"))
        }
        // Milestones: one done on time, one done late, one open and overdue.
        for (offset, title) in [(10, "Op tijd"), (-10, "Te laat"), (-20, "Open")] {
            let status = try client.request("MILESTONE ADD ka-tw \(try day(offset)) \"\(title)\"").status
            #expect(status.hasPrefix("OK id="), "\(status)")
            if title != "Open" { #expect(try client.request("MILESTONE DONE \(status.dropFirst("OK id=".count))").status.hasPrefix("OK")) }
        }
        let from = try month(-3) + "-01", to = try day(0)
        let directory = NSTemporaryDirectory() + "verbinder-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let svgPath = directory + "/out.svg"

        let result = try runClient(["--port", port, "report", "--svg", svgPath, "from=\(from)", "to=\(to)"])
        #expect(result.code == 0, "\(result)")
        let records = try result.lines.map(parseRecord)
        #expect(records.allSatisfy { $0.type == "metric" }, "\(result.lines)")
        #expect(records.contains { $0.fields["name"] == "milestones_open_overdue" && $0.fields["value"] == "1" })
        let held = records.filter { $0.fields["name"] == "meetings_held" }.map { Int($0.fields["value"]!)! }.reduce(0, +)
        #expect(held == 5)

        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        // Well-formed XML, checked by a real parser (Python's minidom; FoundationXML would add libxml2 to the test target).
        let python = try runProgram("/usr/bin/env", ["python3", "-c", "import xml.dom.minidom,sys; d = xml.dom.minidom.parse(sys.argv[1]); print(d.documentElement.tagName)", svgPath])
        #expect(python.code == 0 && python.stdout == "svg\n", "\(python)")
        // Every month of the period is labelled (a tooltip with YYYY-MM and the short Dutch name).
        let names = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
        for offset in -3...0 {
            let label = try month(offset)
            #expect(svg.contains("<title>\(label)</title>\(names[Int(label.suffix(2))! - 1])</text>"), "no label for \(label)")
        }
        for text in ["<title id=\"chart-title\">Verbinder monitoring: \(from) t/m \(to)</title>", "verticaal", "horizontaal",
                     "aandeel drie partijen", "op tijd", "te laat", "Open mijlpalen over hun datum", "Regio&apos;s met een actieve kansenagenda",
                     "Gemeenten met een kansenagenda", "14 van 342",
                     "Gemeenten zonder verticaal overleg", "in geen enkel netwerk", "<polyline "] {
            #expect(svg.contains(text), "the SVG lacks \(text)")
        }

        // --quiet: no records; --svg -: the SVG on standard output; a bad option: 64; ERR from the daemon: 1.
        let quiet = try runClient(["--port", port, "report", "--quiet", "--svg", svgPath])
        #expect(quiet.code == 0 && quiet.stdout.isEmpty, "\(quiet)")
        let piped = try runClient(["--port", port, "report", "--svg", "-", "from=\(from)"])
        #expect(piped.code == 0 && piped.stdout.hasPrefix("<?xml") && !piped.stdout.contains("metric name="), "\(piped)")
        #expect(try runClient(["--port", port, "report", "month=3"]).code == 64)
        let refused = try runClient(["--port", port, "report", "--svg", directory + "/never.svg", "from=\(to)", "to=\(from)"])
        #expect(refused.code == 1 && refused.stderr.contains("ERR"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/never.svg"))
        let closed = try runClient(["--port", "\(try closedPort())", "report"])
        #expect(closed.code == 2, "\(closed)")
        _ = try daemon.stop()
    }
}

// MARK: helpers (this file only)

/// What a finished `verbinder` run printed, stdout and stderr apart.
struct ClientRun: CustomStringConvertible {
    let code: Int32
    let stdout: String
    let stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    var description: String { "exit \(code)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs the built client with a clean environment (no VERBINDER_ADDR/TOKEN, a private HOME).
func runClient(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> ClientRun {
    let home = NSTemporaryDirectory() + "verbinder-home-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: home) }
    var env = ProcessInfo.processInfo.environment
    env["VERBINDER_ADDR"] = nil
    env["VERBINDER_TOKEN"] = nil
    env["HOME"] = home
    for (key, value) in environment { env[key] = value }
    return try runProgram(Paths.verbinder, arguments, stdin: stdin, environment: env)
}

/// Runs a program to completion (30 s at most) with stdin from a string or /dev/null.
func runProgram(_ path: String, _ arguments: [String], stdin: String? = nil,
                environment: [String: String]? = nil) throws -> ClientRun {
    let base = NSTemporaryDirectory() + "verbinder-run-\(UUID().uuidString)"
    let outPath = base + ".out", errPath = base + ".err", inPath = base + ".in"
    defer { for file in [outPath, errPath, inPath] { unlink(file) } }
    if let stdin { try stdin.write(toFile: inPath, atomically: false, encoding: .utf8) }
    let code = try spawnAndWait(path, arguments, stdin: stdin == nil ? "/dev/null" : inPath, stdout: outPath, stderr: errPath,
                                environment: environment ?? ProcessInfo.processInfo.environment)
    let read = { (file: String) in (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
    return ClientRun(code: code, stdout: read(outPath), stderr: read(errPath))
}

/// Spawns a program with stdin, stdout and stderr from and to files (stderr joins stdout when
/// both name the same file) and waits for it, 30 s at most: its exit status, or 128 + the
/// signal that ended it.
func spawnAndWait(_ path: String, _ arguments: [String], stdin: String = "/dev/null", stdout: String, stderr: String,
                  environment: [String: String]) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if stderr == stdout {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    }
    let pairs: [String] = environment.map { key, value in key + "=" + value }
    let envStrings: [UnsafeMutablePointer<CChar>?] = pairs.map { strdup($0) } + [nil]
    let args: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in envStrings + args { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, args, envStrings)
    guard spawned == 0 else { throw HarnessError("spawn \(path) failed: \(spawned)") }
    let deadline = Date().addingTimeInterval(30)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) != pid {
        if Date() > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw HarnessError("\(path) \(arguments) did not finish within 30 s")
        }
        usleep(10_000)
    }
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}

/// A file with this text in the temporary directory.
func temporaryFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "verbinder-client-\(UUID().uuidString).txt"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    return path
}

/// A loopback port nobody listens on (bound, then closed).
private func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw HarnessError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// tmux, when installed.
private let tmuxPath: String? = {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return (directories.map { "\($0)/tmux" } + ["/usr/bin/tmux", "/usr/local/bin/tmux"])
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}()
