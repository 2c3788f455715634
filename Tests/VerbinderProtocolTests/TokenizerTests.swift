import Testing
@testable import VerbinderProtocol

@Suite("Tokenizer")
struct TokenizerTests {
    @Test func splitsOnSpacesAndTabs() throws {
        #expect(try Tokenizer.tokenize("FIND  drenthe\tkind=municipality") == [
            .argument("FIND"), .argument("drenthe"), .option(name: "kind", value: "municipality"),
        ])
    }

    @Test func quotedTokensAreAlwaysPositional() throws {
        #expect(try Tokenizer.tokenize("SHOW \"a=b\" \"Bergen (NH.)\"") == [
            .argument("SHOW"), .argument("a=b"), .argument("Bergen (NH.)"),
        ])
    }

    @Test func optionValuesMayBeQuoted() throws {
        #expect(try Tokenizer.tokenize("X title=\"Kick-off Parkstad\" note=\"say \\\"hi\\\"\\n\\tok\\\\\"") == [
            .argument("X"), .option(name: "title", value: "Kick-off Parkstad"),
            .option(name: "note", value: "say \"hi\"\n\tok\\"),
        ])
    }

    @Test func apostropheNeedsNoQuotes() throws {
        #expect(try Tokenizer.tokenize("SHOW 's-Hertogenbosch") == [.argument("SHOW"), .argument("'s-Hertogenbosch")])
    }

    @Test func upperCaseNameBeforeEqualsIsAnArgument() throws {
        #expect(try Tokenizer.tokenize("A Key=x 9a=b") == [.argument("A"), .argument("Key=x"), .argument("9a=b")])
    }

    @Test func emptyQuotedValue() throws {
        #expect(try Tokenizer.tokenize("X \"\" note=\"\"") == [.argument("X"), .argument(""), .option(name: "note", value: "")])
    }

    @Test(arguments: ["SHOW \"open", "X \"a\"b", "X a\"b", "X a\\b", "X \"bad \\q escape\"", "X note=\"open"])
    func malformedInputIsSyntaxError(_ line: String) {
        #expect(throws: ProtocolError.self) { try Tokenizer.tokenize(line) }
        do { _ = try Tokenizer.tokenize(line) } catch { #expect(error.code == .syntax) }
    }

    @Test func invalidUTF8IsSyntaxError() {
        let bytes: [UInt8] = Array("FIND ".utf8) + [0xC3, 0x28]
        do {
            _ = try Tokenizer.tokenize(bytes)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.code == .syntax)
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 64)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                // Bias towards the interesting bytes: quotes, backslashes, blanks, '=', high bytes.
                let interesting: [UInt8] = [0x22, 0x5C, 0x20, 0x09, 0x3D, 0x61, 0x41, 0xC3, 0xA9, 0x00, 0xFF, 0x0A]
                let roll = generator.next()
                bytes.append(roll % 3 == 0 ? interesting[Int(roll / 3 % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: roll >> 8))
            }
            _ = try? Tokenizer.tokenize(bytes)
            _ = try? Request.parse(bytes)
        }
    }

    @Test func quotingThenParsingGivesTheTokensBack() throws {
        var generator = SplitMix64(seed: 42)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\t", "\"", "\\", "=", "'", "é", "ß", "\n", "-", "(", ")", ".", "漢", "😀"]
        for _ in 0..<5_000 {
            var tokens: [Token] = []
            var line: [String] = []
            for _ in 0..<Int(generator.next() % 6) {
                var value = ""
                for _ in 0..<Int(generator.next() % 8) {
                    value.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
                }
                if generator.next() % 2 == 0 {
                    let name = ["k", "title", "a_1", "x9"][Int(generator.next() % 4)]
                    tokens.append(.option(name: name, value: value))
                    line.append("\(name)=\(Quoting.quote(value))")
                } else {
                    tokens.append(.argument(value))
                    line.append(Quoting.quoteArgument(value))
                }
            }
            let parsed = try Tokenizer.tokenize(line.joined(separator: generator.next() % 2 == 0 ? " " : " \t "))
            #expect(parsed == tokens, "line: \(line)")
        }
    }
}

@Suite("Request")
struct RequestTests {
    @Test func verbIsUpperCasedAndArgumentsKeepCase() throws {
        let request = try #require(try Request.parse("find Drenthe kind=municipality limit=5"))
        #expect(request.verb == "FIND")
        #expect(request.arguments == ["Drenthe"])
        #expect(request.options == ["kind": "municipality", "limit": "5"])
    }

    @Test(arguments: ["", "   ", "\t", "# a comment", "  # indented comment"])
    func blankAndCommentLinesGetNoResponse(_ line: String) throws {
        #expect(try Request.parse(line) == nil)
    }

    @Test func requestMustStartWithVerb() {
        #expect(throws: ProtocolError.self) { try Request.parse("a=b FIND") }
    }

    @Test func duplicateOptionIsUsageError() {
        do {
            _ = try Request.parse("FIND x limit=1 limit=2")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .usage)
        }
    }

    @Test func lineRoundTrips() throws {
        let request = try #require(try Request.parse("SHOW \"Bergen (NH.)\" note=\"a b\" \"x=y\""))
        #expect(try Request.parse(request.line) == request)
    }
}

/// A small deterministic generator, so the generated-input tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Fuzzer findings")
struct FuzzFindingTests {
    /// Inputs libFuzzer found: a quoted verb held control bytes or blanks and did not survive a round trip.
    @Test(arguments: [[0x22, 0x01, 0x00, 0x00, 0x22], Array("\"a:X b\" k=IND \t y".utf8)])
    func quotedVerbIsSyntaxError(_ bytes: [UInt8]) {
        do {
            _ = try Request.parse(bytes)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.code == .syntax)
        }
    }
}
