import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the `verbinder` client says to a person (issue 17, points 1 and 3): the status fields
/// of one-shot writes, empty listings in words, and the interactive shell in a real terminal
/// (tmux): ctrl-c in the pager, tables at 160 columns, TAB for trajectories, meetings and themes.
@Suite("verbinder client for people")
struct ClientShellTests {
    // MARK: one-shot writes and empty listings

    @Test func oneShotWritesPrintTheirStatusFields() throws {
        let (daemon, _, _) = try freshSeededDaemon("clientstatus")
        defer { _ = try? daemon.stop() }
        let port = "\(daemon.port)"

        let trajectory = try shellClient(["--port", port, "TRAJECTORY", "ADD", "ka-status", "Kansenagenda Status", "kind=kansenagenda", "lead=GM0153"])
        #expect(trajectory.code == 0 && trajectory.stdout == "key=ka-status\n", "\(trajectory)")
        let milestone = try shellClient(["--port", port, "MILESTONE", "ADD", "ka-status", "2027-01-12", "Eerste concept"])
        #expect(milestone.code == 0 && milestone.stdout == "id=1\n", "\(milestone)")
        let link = try shellClient(["--port", port, "LINK", "GM0153", "works_with", "GM0164"])
        #expect(link.code == 0 && link.stdout == "axis=horizontal\n", "\(link)")
        let contact = try shellClient(["--port", port, "CONTACT", "ADD", "GM0153", "Jan de Vries", "jan@example.org"])
        #expect(contact.code == 0 && contact.stdout.hasPrefix("id=") && contact.lines.count == 1, "\(contact)")
        let moved = try shellClient(["--port", port, "MILESTONE", "MOVE", "1", "2027-02-01", "reason=later"])
        #expect(moved.code == 0 && moved.stdout == "id=1 status=open due=2027-02-01\n", "\(moved)")

        // Scripts: --raw and --json exactly as before; a listing in a pipe is its records alone.
        let raw = try shellClient(["--port", port, "--raw", "MILESTONE", "ADD", "ka-status", "2027-03-01", "Tweede"])
        #expect(raw.code == 0 && raw.stdout == "OK id=2\n", "\(raw)")
        let json = try shellClient(["--port", port, "--json", "MILESTONE", "ADD", "ka-status", "2027-04-01", "Derde"])
        #expect(json.code == 0 && json.stdout.isEmpty, "\(json)")
        let listed = try shellClient(["--port", port, "MILESTONES", "ka-status"])
        #expect(listed.code == 0 && listed.lines.count == 3 && listed.lines.allSatisfy { $0.hasPrefix("milestone ") }, "\(listed)")
        let empty = try shellClient(["--port", port, "TRAJECTORIES", "status=done"])
        #expect(empty.code == 0 && empty.stdout.isEmpty, "an empty listing in a pipe prints nothing: \(empty)")
        let ping = try shellClient(["--port", port, "PING"])
        #expect(ping.code == 0 && ping.stdout.isEmpty, "\(ping)")
        let failed = try shellClient(["--port", port, "MILESTONE", "ADD", "nosuch", "2027-01-12", "x"])
        #expect(failed.code == 1 && failed.stdout.isEmpty && failed.stderr.hasPrefix("ERR NOTFOUND"), "\(failed)")
    }

    /// On a terminal, an empty listing says so in the client's language, and records are
    /// followed by their count.
    @Test(.enabled(if: tmuxExecutable != nil, "tmux is not installed"))
    func emptyListingsOnATerminal() throws {
        let port = try SeededDaemon.get().port
        let client = "'\(Paths.verbinder)' --port \(port)"
        let script = "\(client) TRAJECTORIES status=done; echo \"exit=$?\"; "
            + "LANG=en_GB.UTF-8 \(client) TRAJECTORIES status=done; echo \"exit=$?\"; "
            + "\(client) --lang en FIND nosuchplace; \(client) FIND sudwest; echo done; sleep 60"
        let terminal = try Terminal(command: "env LANG=nl_NL.UTF-8 TERM=xterm sh -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))'",
                                    columns: 160, rows: 40)
        try terminal.waitFor("the four runs") { try terminal.screen().contains("done") }
        let lines = try terminal.screen().filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(Array(lines.prefix(7)) == ["(geen resultaten)", "exit=0", "(no results)", "exit=0", "(no results)",
                                          "node key=GM1900 kind=municipality name=Súdwest-Fryslân tier=local layer=decentral province=PV21",
                                          "rows=1"], "\(lines)")
    }

