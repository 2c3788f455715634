import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient
import VerbinderText

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
    /// The trajectory's name (`trajectory_name=`); its key when the daemon sends none.
    let trajectoryName: String

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
        trajectoryName = fields["trajectory_name"].flatMap { $0.isEmpty ? nil : $0 } ?? trajectory
    }
}

/// The e-mail for a reminder: RFC 5322 headers, a text/plain UTF-8 body, LF line ends
/// (the local convention that `sendmail -t -i` expects on its standard input).
enum ReminderMail {
    /// The message; its own words (the reference line under the daemon's text) in `language`,
    /// which is also the language the client asked the daemon's subject and text in.
    static func message(_ reminder: ClaimedReminder, from: String, date: Date = Date(), language: Language = .nl) -> String {
        var headers: [(String, String)] = [
            ("From", from),
            ("To", reminder.to.joined(separator: ", ")),
            ("Subject", encodedWord(oneLine(reminder.subject))),
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
        body += reference(reminder, language: language) + "\n"
        return text + body
    }

    /// The line under the text, for reference: the trajectory by its name with its key, the
    /// milestone's id, the date and when the reminder comes, all in words of `language`.
    static func reference(_ reminder: ClaimedReminder, language: Language) -> String {
        let trajectory = reminder.trajectoryName == reminder.trajectory
            ? reminder.trajectory : "\(reminder.trajectoryName) (\(reminder.trajectory))"
        let when = ahead(reminder.rule, language: language)
        switch language {
        case .nl: return "Traject: \(trajectory) | mijlpaal: \(reminder.milestone) | datum: \(reminder.due) | herinnering: \(when)"
        case .en: return "Trajectory: \(trajectory) | milestone: \(reminder.milestone) | date: \(reminder.due) | reminder: \(when)"
        }
    }

    /// A rule in words: `14d` is "14 dagen vooraf" / "14 days before", `overdue` "verlopen" / "overdue".
    static func ahead(_ rule: String, language: Language) -> String {
        if rule == "overdue" { return language == .nl ? "verlopen" : "overdue" }
        guard rule.hasSuffix("d"), let days = Int(rule.dropLast()) else { return rule }
        switch (days, language) {
        case (0, .nl): return "op de dag zelf"
        case (0, .en): return "on the day itself"
        case (1, .nl): return "1 dag vooraf"
        case (1, .en): return "1 day before"
        case (_, .nl): return "\(days) dagen vooraf"
        case (_, .en): return "\(days) days before"
        }
    }

    /// A log line's time: ISO 8601 on the local clock with its offset (`2026-12-04T21:15:03+01:00`),
    /// as cron mail and journald readers expect; `TZ` is respected (localtime_r).
    static func logTimestamp(_ seconds: time_t = time(nil)) -> String {
        var clock = seconds
        var parts = tm()
        tzset()
        localtime_r(&clock, &parts)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let offset = Int(parts.tm_gmtoff)
        let magnitude = abs(offset)
        let year = String(Int(parts.tm_year) + 1900)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(Int(parts.tm_mon) + 1) + "-" + two(Int(parts.tm_mday))
            + "T" + two(Int(parts.tm_hour)) + ":" + two(Int(parts.tm_min)) + ":" + two(Int(parts.tm_sec))
            + (offset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude / 60 % 60)
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
