import Testing
@testable import VerbinderText

/// Texts for people are kept as templates with their values, so one message can be written in
/// Dutch or English; the catalog of Dutch texts fits the templates it translates.
@Suite("Messages and their languages")
struct MessageTests {
    @Test func anInterpolationRecordsItsTemplateAndValues() {
        let key = "GM1731", count = 3
        let message: Message = "node \(key) has \(count) links"
        #expect(message.template == "node {} has {} links")
        #expect(message.arguments == [.text("GM1731"), .text("3")])
        #expect(message.english == "node GM1731 has 3 links")
        #expect(Message(verbatim: "duplicate key value {} violates").english == "duplicate key value {} violates")
    }

    @Test func valuesCanBeReorderedAndMessagesNested() {
        #expect(Message.fill("{2} na {1}", with: ["a", "b"]) == "b na a")
        #expect(Message.fill("{} en {}", with: ["a", "b"]) == "a en b")
        // A pattern asking for more values than there are keeps its braces.
        #expect(Message.fill("{} {} {3}", with: ["a"]) == "a {} {3}")
        let inner: Message = "no node with key or name \("x")"
        let outer: Message = "batch aborted: \(inner)"
        #expect(outer.arguments == [.message(inner)])
        #expect(outer.english == "batch aborted: no node with key or name x")
        let joined = Message.joined(["few connections (\(2))", "national level"], separator: "; ")
        #expect(joined.english == "few connections (2); national level")
    }

    @Test func dutchIsTheTranslationWhereThereIsOneAndEnglishOtherwise() {
        let known: Message = "usage: \("PING")"
        #expect(known.text(.en) == "usage: PING")
        #expect(known.text(.nl) == Message.fill(DutchTexts.messages["usage: {}"] ?? "usage: {}", with: ["PING"]))
        #expect(known.text(.nl) != known.text(.en), "usage lines are translated")
        let unknown = Message(verbatim: "an unforeseen database text")
        #expect(unknown.text(.nl) == "an unforeseen database text")
    }

    @Test func everyDutchTextHasThePlaceholdersOfItsTemplate() {
        func holes(_ text: String) -> [String] {
            var found: [String] = []
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                found.append(String(rest[rest.index(after: open)..<close]))
                rest = rest[rest.index(after: close)...]
            }
            return found
        }
        #expect(DutchTexts.messages.count > 100)
        for (english, dutch) in DutchTexts.messages {
            let wanted = holes(english).count
            let got = holes(dutch)
            if got.allSatisfy(\.isEmpty) {
                #expect(got.count == wanted, "\(english) -> \(dutch)")
            } else {
                // Numbered: each value used once or more, none beyond the count.
                #expect(wanted > 0 && Set(got) == Set((1...max(wanted, 1)).map(String.init)), "\(english) -> \(dutch)")
            }
            #expect(!dutch.isEmpty)
        }
    }

    @Test func aLocaleNamesItsLanguage() {
        #expect(Language(locale: "nl_NL.UTF-8") == .nl)
        #expect(Language(locale: "en_GB") == .en)
        #expect(Language(locale: "EN") == .en)
        #expect(Language(locale: "C.UTF-8") == nil)
        #expect(Language(locale: "de_DE") == nil)
    }
}
