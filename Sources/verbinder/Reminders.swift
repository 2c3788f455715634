import ArgumentParser
import Foundation
import VerbinderProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The options of `verbinder reminders send`, parsed from the words after `reminders`.
struct ReminderSendOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbinder reminders send",
        abstract: "Claim due milestone reminders, pipe each as an e-mail to a command, acknowledge or release it.",
        discussion: """
        Each reminder becomes an RFC 5322 message on the command's standard input (run with /bin/sh -c), ready for `/usr/sbin/sendmail -t -i`. Exit status 0 acknowledges it; anything else releases it for a later run, with the first line of the command's standard error. A reminder is tried at most once per run.

        Exit status: 0 all were sent, 1 some failed, 2 the daemon was unreachable. Connection options (--host, --port, --connect, --token) go before `reminders`. See man verbinder.

        """
    )

    @Option(help: ArgumentHelp("The command that sends one message (run with /bin/sh -c, the message on stdin).", valueName: "command"))
    var via: String?

    @Option(help: ArgumentHelp("Handle at most N reminders in this run (default: all that are due).", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("How long a claimed reminder stays ours (1m to 24h); renewed while sending.", valueName: "duration"))
    var lease: String = "5m"

    @Option(help: ArgumentHelp("When a failed reminder may be tried again (0m to 7d; default: the daemon's, 10m).", valueName: "duration"))
    var retry: String?

    @Option(help: ArgumentHelp("How long one run of the command may take before it is killed (1m to 24h).", valueName: "duration"))
    var timeout: String = "10m"

    @Option(help: ArgumentHelp("The worker name the daemon records (default: host:pid).", valueName: "name"))
    var worker: String?

    @Flag(help: "Print the messages (mbox format) instead of sending them, and release the reminders.")
    var dryRun = false

    func validate() throws {
        if via == nil && !dryRun { throw ValidationError("--via COMMAND is required (or --dry-run)") }
        if let via, via.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--via needs a command") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard let lease = ReminderSender.minutes(lease), (1...1440).contains(lease) else {
            throw ValidationError("--lease is a duration from 1m to 24h, like 5m or 1h")
        }
        if let retry { guard let minutes = ReminderSender.minutes(retry), (0...10080).contains(minutes) else {
            throw ValidationError("--retry is a duration from 0m to 7d, like 0m, 10m or 2h")
        } }
        guard let timeout = ReminderSender.minutes(timeout), (1...1440).contains(timeout) else {
            throw ValidationError("--timeout is a duration from 1m to 24h, like 10m")
        }
        if let worker, worker.isEmpty || worker.contains(where: { $0.isNewline }) { throw ValidationError("--worker needs a one-line name") }
    }

    /// Parses the words after `reminders`: `send` and its options. Usage errors and --help
    /// are printed here; the exit code comes back as a failure.
    static func parseWords(_ words: [String]) throws(ClientFailure) -> ReminderSendOptions {
        guard words.first == "send" else {
            if let first = words.first, ["-h", "--help", "help"].contains(first) {
                Output.standard.line(helpMessage())
                Output.standard.flush()
                throw ClientFailure("", exitCode: ExitStatus.ok)
            }
            throw ClientFailure("usage: verbinder reminders send --via COMMAND [--limit N] [--lease 5m] [--retry 10m] [--worker NAME] [--dry-run]",
                                exitCode: ExitCode.validationFailure.rawValue)
        }
        do {
            return try parse(Array(words.dropFirst()))
        } catch {
            let code = exitCode(for: error).rawValue
            let message = code == 0 ? fullMessage(for: error) : message(for: error)
            if code == 0 {
                Output.standard.line(message)
                Output.standard.flush()
            }
            throw ClientFailure(code == 0 ? "" : message, exitCode: code)
        }
    }
}

/// One claimed reminder, from its `reminder` record.
struct ClaimedReminder {
    let id: String
    let token: String
    let attempt: String
    let late: String
    let milestone: String
    let trajectory: String
    let due: String
    let rule: String
    let to: [String]
    let subject: String
    let text: String
    let idempotencyKey: String

