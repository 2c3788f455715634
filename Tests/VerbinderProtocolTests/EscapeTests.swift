import Testing
@testable import VerbinderProtocol

/// Issue 14, finding 6: NUL is never a value, and every control character round-trips as `\xHH`.
@Suite("Control characters and NUL")
struct EscapeTests {
    /// Every C0 character and DEL (NUL excepted), alone and among text.
    static let controls: [String] = (Array(0x01...0x1F) + [0x7F]).map { String(Unicode.Scalar(UInt8($0))) }

    @Test func textOutputEscapesEveryControlCharacterAndParsesBack() throws {
        for control in Self.controls {
            let value = "a\(control)b"
            let record = Record("node", [("name", .string(value)), ("note", .string(control))])
            let line = OutputFormat.text.render(record)
            var bytes: [UInt8] = []
            OutputFormat.text.write(record, into: &bytes)
            #expect(Array(line.utf8) == bytes)
            #expect(!line.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "raw control byte in \(line)")
            let tokens = try Tokenizer.tokenize(line)
            #expect(tokens == [.argument("node"), .option(name: "name", value: value), .option(name: "note", value: control)])
        }
    }

    @Test func escapeAndBellAreWrittenAsHex() {
        let record = Record("node", [("name", "\u{1B}[2Jx\u{07}"), ("cr", "a\rb"), ("del", "\u{7F}")])
        #expect(OutputFormat.text.render(record) == #"node name="\x1b[2Jx\x07" cr="a\x0db" del="\x7f""#)
        #expect(Quoting.quote("\u{1B}") == #""\x1b""#)
        #expect(Quoting.quote("a\nb\tc") == #""a\nb\tc""#)
    }

    @Test func hexEscapesParseInEitherCase() throws {
        #expect(try Tokenizer.tokenize(#"X "\x1b\x1B\x41\x7f""#) == [.argument("X"), .argument("\u{1B}\u{1B}A\u{7F}")])
        #expect(try Tokenizer.tokenize(#"X note="\x07""#) == [.argument("X"), .option(name: "note", value: "\u{07}")])
    }

    @Test(arguments: [#"X "\x""#, #"X "\x1""#, #"X "\xg0""#, #"X "\x80""#, #"X "\xff""#, #"X "\x1"#])
    func malformedHexEscapeIsSyntaxError(_ line: String) {
        do {
            _ = try Tokenizer.tokenize(line)
            Issue.record("expected a syntax error for \(line)")
        } catch {
            #expect(error.code == .syntax)
        }
    }

    @Test(arguments: [
        Array("ADD partner \"ab".utf8) + [0] + Array("cd\"".utf8),
        Array("SET x note=\"a".utf8) + [0] + Array("\"".utf8),
        Array("SET x note=a".utf8) + [0] + Array("b".utf8),
        Array("ADD partner ab".utf8) + [0],
        Array(#"ADD partner "ab\x00cd""#.utf8),
        Array(#"SET x note="\x00""#.utf8),
        Array("ADD partner \"a\\".utf8) + [0] + Array("\"".utf8),
    ])
    func nulIsInvalid(_ bytes: [UInt8]) {
        do {
            _ = try Request.parse(bytes)
            Issue.record("expected ERR INVALID")
        } catch {
            #expect(error.code == .invalid)
        }
    }

    @Test func requestLinesWithControlCharactersRoundTrip() throws {
        let request = Request(verb: "ADD", arguments: ["partner", "x\u{1B}[31m\u{07}"], options: ["note": "a\r\u{7F}"], optionOrder: ["note"])
        #expect(!request.line.utf8.contains { $0 < 0x20 || $0 == 0x7F })
        #expect(try Request.parse(request.line) == request)
    }

    @Test func statusLinesEscapeControlCharacters() {
        #expect(ProtocolError(.notFound, "no \u{1B}[2J\tx\r\ny").statusLine == "ERR NOTFOUND no \\x1b[2J\tx  y")
    }
}