    // MARK: the interactive shell

    /// ctrl-c in the pager ends the page, not the client; the shell answers the next request.
    @Test(.enabled(if: tmuxExecutable != nil, "tmux is not installed"))
    func controlCInThePagerReturnsToThePrompt() throws {
        let port = try SeededDaemon.get().port
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        // PAGER unset: the default pager, less.
        let terminal = try Terminal(command: "env -u PAGER HOME='\(home)' TERM=xterm LANG=nl_NL.UTF-8 '\(Paths.verbinder)' --port \(port)",
                                    columns: 120, rows: 30)
        try terminal.waitFor("the prompt") { try terminal.lastLine().hasPrefix("verbinder>") }
        try terminal.keys("EXPORT dot GM1731 depth=2", "Enter")
        try terminal.waitFor("the pager to show the first page") {
            let screen = try terminal.screen()
            let paging = try terminal.lastLine().hasPrefix(":")
            return paging && screen.contains { $0.hasPrefix("digraph") } && !screen.contains { $0.hasPrefix("OK lines=") }
        }
        try terminal.keys("C-c")
        try terminal.waitFor("the prompt after ctrl-c in the pager") { try terminal.lastLine().contains("verbinder>") }
        try terminal.keys("PING", "Enter")
        try terminal.waitFor("the shell to answer after the pager") { try terminal.screen().contains("OK pong") }
        // ctrl-c at the prompt still only drops the line, and QUIT leaves with status 0.
        try terminal.keys("C-u", "QUIT", "Enter")
        try terminal.waitFor("the client to end") { !terminal.isRunning }
    }

    /// At 160 columns a meeting table shows whole start and end times; notes and titles give way.
    @Test(.enabled(if: tmuxExecutable != nil, "tmux is not installed"))
    func meetingTableKeepsTimesWhole() throws {
        let (daemon, client, _) = try freshSeededDaemon("clienttable")
        defer { _ = try? daemon.stop() }
        #expect(try client.request("TRAJECTORY ADD ka-tabel \"Kansenagenda Tabel\" kind=kansenagenda lead=GM0153 region=CR12").status.hasPrefix("OK"))
        let plan = try client.request("MEETING PLAN ka-tabel 2026-11-24T10:30 GM0153 GM0164 CR12 PV23 vws title=\"Verkenning van de kansenagenda met provincie, regio en rijk\" place=\"Stadhuis Enschede, raadzaal op de eerste verdieping\"")
        #expect(plan.status.hasPrefix("OK id=1"), "\(plan)")
        #expect(try client.request("MEETING NOTE 1 Provincie wil meedoen en vraagt om een gezamenlijke probleemanalyse voor december").status.hasPrefix("OK"))
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let terminal = try Terminal(command: "env HOME='\(home)' PAGER=cat TERM=xterm '\(Paths.verbinder)' --port \(daemon.port)",
                                    columns: 160, rows: 40)
        try terminal.waitFor("the prompt") { try terminal.lastLine().hasPrefix("verbinder>") }
        try terminal.keys("MEETINGS", "Enter")
        try terminal.waitFor("the table") { try terminal.screen().contains { $0.hasPrefix("OK rows=1") } }
        let screen = try terminal.screen()
        let row = try #require(screen.first { $0.hasPrefix("1 ") }, "\(screen)")
        #expect(row.contains("2026-11-24T10:30+01:00") && row.contains("2026-11-24T12:00+01:00"), "times cut: \(screen.joined(separator: "\n"))")
        #expect(row.contains("…"), "the prose should have been cut to fit: \(row)")
        #expect(screen.allSatisfy { $0.count <= 160 })
    }