    init?(_ fields: [String: String]) {
        guard let id = fields["id"], let token = fields["token"], !token.isEmpty else { return nil }
        self.id = id
        self.token = token
        attempt = fields["attempt"] ?? "1"
        late = fields["late"] ?? "no"
        milestone = fields["milestone"] ?? ""
        trajectory = fields["trajectory"] ?? ""
        due = fields["due"] ?? ""
        rule = fields["rule"] ?? ""
        to = (fields["to"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        subject = fields["subject"] ?? "Verbinder reminder"
        text = fields["text"] ?? ""
        idempotencyKey = fields["idempotency_key"] ?? "reminder-\(id)@verbinder.invalid"
    }
}

/// The e-mail for a reminder: RFC 5322 headers, a text/plain UTF-8 body, LF line ends
/// (the local convention that `sendmail -t -i` expects on its standard input).
enum ReminderMail {
    static func message(_ reminder: ClaimedReminder, from: String, date: Date = Date()) -> String {
        var headers: [(String, String)] = [
            ("From", from),
            ("To", reminder.to.joined(separator: ", ")),
            ("Subject", encodedWord(reminder.subject)),
            ("Date", rfc5322Date(date)),
            ("Message-ID", "<\(reminder.idempotencyKey)>"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
            ("Auto-Submitted", "auto-generated"),
            ("X-Verbinder-Reminder", "id=\(reminder.id); attempt=\(reminder.attempt); rule=\(reminder.rule); late=\(reminder.late)"),
        ]
        headers = headers.map { ($0.0, oneLine($0.1)) }
        var text = ""
        for (name, value) in headers { text += fold(name + ": " + value) + "\n" }
        text += "\n"
        var body = reminder.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if !body.isEmpty, !body.hasSuffix("\n") { body += "\n" }
        body += "\n"
        body += "Traject: \(reminder.trajectory) | mijlpaal: \(reminder.milestone) | datum: \(reminder.due) | herinnering: \(reminder.rule)\n"
        return text + body
    }

    /// A header value on one line: control characters (CR and LF included) become blanks,
    /// so nothing in the data can add a header.
    static func oneLine(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// RFC 2047: the value as is when it is printable ASCII, else `=?UTF-8?B?...?=` words of at
    /// most 75 characters, split between characters, separated by folding white space.
    static func encodedWord(_ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) { return value }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 75 - "=?UTF-8?B?".count - "?=".count = 63 base64 characters, so 45 bytes per word; the first
        // shares its line with the header name ("Subject: "), so it gets 36 bytes (60 characters).
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > (words.isEmpty ? 36 : 45), !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: " ")
    }

    /// Folds a header line longer than 78 characters at blanks (RFC 5322 section 2.2.3).
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 78 else { return line }
        var lines: [String] = []
        var current = ""
        for (index, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index == 0 { current = String(word); continue }
            // Never right after the header name: the first word of the value stays on its line.
            if index > 1, current.utf8.count + 1 + word.utf8.count > 78, !current.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }

    /// `Thu, 13 Feb 2025 10:00:00 +0100`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// The `From ` line that starts a message in an mbox file (for --dry-run).
    static func mboxSeparator(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return "From verbinder@localhost " + formatter.string(from: date)
    }

    /// The message as an mbox entry: body lines that start with `From ` (after any `>`) get one more `>`.
    static func mboxEntry(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let escaped = lines.map { line -> String in
            line.drop { $0 == ">" }.hasPrefix("From ") ? ">" + line : line
        }
        return mboxSeparator() + "\n" + escaped.joined(separator: "\n") + "\n"
    }
}

/// What a run of the `--via` command came to.
struct ViaResult {
    var status: Int32
    var stderr: [UInt8]
    var timedOut = false

    /// `exit N: first line of stderr` (or the signal, or the timeout).
    var errorText: String {
        var text: String
        if timedOut {
            text = "timed out"
        } else if status >= 128 {
            text = "killed by signal \(status - 128)"
        } else {
            text = "exit \(status)"
        }
        let first = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
            .first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if let first { text += ": " + first.trimmingCharacters(in: .whitespaces) }
        return String(ReminderMail.oneLine(text).prefix(300))
    }
}

/// Runs `/bin/sh -c COMMAND` with bytes on its standard input; collects its standard error
/// (its standard output is ours); calls `tick` about twice a second while it runs.
enum ViaCommand {
    static func run(_ command: String, input: [UInt8], environment: [String: String], timeoutSeconds: Double,
                    tick: () throws(ClientFailure) -> Void) throws(ClientFailure) -> ViaResult {
        var inPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0 else { throw ClientFailure("pipe(): \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            throw ClientFailure("pipe(): \(String(cString: strerror(errno)))")
        }
        // The child gets them as 0 and 2 (dup2 clears close-on-exec); no other copy may leak into it.
        for fd in inPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Its own process group, so a timeout ends the whole pipeline; SIGPIPE back to its default.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(inPipe[0])
        close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(errPipe[0])
            return ViaResult(status: 127, stderr: Array("cannot start /bin/sh: \(String(cString: strerror(spawned)))".utf8))
        }
        var writeFd: Int32 = inPipe[1], readFd: Int32 = errPipe[0]
        _ = fcntl(writeFd, F_SETFL, fcntl(writeFd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(readFd, F_SETFL, fcntl(readFd, F_GETFL) | O_NONBLOCK)
        defer {
            if writeFd >= 0 { close(writeFd) }
            if readFd >= 0 { close(readFd) }
        }
        var offset = 0
        var stderr: [UInt8] = []
        var exitStatus: Int32?
        let deadline = monotonicSeconds() + timeoutSeconds
        var killedAt: Double?
        var lastTick = monotonicSeconds()
        var chunk = [UInt8](repeating: 0, count: 4096)

        func drainStderr() {
            while readFd >= 0 {
                let count = chunk.withUnsafeMutableBytes { read(readFd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if stderr.count < 65536 { stderr += chunk[..<count] }
                    continue
                }
                if count < 0, errno == EINTR { continue }
                if count < 0, errno == EAGAIN { return }
                close(readFd)
                readFd = -1
            }
        }

        while true {
            if exitStatus == nil {
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid {
                    exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                }
            }
            if let exitStatus {
                // Whatever is left on stderr now; a grandchild that keeps it open is not waited for.
                drainStderr()
                return ViaResult(status: exitStatus, stderr: stderr, timedOut: killedAt != nil)
            }
            let now = monotonicSeconds()
            if now >= deadline {
                if killedAt == nil {
                    kill(-pid, SIGTERM)
                    killedAt = now
                } else if let killedAt, now - killedAt > 5 {
                    kill(-pid, SIGKILL)
                }
            }
            if now - lastTick >= 0.5 {
                try tick()
                lastTick = now
            }
            var fds: [pollfd] = []
            if writeFd >= 0 { fds.append(pollfd(fd: writeFd, events: Int16(POLLOUT), revents: 0)) }
            if readFd >= 0 { fds.append(pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)) }
            // Without pipes to watch, wait for the exit in short steps.
            if fds.isEmpty {
                usleep(20_000)
                continue
            }
            _ = poll(&fds, nfds_t(fds.count), 50)
            if writeFd >= 0 {
                while offset < input.count {
                    let count = input[offset...].withUnsafeBytes { systemWrite(writeFd, $0.baseAddress, $0.count) }
                    if count > 0 { offset += count; continue }
                    if count < 0, errno == EINTR { continue }
                    if count < 0, errno == EAGAIN { break }
                    offset = input.count // EPIPE: the command does not read (all of) its input
                }
                if offset >= input.count {
                    close(writeFd)
                    writeFd = -1
                }
            }
            drainStderr()
        }
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `verbinder reminders send`: claim, deliver through `--via`, ACK or RELEASE, renew leases.
final class ReminderSender {
    let settings: Settings
    let options: ReminderSendOptions
    private var connection: Connection!
    private let leaseSeconds: Double
    /// Claimed and not yet acknowledged or released: id → token and when the lease ends.
    private var held: [String: (token: String, ends: Double)] = [:]
    /// Reminders whose lease was lost (TOUCH answered ERR CONFLICT): not ours any more.
    private var lost: Set<String> = []
    /// Releases held back to the end of the run, so that no reminder is tried twice in one run.
    private var releases: [(id: String, error: String, retry: String?)] = []
    private var sent = 0
    private var failed = 0
    private var shown = 0
    /// Batch size of one CLAIM.
    static let batch = 10

    init(settings: Settings, options: ReminderSendOptions) {
        self.settings = settings
        self.options = options
        leaseSeconds = Double((ReminderSender.minutes(options.lease) ?? 5) * 60)
    }

    /// Minutes in a duration `Nm`, `Nh`, `Nd` or `Nw` (the daemon's duration form); nil if malformed.
    static func minutes(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0, number < 1_000_000 else { return nil }
        switch unit {
        case "m": return number
        case "h": return number * 60
        case "d": return number * 1440
        case "w": return number * 10080
        default: return nil
        }
    }

    static var defaultWorker: String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host.isEmpty ? "verbinder" : host):\(getpid())"
    }

    func run() throws(ClientFailure) -> Int32 {
        signal(SIGPIPE, SIG_IGN) // a --via command that exits without reading its input
        connection = try settings.open(json: false)
        do throws(ClientFailure) {
            let claimFailed = try loop()
            try releaseHeldBack()
            summary()
            if claimFailed { return ExitStatus.failed }
            return failed == 0 ? ExitStatus.ok : ExitStatus.failed
        } catch {
            summary()
            throw error
        }
    }

    private func summary() {
        var line = "sent \(sent), failed \(failed)"
        if options.dryRun { line += " (dry run: \(shown) shown and released)" }
        printError(line)
    }

    /// Claims and handles until nothing is due or the limit is reached; true when a CLAIM was refused.
    private func loop() throws(ClientFailure) -> Bool {
        let worker = options.worker ?? ReminderSender.defaultWorker
        var handled = 0
        while options.limit.map({ handled < $0 }) ?? true {
            let count = min(ReminderSender.batch, (options.limit ?? Int.max) - handled)
            let (data, status) = try connection.request("REMINDERS CLAIM \(Quoting.quoteArgument(worker)) limit=\(count) lease=\(options.lease)")
            if isErrorLine(status) {
                printError("REMINDERS CLAIM: \(status.text)")
                return true
            }
            let claimedAt = monotonicSeconds()
            let batch = data.compactMap { line in Shell.record(line).flatMap { $0.type == "reminder" ? ClaimedReminder(Dictionary($0.fields, uniquingKeysWith: { a, _ in a })) : nil } }
            if batch.isEmpty { return false }
            for reminder in batch {
                held[reminder.id] = (reminder.token, claimedAt + leaseSeconds)
                lost.remove(reminder.id)  // claimed again, under a new lease
            }
            for reminder in batch {
                handled += 1
                try keepLeases()
                if lost.contains(reminder.id) {
                    failed += 1
                    complain("reminder \(reminder.id): its lease ended before it was sent; it goes to another run")
                    continue
                }
                try handle(reminder)
            }
        }
        return false
    }

    private func handle(_ reminder: ClaimedReminder) throws(ClientFailure) {
        let from = ProcessInfo.processInfo.environment["VERBINDER_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "Verbinder <verbinder@localhost>"
        if options.dryRun {
            Output.standard.write(ReminderMail.mboxEntry(ReminderMail.message(reminder, from: from)) + "\n")
            Output.standard.flush()
            shown += 1
            releases.append((reminder.id, "dry run", "0m"))
            return
        }
        guard !reminder.to.isEmpty else {
            failed += 1
            complain("reminder \(reminder.id) (attempt \(reminder.attempt)): no recipients")
            releases.append((reminder.id, "no recipients", options.retry))
            return
        }
        let message = ReminderMail.message(reminder, from: from)
        let timeout = Double((ReminderSender.minutes(options.timeout) ?? 10) * 60)
        // The mail goes to the MTA only while this worker surely holds the lease for the whole
        // send: renewed first, for the send timeout and a minute more. A lease that is gone
        // (another worker may have it) means: do not send.
        guard try renewForSending(reminder.id, seconds: timeout) else {
            failed += 1
            complain("reminder \(reminder.id): its lease ended before it was sent; not sent, it goes to another run")
            return
        }
        var environment = ProcessInfo.processInfo.environment
        environment["VERBINDER_TOKEN"] = nil // the command gets the message, not the daemon's key
        environment["VERBINDER_REMINDER_ID"] = reminder.id
        environment["VERBINDER_IDEMPOTENCY_KEY"] = reminder.idempotencyKey
        environment["VERBINDER_TO"] = reminder.to.joined(separator: ",")
        environment["VERBINDER_ATTEMPT"] = reminder.attempt
        Output.standard.flush()
        let result = try ViaCommand.run(options.via ?? "false", input: Array(message.utf8), environment: environment,
                                        timeoutSeconds: timeout) { () throws(ClientFailure) in try keepLeases() }
        if result.status == 0 && !result.timedOut {
            guard let entry = held[reminder.id] else {
                failed += 1
                complain("reminder \(reminder.id) was sent, but its lease had been lost: it may be sent once more")
                return
            }
            let (_, status) = try connection.request("REMINDERS ACK \(reminder.id) \(Quoting.quoteArgument(entry.token))")
            held[reminder.id] = nil
            if isErrorLine(status) {
                failed += 1
                complain("reminder \(reminder.id) was sent, but ACK failed (\(status.text)): it may be sent once more")
            } else {
                sent += 1
            }
        } else {
            failed += 1
            let error = result.errorText
            complain("reminder \(reminder.id) (attempt \(reminder.attempt)) to \(reminder.to.joined(separator: ",")): \(error)")
            releases.append((reminder.id, error, options.retry))
        }
    }

    /// Renews one lease for a send of at most `seconds`, plus a minute (TOUCH); false when the
    /// lease is gone, or when this process was held up so long after renewing that the send
    /// could outlast it.
    private func renewForSending(_ id: String, seconds: Double) throws(ClientFailure) -> Bool {
        guard let entry = held[id] else { return false }
        let minutes = min(24 * 60, max(Int(leaseSeconds / 60), Int((seconds / 60).rounded(.up)) + 1))
        let renewedAt = monotonicSeconds()
        let (_, status) = try connection.request("REMINDERS TOUCH \(id) \(Quoting.quoteArgument(entry.token)) lease=\(minutes)m")
        if isErrorLine(status) {
            held[id] = nil
            lost.insert(id)
            return false
        }
        held[id]!.ends = renewedAt + Double(minutes * 60)
        return monotonicSeconds() + seconds < held[id]!.ends
    }

    /// Renews every held lease when one of them is in its last third.
    private func keepLeases() throws(ClientFailure) {
        let now = monotonicSeconds()
        guard held.values.contains(where: { $0.ends - now < leaseSeconds / 3 }) else { return }
        let ids = held.keys.sorted()
        for id in ids { connection.queue("REMINDERS TOUCH \(id) \(Quoting.quoteArgument(held[id]!.token)) lease=\(options.lease)") }
        for id in ids {
            let status = try connection.readResponse { _ in }
            if isErrorLine(status) {
                held[id] = nil
                lost.insert(id)
            } else {
                held[id]!.ends = now + leaseSeconds
            }
        }
    }

    /// Sends the releases held back during the run (pipelined).
    private func releaseHeldBack() throws(ClientFailure) {
        let pending = releases.filter { held[$0.id] != nil }
        for release in pending {
            var line = "REMINDERS RELEASE \(release.id) \(Quoting.quoteArgument(held[release.id]!.token))"
            if options.dryRun {
                // A look is not an attempt: undo=yes gives the reminder back exactly as it was.
                line += " undo=yes"
            } else {
                if let retry = release.retry { line += " retry=\(retry)" }
                line += " error=" + Quoting.quote(release.error)
            }
            connection.queue(line)
        }
        for release in pending {
            let status = try connection.readResponse { _ in }
            held[release.id] = nil
            if isErrorLine(status) {
                complain("REMINDERS RELEASE \(release.id): \(status.text)")
            } else if status.text.contains("state=dead") {
                complain("reminder \(release.id) is dead after its last attempt (REMINDERS RETRY \(release.id) queues it again)")
            }
        }
        releases = []
    }
}
