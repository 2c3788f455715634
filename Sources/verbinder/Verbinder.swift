import ArgumentParser
import Foundation
import VerbinderProtocol
import VerbinderText
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient

/// `verbinder`: the client of verbinderd for people and scripts.
struct Verbinder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbinder",
        abstract: "The client of verbinderd: one-shot commands, scripts, CSV import, export, and an interactive shell.",
        discussion: """
        MODES
          verbinder VERB [ARG...] [name=value...]
              One request: verbinder FIND drenthe, verbinder SHOW "'s-Hertogenbosch".
              Each argument is sent as one token, quoted as needed; a word that
              starts with a lower-case name and = is an option (limit=5).
              Prints the data lines as they come, then the status line's fields
              without the OK: always after a write (id=2, axis=horizontal), after
              data lines only on a terminal (rows=10). An empty listing says
              (geen resultaten) / (no results) on a terminal, nothing in a pipe.
              --raw and --json print the lines as received.
          verbinder -f FILE, or verbinder < FILE
              Script mode: one request per line, pipelined; stops at the first
              ERR unless --keep-going. Empty lines and # lines are skipped.
          verbinder
              With a terminal on standard input: the interactive shell (line
              editing, history in ~/.verbinder_history, TAB completion of verbs,
              nodes, trajectory keys, meeting ids and themes, tables).

        SUB-COMMANDS (lower case; protocol verbs are upper case)
          import nodes FILE.csv   columns kind,name[,key,tier,province,themes,note]
          import links FILE.csv   columns from,relation,to[,themes,since,until,note]
              All rows in one batch (BEGIN ... COMMIT): all or nothing.
          export dot [NODE] [depth=N] [axis=vertical|horizontal] [expand=yes]
          export ics [trajectory=T] [node=N]
              The data lines as they come:
              verbinder export dot GM1731 depth=2 | sfdp -Goverlap=prism -Tsvg > net.svg
          export csv signals|goals|contacts [--excel] [name=value...]
              The listing as a spreadsheet (CSV, CRLF); --excel: UTF-8 with BOM and ;
              between fields, as Dutch Excel opens it. Filters as SIGNALS, GOALS, CONTACTS.
          report [--svg FILE] [--quiet] [from=YYYY-MM-DD] [to=YYYY-MM-DD]
              The REPORT figures; with --svg a chart of the monthly series.
          reminders send --via 'COMMAND' [--limit N] [--lease 5m] [--retry 10m]
                         [--worker NAME] [--timeout 10m] [--dry-run]
              For cron: claims due milestone reminders and pipes each as an
              e-mail to COMMAND (e.g. '/usr/sbin/sendmail -t -i'); exit 0 when
              all were sent, 1 when some failed, 2 when the daemon is unreachable.

        ENVIRONMENT
          VERBINDER_ADDR      host:port or unix:/path (--connect, --host and
                              --port override it)
          VERBINDER_TOKEN     sent as AUTH (--token overrides it; else the file
                              ~/.config/verbinder/token, mode 600)
          VERBINDER_HISTORY   the shell's history file (~/.verbinder_history)
          VERBINDER_MAIL_FROM the From: of reminder e-mails
                              (default: Verbinder <verbinder@localhost>)
          PAGER               pager for long answers (default: less -FRXK; ctrl-c
                              ends the page, not the shell)

        EXIT STATUS
          0   OK
          1   the daemon answered ERR; a malformed CSV file; a failed import;
              a reminder that could not be sent
          2   the daemon is unreachable, the connection broke, or the feature
              (for --tls: openssl could not be started)
          64  a usage error

        The manual page: man -l docs/verbinder.1
        """,
        version: "0.1.0"
    )

    @Option(help: ArgumentHelp("The daemon's host (default 127.0.0.1).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("The daemon's TCP port (default 7411).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("The daemon's address: host:port or unix:/path.", valueName: "address"))
    var connect: String?

    @Option(help: ArgumentHelp("A token sent as AUTH before anything else.", valueName: "token"))
    var token: String?

    @Flag(help: "Connect with TLS (through the system's openssl; VERBINDER_TLS_CA names a CA file to trust).")
    var tls = false

    @Flag(help: "Print every protocol line of the answer exactly as received, status line included.")
    var raw = false

    @Flag(help: "Switch the connection to JSON (FORMAT json): one JSON object per data line.")
    var json = false

    @Option(help: ArgumentHelp("The language of the daemon's texts for people: nl or en (default: the LANG environment variable's, else the daemon's, Dutch).", valueName: "language"))
    var lang: String?

    @Option(name: [.short, .customLong("file")], help: ArgumentHelp("Run the requests in FILE (script mode).", valueName: "file"))
    var file: String?

    @Flag(help: "Script mode: go on after an ERR (exit 1 at the end if any request failed).")
    var keepGoing = false

    @Flag(help: "Interactive shell: never run the pager.")
    var noPager = false

    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("A request (VERB ARG... name=value...) or a sub-command (import, export, report, reminders).",
                                 valueName: "command"))
    var words: [String] = []

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be from 1 to 65535") }
        // The passthrough argument captures the help and version flags too: hand them back.
        if let first = words.first, ["-h", "--help", "-help"].contains(first) { throw CleanExit.helpRequest(self) }
        if words.first == "--version" { throw CleanExit.message(Verbinder.configuration.version) }
        if let first = words.first, first.hasPrefix("-"), first != "-" {
            throw ValidationError("unknown option \(first) (options go before the command)")
        }
        if file != nil, !words.isEmpty { throw ValidationError("give either -f FILE or a command, not both") }
        if connect != nil, host != nil || port != nil {
            throw ValidationError("give either --connect or --host/--port, not both")
        }
    }

    func run() throws {
        do {
            let code = try dispatch()
            Output.standard.flush()
            Output.error.flush()
            if code != 0 { throw ExitCode(code) }
        } catch let failure as ClientFailure {
            if !failure.message.isEmpty { complain(failure.message) }
            throw ExitCode(failure.exitCode)
        }
    }

    private func dispatch() throws -> Int32 {
        let settings = try Settings(self)
        if let file {
            let fd = file == "-" ? 0 : open(file, O_RDONLY)
            guard fd >= 0 else { throw ClientFailure("cannot read \(file): \(String(cString: strerror(errno)))", exitCode: ExitStatus.failed) }
            return try ScriptMode(settings: settings, keepGoing: keepGoing).run(fd: fd)
        }
        guard let first = words.first else {
            if isatty(0) == 1 { return try Shell(settings: settings, pager: !noPager).run() }
            return try ScriptMode(settings: settings, keepGoing: keepGoing).run(fd: 0)
        }
        let rest = Array(words.dropFirst())
        switch first {
        case "import": return try Importer(settings: settings).run(rest)
        case "export": return try exportCommand(rest, settings: settings)
        case "reminders":
            return try ReminderSender(settings: settings, options: ReminderSendOptions.parseWords(rest)).run()
        case "report":
            return try ReportCommand(settings: settings).run(rest)
        default:
            return try OneShot(settings: settings).run(line: Verbinder.requestLine(words))
        }
    }

    private func exportCommand(_ arguments: [String], settings: Settings) throws -> Int32 {
        guard let format = arguments.first else {
            throw ClientFailure("usage: verbinder export dot [NODE] [depth=N] [axis=vertical|horizontal] [expand=yes], export ics [trajectory=T] [node=N] [from=DATE] [to=DATE], or export csv signals|goals|contacts [--excel]",
                                exitCode: ExitCode.validationFailure.rawValue)
        }
        if format.lowercased() == "csv" { return try SpreadsheetExport(settings: settings).run(Array(arguments.dropFirst())) }
        var settings = settings
        settings.json = false // DOT and iCalendar lines come through as they are
        let line = Verbinder.requestLine(["EXPORT", format] + arguments.dropFirst())
        guard format.lowercased() == "ics", !settings.raw else { return try OneShot(settings: settings).run(line: line) }
        // An iCalendar file ends its lines with CRLF (RFC 5545 3.1); the protocol's data lines end
        // with LF, so the client writes each with CRLF. Nothing but the calendar goes to stdout.
        let connection = try settings.open()
        connection.queue(line)
        let status = try connection.readResponse { Output.standard.write($0 + [0x0D, 0x0A]) }
        if isErrorLine(status) {
            printError(status.text)
            return ExitStatus.failed
        }
        Output.standard.flush()
        return ExitStatus.ok
    }

    /// One request line from argv words: the verb as it is, each argument one token
    /// (`Quoting.quoteArgument`), and `name=value` words as options (value `Quoting.quote`d).
    static func requestLine(_ words: [String]) -> String {
        guard let verb = words.first else { return "" }
        // A single word holding a whole request ("FIND drenthe") is sent as the line it is.
        if words.count == 1, verb.contains(" "), !verb.hasPrefix("\"") { return verb }
        var parts = [Quoting.needsQuotes(verb) ? Quoting.quoteArgument(verb) : verb]
        for word in words.dropFirst() {
            if let (name, value) = optionParts(word) {
                parts.append(name + "=" + Quoting.quote(value))
            } else {
                parts.append(Quoting.quoteArgument(word))
            }
        }
        return parts.joined(separator: " ")
    }

    /// `name=value` when the word starts with a lower-case option name (`[a-z][a-z0-9_]*`) and `=`.
    static func optionParts(_ word: String) -> (String, String)? {
        guard let equals = word.firstIndex(of: "=") else { return nil }
        let name = word[..<equals]
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        return (String(name), String(word[word.index(after: equals)...]))
    }
}