    /// TAB completes trajectory keys, meeting ids and theme names, and knows a trajectory added
    /// in the same session; an empty listing says `(geen resultaten)`.
    @Test(.enabled(if: tmuxExecutable != nil, "tmux is not installed"))
    func tabCompletesTrajectoriesMeetingsAndThemes() throws {
        let (daemon, client, _) = try freshSeededDaemon("clienttab")
        defer { _ = try? daemon.stop() }
        #expect(try client.request("TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153").status.hasPrefix("OK"))
        #expect(try client.request("TRAJECTORY ADD cd-sudwest \"Co-design Súdwest\" kind=codesign lead=GM1900").status.hasPrefix("OK"))
        #expect(try client.request("MEETING PLAN ka-twente 2026-12-08T10:30 GM0153 PV23").status == "OK id=1 axis=vertical tripartite=no")
        #expect(try client.request("MEETING PLAN ka-twente 2026-12-09T10:30 GM0153 GM0164").status.hasPrefix("OK id=2 "))
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let terminal = try Terminal(command: "env HOME='\(home)' PAGER=cat TERM=xterm LANG=nl_NL.UTF-8 '\(Paths.verbinder)' --port \(daemon.port)",
                                    columns: 160, rows: 40)
        try terminal.waitFor("the prompt") { try terminal.lastLine().hasPrefix("verbinder>") }

        // A trajectory key, where a sub-verb or a key may stand, and after MILESTONE ADD.
        try terminal.keys("TRAJECTORY ka", "Tab")
        try terminal.waitFor("TRAJECTORY ka<TAB>") { try terminal.lastLine() == "verbinder> TRAJECTORY ka-twente" }
        try terminal.keys("C-u", "MILESTONE ADD cd", "Tab")
        try terminal.waitFor("MILESTONE ADD cd<TAB>") { try terminal.lastLine() == "verbinder> MILESTONE ADD cd-sudwest" }
        // A trajectory= option.
        try terminal.keys("C-u", "DUE trajectory=ka", "Tab")
        try terminal.waitFor("trajectory=ka<TAB>") { try terminal.lastLine() == "verbinder> DUE trajectory=ka-twente" }
        // Meeting ids: two candidates are listed with their start; a unique prefix completes.
        try terminal.keys("C-u", "MEETING HELD ", "Tab")
        try terminal.waitFor("the meetings listed") {
            let screen = try terminal.screen()
            return screen.contains { $0.hasPrefix("1 2026-12-08T10:30+01:00 ka-twente") } && screen.contains { $0.contains("2 2026-12-09T10:30+01:00") }
        }
        try terminal.keys("2", "Tab")
        try terminal.waitFor("MEETING HELD 2<TAB>") { try terminal.lastLine() == "verbinder> MEETING HELD 2" }
        // Themes: positional (SIGNAL ADD <node> <kind> <theme>), an option, the last item of a list.
        try terminal.keys("C-u", "SIGNAL ADD GM0153 need arbeidsm", "Tab")
        try terminal.waitFor("a theme argument") { try terminal.lastLine() == "verbinder> SIGNAL ADD GM0153 need arbeidsmarkt" }
        try terminal.keys("C-u", "SUGGEST GM1731 theme=zo", "Tab")
        try terminal.waitFor("theme=zo<TAB>") { try terminal.lastLine() == "verbinder> SUGGEST GM1731 theme=zorg" }
        try terminal.keys("C-u", "TRAJECTORY SET ka-twente themes=wonen,energ", "Tab")
        try terminal.waitFor("a theme list") { try terminal.lastLine() == "verbinder> TRAJECTORY SET ka-twente themes=wonen,energie" }

        // A trajectory added in this shell completes at once (the cached list is refreshed after a write).
        try terminal.keys("C-u", "TRAJECTORY ADD ka-zwolle \"Kansenagenda Zwolle\" kind=kansenagenda lead=GM0193", "Enter")
        try terminal.waitFor("the write's status") { try terminal.screen().contains { $0.hasPrefix("OK key=ka-zwolle") } }
        try terminal.keys("STAKEHOLDER ADD ka-z", "Tab")
        try terminal.waitFor("the new trajectory to complete") { try terminal.lastLine() == "verbinder> STAKEHOLDER ADD ka-zwolle" }

        // An empty listing in the shell.
        try terminal.keys("C-u", "TRAJECTORIES status=done", "Enter")
        try terminal.waitFor("an empty listing") {
            let screen = try terminal.screen()
            guard let index = screen.lastIndex(where: { $0.hasPrefix("OK rows=0") }) else { return false }
            return index > 0 && screen[index - 1] == "(geen resultaten)"
        }
    }
}

