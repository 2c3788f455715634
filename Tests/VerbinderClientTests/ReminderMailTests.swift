import Foundation
import Testing
@testable import verbinder

/// The e-mail a reminder becomes, read back by Python's `email` package (the parser of a
/// receiving system's scripts).
@Suite("Reminder mail")
struct ReminderMailTests {
    static let reminder = ClaimedReminder([
        "id": "22", "token": "t", "attempt": "2", "late": "yes", "milestone": "5", "trajectory": "ka-twente",
        "due": "2026-12-05", "rule": "14d", "to": "jan@enschede.nl,p.devries@overijssel.nl",
        "subject": "Herinnering: Concept probleemanalyse Súdwest-Fryslân (ka-twente) op 2026-12-05 met een lange titel die gevouwen moet worden",
        "text": "De mijlpaal \"Concept\" is op 2026-12-05.\r\nFrom here on: a line that mbox would misread.",
        "idempotency_key": "reminder-22@verbinder.vng.nl",
    ])!

    /// Parses `message` with Python's email package; returns its headers and body as JSON.
    func parsed(_ message: String) throws -> [String: String] {
        let script = """
            import email, email.policy, json, sys
            m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
            out = {k.lower(): str(v) for k, v in m.items()}
            out["body"] = m.get_content()
            out["defects"] = str(len(m.defects))
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(message.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    @Test func aReceivingParserReadsEveryHeaderAndTheBody() throws {
        let date = Date(timeIntervalSince1970: 1_796_000_000)
        let message = ReminderMail.message(Self.reminder, from: "Verbinder <verbinder@vng.nl>", date: date)
        // No line is longer than RFC 5322's 78 characters, and line ends are LF for sendmail -t.
        for line in message.split(separator: "\n") where !line.hasPrefix("Traject:") && !line.hasPrefix("De mijlpaal") && !line.hasPrefix("From here") {
            #expect(line.count <= 78, "\(line)")
        }
        #expect(!message.contains("\r"))
        let headers = try parsed(message)
        #expect(headers["defects"] == "0")
        #expect(headers["subject"] == Self.reminder.subject)
        #expect(headers["to"] == "jan@enschede.nl, p.devries@overijssel.nl")
        #expect(headers["message-id"] == "<reminder-22@verbinder.vng.nl>")
        #expect(headers["date"]?.hasSuffix("+0000") == true)
        #expect(headers["auto-submitted"] == "auto-generated")
        #expect(headers["content-type"] == "text/plain; charset=\"utf-8\"")
        #expect(headers["body"]?.hasPrefix("De mijlpaal \"Concept\" is op 2026-12-05.\nFrom here on") == true)
        #expect(headers["body"]?.contains("Traject: ka-twente | mijlpaal: 5") == true)
    }

    @Test func dataCannotAddAHeader() throws {
        var fields = ["id": "1", "token": "t", "to": "a@b.nl", "text": "x", "trajectory": "t", "milestone": "1", "due": "2026-01-01", "rule": "0d"]
        fields["subject"] = "Gewoon\r\nBcc: stiekem@example.com"
        let reminder = try #require(ClaimedReminder(fields))
        let headers = try parsed(ReminderMail.message(reminder, from: "v@vng.nl"))
        #expect(headers["bcc"] == nil)
        #expect(headers["subject"] == "Gewoon  Bcc: stiekem@example.com")
    }

    /// The line under the text is in the client's language, with the trajectory's name and
    /// its key: no "herinnering: overdue" or "14d" in a Dutch mail.
    @Test func theReferenceLineIsInOneLanguageAndNamesTheTrajectory() throws {
        var fields = ["id": "3", "token": "t", "to": "a@b.nl", "text": "x", "trajectory": "cd-sudwest", "milestone": "7",
                      "due": "2026-12-18", "rule": "14d", "trajectory_name": "Co-design Súdwest-Fryslân"]
        let soon = try #require(ClaimedReminder(fields))
        #expect(ReminderMail.reference(soon, language: .nl)
                == "Traject: Co-design Súdwest-Fryslân (cd-sudwest) | mijlpaal: 7 | datum: 2026-12-18 | herinnering: 14 dagen vooraf")
        #expect(ReminderMail.reference(soon, language: .en)
                == "Trajectory: Co-design Súdwest-Fryslân (cd-sudwest) | milestone: 7 | date: 2026-12-18 | reminder: 14 days before")
        #expect(ReminderMail.message(soon, from: "v@vng.nl").hasSuffix("herinnering: 14 dagen vooraf\n"))
        fields["rule"] = "overdue"
        let late = try #require(ClaimedReminder(fields))
        #expect(ReminderMail.reference(late, language: .nl).hasSuffix("| herinnering: verlopen"))
        #expect(ReminderMail.reference(late, language: .en).hasSuffix("| reminder: overdue"))
        #expect(ReminderMail.ahead("0d", language: .nl) == "op de dag zelf" && ReminderMail.ahead("1d", language: .nl) == "1 dag vooraf")
        // A daemon without trajectory_name: the key alone.
        fields["trajectory_name"] = nil
        let old = try #require(ClaimedReminder(fields))
        #expect(ReminderMail.reference(old, language: .nl).hasPrefix("Traject: cd-sudwest | mijlpaal: 7"))
    }

    @Test func aLogTimestampIsISO8601WithTheOffset() {
        let stamp = ReminderMail.logTimestamp(1_796_000_000)
        #expect(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"#, options: .regularExpression) != nil, "\(stamp)")
        #expect(ISO8601DateFormatter().date(from: stamp) == Date(timeIntervalSince1970: 1_796_000_000), "\(stamp)")
    }

    @Test func mboxEscapesFromLinesInTheBody() {
        let entry = ReminderMail.mboxEntry("Subject: x\n\nFrom me\n>From you\nplain\n")
        let lines = entry.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("From verbinder@localhost "))
        #expect(Array(lines.suffix(3)) == [">From me", ">>From you", "plain"])
    }
}