/// Connection settings and output switches shared by every mode.
struct Settings {
    var address: Address
    var token: String?
    var json: Bool
    var raw: Bool
    var tls = false
    /// Sent as `LANG` after connecting; nil leaves the daemon's default.
    var language: Language?
    /// The language of the client's own words (`(geen resultaten)`): the chosen one, else Dutch.
    var clientLanguage: Language { language ?? .nl }

    init(_ command: Verbinder) throws(ClientFailure) {
        let environment = ProcessInfo.processInfo.environment
        if let connect = command.connect {
            address = try Address.parse(connect)
        } else if command.host != nil || command.port != nil {
            address = .tcp(host: command.host ?? Address.defaultHost, port: command.port ?? Address.defaultPort)
        } else if let value = environment["VERBINDER_ADDR"], !value.isEmpty {
            address = try Address.parse(value)
        } else {
            address = .tcp(host: Address.defaultHost, port: Address.defaultPort)
        }
        if let token = command.token {
            self.token = token
        } else if let token = environment["VERBINDER_TOKEN"], !token.isEmpty {
            self.token = token
        } else {
            self.token = try Settings.tokenFromFile(home: environment["HOME"])
        }
        json = command.json
        raw = command.raw
        tls = command.tls
        if let lang = command.lang {
            guard let language = Language(rawValue: lang.lowercased()) else { throw ClientFailure("--lang is nl or en") }
            self.language = language
        } else {
            language = environment["LANG"].flatMap(Language.init(locale:))
        }
    }