// MARK: helpers (this file only)

/// tmux, when installed.
private let tmuxExecutable: String? = {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return (directories.map { "\($0)/tmux" } + ["/usr/bin/tmux", "/usr/local/bin/tmux"])
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// A program running in a detached tmux session of a given size: keys in, the screen out.
private final class Terminal {
    let tmux: String
    let session: String

    init(command: String, columns: Int, rows: Int) throws {
        tmux = try #require(tmuxExecutable)
        session = "verbinder-shell-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let started = try quietRun(tmux, ["new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)", command])
        guard started.code == 0 else { throw HarnessError("tmux new-session failed: \(started.output)") }
    }

    deinit { _ = try? quietRun(tmux, ["kill-session", "-t", session]) }

    /// The visible lines; throws when the session is gone (its program ended).
    func screen() throws -> [String] {
        let captured = try quietRun(tmux, ["capture-pane", "-p", "-t", session])
        guard captured.code == 0 else { throw HarnessError("the terminal is gone (the program ended): \(captured.output)") }
        return captured.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func lastLine() throws -> String { try screen().last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "" }

    var isRunning: Bool { (try? quietRun(tmux, ["has-session", "-t", session]).code) == 0 }

    func keys(_ keys: String...) throws { _ = try quietRun(tmux, ["send-keys", "-t", session] + keys) }

    /// Polls the screen until `condition` holds, for at most 15 s.
    func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(15)
        while try !condition() {
            if Date() > deadline {
                let screen = (try? self.screen().joined(separator: "\n")) ?? "(gone)"
                throw HarnessError("timed out waiting for \(what); screen:\n\(screen)")
            }
            usleep(100_000)
        }
    }
}

/// What a finished `verbinder` run printed, stdout and stderr apart.
private struct OneShotRun: CustomStringConvertible {
    let code: Int32
    let stdout: String
    let stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    var description: String { "exit \(code)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs the built client with stdout and stderr in files (so not on a terminal), a private
/// HOME and no VERBINDER_ADDR/TOKEN.
private func shellClient(_ arguments: [String]) throws -> OneShotRun {
    let home = try temporaryHome()
    defer { try? FileManager.default.removeItem(atPath: home) }
    var environment = ProcessInfo.processInfo.environment
    environment["VERBINDER_ADDR"] = nil
    environment["VERBINDER_TOKEN"] = nil
    environment["HOME"] = home
    let base = NSTemporaryDirectory() + "verbinder-oneshot-\(UUID().uuidString)"
    defer { unlink(base + ".out"); unlink(base + ".err") }
    let code = try spawnAndWait(Paths.verbinder, arguments, stdout: base + ".out", stderr: base + ".err", environment: environment)
    let read = { (file: String) in (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
    return OneShotRun(code: code, stdout: read(base + ".out"), stderr: read(base + ".err"))
}

/// Runs a program (tmux) to completion; its stdout and stderr together.
private func quietRun(_ path: String, _ arguments: [String]) throws -> (code: Int32, output: String) {
    let file = NSTemporaryDirectory() + "verbinder-tmux-\(UUID().uuidString)"
    defer { unlink(file) }
    let code = try spawnAndWait(path, arguments, stdout: file, stderr: file, environment: ProcessInfo.processInfo.environment)
    return (code, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
}


/// A new private HOME directory (no history, no token file of the person running the tests).
private func temporaryHome() throws -> String {
    let home = NSTemporaryDirectory() + "verbinder-home-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    return home
}
