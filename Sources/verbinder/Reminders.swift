import ArgumentParser
import Foundation
import VerbinderProtocol
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient
import VerbinderText

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

/// The worker loop of `verbinder reminders send`: claim, renew the lease, hand the mail to the
/// command, acknowledge or release, until nothing is due.
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

    /// The language of the mails: the client's (`--lang`, `LANG`), Dutch by default, whatever
    /// the daemon's default is. The daemon writes the subject and text in it too.
    var language: Language { settings.language ?? .nl }

    func run() throws(ClientFailure) -> Int32 {
        signal(SIGPIPE, SIG_IGN) // a --via command that exits without reading its input
        var settings = settings
        settings.language = language
        do throws(ClientFailure) {
            connection = try settings.open(json: false)
        } catch {
            // Logged here with its time like every other line of a run; main prints nothing more.
            logLine(error.message)
            throw ClientFailure("", exitCode: error.exitCode)
        }
        do throws(ClientFailure) {
            let claimFailed = try loop()
            try releaseHeldBack()
            summary()
            if claimFailed { return ExitStatus.failed }
            return failed == 0 ? ExitStatus.ok : ExitStatus.failed
        } catch {
            logLine(error.message)
            summary()
            throw ClientFailure("", exitCode: error.exitCode)
        }
    }

    /// A line of the run's log on standard error, after its local time with offset
    /// (`2026-12-04T21:15:03+01:00 sent 3, failed 0`): cron mails and journald show when.
    private func logLine(_ message: String) {
        printError(ReminderMail.logTimestamp() + " " + message)
    }

    private func summary() {
        var line = "sent \(sent), failed \(failed)"
        if options.dryRun { line += " (dry run: \(shown) shown and released)" }
        logLine(line)
    }

    /// Claims and handles until nothing is due or the limit is reached; true when a CLAIM was refused.
    private func loop() throws(ClientFailure) -> Bool {
        let worker = options.worker ?? ReminderSender.defaultWorker
        var handled = 0
        while options.limit.map({ handled < $0 }) ?? true {
            let count = min(ReminderSender.batch, (options.limit ?? Int.max) - handled)
            let (data, status) = try connection.request("REMINDERS CLAIM \(Quoting.quoteArgument(worker)) limit=\(count) lease=\(options.lease)")
            if isErrorLine(status) {
                logLine("REMINDERS CLAIM: \(status.text)")
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
                    logLine("reminder \(reminder.id): its lease ended before it was sent; it goes to another run")
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
            Output.standard.write(ReminderMail.mboxEntry(ReminderMail.message(reminder, from: from, language: language)) + "\n")
            Output.standard.flush()
            shown += 1
            releases.append((reminder.id, "dry run", "0m"))
            return
        }
        guard !reminder.to.isEmpty else {
            failed += 1
            logLine("reminder \(reminder.id) (attempt \(reminder.attempt)): no recipients")
            releases.append((reminder.id, "no recipients", options.retry))
            return
        }
        let message = ReminderMail.message(reminder, from: from, language: language)
        let timeout = Double((ReminderSender.minutes(options.timeout) ?? 10) * 60)
        // The mail goes to the MTA only while this worker surely holds the lease for the whole
        // send: renewed first, for the send timeout and a minute more. A lease that is gone
        // (another worker may have it) means: do not send.
        guard try renewForSending(reminder.id, seconds: timeout) else {
            failed += 1
            logLine("reminder \(reminder.id): its lease ended before it was sent; not sent, it goes to another run")
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
                logLine("reminder \(reminder.id) was sent, but its lease had been lost: it may be sent once more")
                return
            }
            let (_, status) = try connection.request("REMINDERS ACK \(reminder.id) \(Quoting.quoteArgument(entry.token))")
            held[reminder.id] = nil
            if isErrorLine(status) {
                failed += 1
                logLine("reminder \(reminder.id) was sent, but ACK failed (\(status.text)): it may be sent once more")
            } else {
                sent += 1
            }
        } else {
            failed += 1
            let error = result.errorText
            logLine("reminder \(reminder.id) (attempt \(reminder.attempt)) to \(reminder.to.joined(separator: ",")): \(error)")
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
                logLine("REMINDERS RELEASE \(release.id): \(status.text)")
            } else if status.text.contains("state=dead") {
                logLine("reminder \(release.id) is dead after its last attempt (REMINDERS RETRY \(release.id) queues it again)")
            }
        }
        releases = []
    }
}