    /// `~/.config/verbinder/token`, refused when group or others may read it.
    static func tokenFromFile(home: String?) throws(ClientFailure) -> String? {
        guard let home, !home.isEmpty else { return nil }
        let path = home + "/.config/verbinder/token"
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw ClientFailure("refusing the token file \(path): its mode is \(String(mode, radix: 8)), so group or others can read it; run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ClientFailure("cannot read the token file \(path)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Connects, reads the greeting, authenticates and sets the format.
    func open(json: Bool? = nil) throws(ClientFailure) -> Connection {
        let connection = try Connection(address: address, tls: tls)
        guard let greeting = try connection.readLine() else {
            throw ClientFailure("verbinderd at \(address) closed the connection without a greeting")
        }
        if isErrorLine(greeting) {
            throw ClientFailure("verbinderd at \(address) refused the connection: \(greeting.text)")
        }
        guard isStatusLine(greeting) else {
            throw ClientFailure("\(address) does not look like verbinderd (greeting: \(greeting.text))")
        }
        if let token {
            let (_, status) = try connection.request("AUTH " + Quoting.quoteArgument(token))
            // Daemons without authentication answer ERR UNKNOWN: then there is nothing to do.
            if isErrorLine(status), !status.text.hasPrefix("ERR UNKNOWN") {
                throw ClientFailure("authentication failed: \(status.text)")
            }
        }
        if let language {
            let (_, status) = try connection.request("LANG " + language.rawValue)
            // A daemon from before LANG answers ERR UNKNOWN: its texts are English anyway.
            if isErrorLine(status), !status.text.hasPrefix("ERR UNKNOWN") { throw ClientFailure("LANG failed: \(status.text)") }
        }
        if json ?? self.json {
            let (_, status) = try connection.request("FORMAT json")
            if isErrorLine(status) { throw ClientFailure("FORMAT json failed: \(status.text)") }
        }
        return connection
    }
}

/// One request: prints the data lines (with --raw the status line; by default what
/// ``StatusSummary/oneShotLines(dataLines:status:terminal:language:)`` says of it), exits 0 on
/// OK, 1 on ERR.
struct OneShot {
    let settings: Settings

    func run(line: String) throws(ClientFailure) -> Int32 {
        let connection = try settings.open()
        connection.queue(line)
        var dataLines = 0
        let status = try connection.readResponse { dataLines += 1; Output.standard.line($0) }
        if settings.raw {
            Output.standard.line(status)
            return isErrorLine(status) ? ExitStatus.failed : ExitStatus.ok
        }
        if isErrorLine(status) {
            printError(status.text)
            return ExitStatus.failed
        }
        // --json output stays one JSON object per line: nothing for people is added to it.
        if !settings.json {
            for text in StatusSummary.oneShotLines(dataLines: dataLines, status: status,
                                                   terminal: Output.standard.isTerminal, language: settings.clientLanguage) {
                Output.standard.line(text)
            }
        }
        return ExitStatus.ok
    }
}
