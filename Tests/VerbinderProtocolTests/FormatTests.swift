import Testing
@testable import VerbinderProtocol

@Suite("Records and status lines")
struct FormatTests {
    let record = Record("node", [("key", "GM1731"), ("kind", "municipality"), ("name", "Midden-Drenthe"),
                                 ("tier", "local"), ("province", "PV22")])

    @Test func textRecord() {
        #expect(OutputFormat.text.render(record) == "node key=GM1731 kind=municipality name=Midden-Drenthe tier=local province=PV22")
    }

    @Test func textQuotesValuesWithSpacesQuotesAndEmpties() {
        let record = Record("node", [("name", "Bergen (NH.)"), ("note", "say \"hi\""), ("empty", ""), ("list", .list(["a", "b"]))])
        #expect(OutputFormat.text.render(record) == #"node name="Bergen (NH.)" note="say \"hi\"" empty="" list=a,b"#)
    }

    @Test func textRecordParsesBackWithTheRequestTokenizer() throws {
        let record = Record("x", [("name", "a \"b\" \\ c\nd"), ("n", 3), ("ok", .bool(true))])
        let tokens = try Tokenizer.tokenize(OutputFormat.text.render(record))
        #expect(tokens == [.argument("x"), .option(name: "name", value: "a \"b\" \\ c\nd"), .option(name: "n", value: "3"), .option(name: "ok", value: "yes")])
    }

    @Test func jsonRecordKeepsTypes() {
        let record = Record("stat", [("name", "uptime_s"), ("value", 12), ("up", .bool(false)),
                                     ("themes", .list(["zorg", "x\"y"])), ("score", .double(1.5)), ("ctl", "\u{1}")])
        #expect(OutputFormat.json.render(record)
            == #"{"type":"stat","name":"uptime_s","value":12,"up":false,"themes":["zorg","x\"y"],"score":1.5,"ctl":"\u0001"}"#)
    }

    @Test func statusLines() {
        #expect(Status.ok.line == "OK")
        #expect(Status(words: ["pong"]).line == "OK pong")
        #expect(Status([("rows", 3)]).line == "OK rows=3")
        #expect(ProtocolError(.tooLong, "too long\nreally").statusLine == "ERR TOOLONG too long really")
    }

    @Test func dataLinesNeverLookLikeStatusLines() {
        for record in [record, Record("ok", [("a", "b")])] {
            let line = OutputFormat.text.render(record)
            #expect(!line.hasPrefix("OK") && !line.hasPrefix("ERR"))
        }
    }
}
