import Foundation
import Testing
@testable import VerbinderServer

/// `HELP` and docs/protocol.md say the same: every usage line the server declares stands in the
/// document, in a code block, word for word.
@Suite("HELP and the protocol document")
struct HelpDocumentTests {
    static let document: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: repository.appendingPathComponent("docs/protocol.md"), encoding: .utf8)) ?? ""
    }()

    /// The lines of the document's fenced code blocks.
    static let codeLines: Set<String> = {
        var lines: Set<String> = []
        var inBlock = false
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            if inBlock { lines.insert(String(line)) }
        }
        return lines
    }()

    /// `HELP` in Dutch (the default) has a Dutch summary for every form; the usage lines and
    /// names are the same in both languages.
    @Test func everyFormHasADutchSummary() {
        for command in CommandCatalog.table().commands {
            let english = command.helpRecords(in: .en), dutch = command.helpRecords(in: .nl)
            for (en, nl) in zip(english, dutch) {
                #expect(en.name == nl.name)
                #expect(en.record.fields.map(\.name) == nl.record.fields.map(\.name))
                #expect(en.record.fields[1].value == nl.record.fields[1].value, "the usage line of \(en.name)")
                #expect(en.record.fields[2].value != nl.record.fields[2].value, "\(en.name) has no Dutch summary")
            }
        }
    }

    @Test func everyUsageLineIsInTheDocument() {
        #expect(!HelpDocumentTests.document.isEmpty)
        let entries = CommandCatalog.table().commands.flatMap { $0.helpRecords() }
        #expect(entries.count > 40)
        for entry in entries {
            guard case .string(let usage)? = entry.record.fields.first(where: { $0.0 == "usage" })?.1 else {
                Issue.record("\(entry.name) has no usage")
                continue
            }
            // A verb with several forms writes them joined by " | " on one line; each form is documented.
            let forms = usage.components(separatedBy: " | ")
            for form in forms {
                #expect(HelpDocumentTests.codeLines.contains { $0 == form || $0.hasPrefix(form + "  ") }, "\(entry.name): \(form)")
            }
        }
    }

    @Test func everyDocumentedCommandSectionIsDeclared() {
        let verbs = Set(CommandCatalog.table().commands.map(\.verb))
        for line in HelpDocumentTests.document.split(separator: "\n") where line.hasPrefix("### ") {
            let words = line.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "," })
            guard let first = words.first, first.allSatisfy({ $0.isUppercase }), first.count > 1 else { continue }
            #expect(verbs.contains(String(first)), "\(line) names no command")
        }
    }
}
