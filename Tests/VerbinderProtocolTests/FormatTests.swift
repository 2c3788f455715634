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

@Suite("SHA-256")
struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite("Byte renderer")
struct ByteRendererTests {
    @Test func writesExactlyTheBytesOfRender() {
        var generator = SplitMix64(seed: 5)
        let alphabet: [Character] = ["a", " ", "\"", "\\", "\n", "\t", "é", "=", "\u{1}", "x", "\u{7F}", "\r", "😀"]
        for _ in 0..<2_000 {
            var record = Record("rec")
            for index in 0..<Int(generator.next() % 5) {
                var value = ""
                for _ in 0..<Int(generator.next() % 6) { value.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
                let kind = generator.next() % 4
                record.append("f\(index)", kind == 0 ? .int(Int(generator.next() % 1000) - 500) : kind == 1 ? .bool(generator.next() % 2 == 0) : kind == 2 ? .list([value, "b"]) : .string(value))
            }
            var bytes: [UInt8] = []
            OutputFormat.text.write(record, into: &bytes)
            #expect(bytes == Array(OutputFormat.text.render(record).utf8))
        }
    }
}
