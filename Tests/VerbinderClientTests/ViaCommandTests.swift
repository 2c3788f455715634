import Foundation
import Testing
@testable import verbinder

/// The subprocess a reminder's mail is handed to (`--via 'sendmail -t -i'`).
@Suite("The sending command")
struct ViaCommandTests {
    func run(_ command: String, input: String = "", timeout: Double = 10, environment: [String: String] = [:]) throws -> ViaResult {
        try ViaCommand.run(command, input: Array(input.utf8), environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 },
                           timeoutSeconds: timeout, tick: {})
    }

    @Test func theMailArrivesOnStandardInputAndTheEnvironmentIsPassed() throws {
        let directory = NSTemporaryDirectory() + "via-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run("cat > \(directory)/mail; echo $VERBINDER_REMINDER_ID > \(directory)/id", input: "Subject: x\n\nbody\n",
                             environment: ["VERBINDER_REMINDER_ID": "22"])
        #expect(result.status == 0 && !result.timedOut)
        #expect(try String(contentsOfFile: directory + "/mail", encoding: .utf8) == "Subject: x\n\nbody\n")
        #expect(try String(contentsOfFile: directory + "/id", encoding: .utf8) == "22\n")
    }

    @Test func aFailureIsDescribedByItsStatusAndFirstErrorLine() throws {
        let result = try run("echo; echo 'relay refused: 550' >&2; echo second >&2; exit 75")
        #expect(result.status == 75)
        #expect(result.errorText == "exit 75: relay refused: 550")
    }

    @Test func aCommandThatHangsIsStoppedAtItsTimeoutWithItsChildren() throws {
        let started = Date()
        let result = try run("sleep 30 | cat", timeout: 0.5)
        #expect(result.timedOut)
        #expect(result.errorText.hasPrefix("timed out"))
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
