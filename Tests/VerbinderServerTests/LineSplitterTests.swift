import NIOCore
import Testing
@testable import VerbinderServer

/// The line framing of the protocol, byte by byte, without a socket.
@Suite("Line splitter")
struct LineSplitterTests {
    func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func lines(_ splitter: inout LineSplitter) -> [String] {
        var out: [String] = []
        while let line = splitter.nextLine() {
            switch line {
            case .line(let bytes): out.append(String(buffer: bytes))
            case .tooLong: out.append("<too long>")
            }
        }
        return out
    }

    @Test func linesSplitAcrossReadsWithAndWithoutCR() {
        var splitter = LineSplitter(maximumLength: 100)
        splitter.append(buffer("PING\r\nSHOW GM"))
        #expect(lines(&splitter) == ["PING"])
        splitter.append(buffer("1731"))
        #expect(lines(&splitter).isEmpty)
        splitter.append(buffer("\nFIND a\n\nPI"))
        #expect(lines(&splitter) == ["SHOW GM1731", "FIND a", ""])
        splitter.append(buffer("NG\r\n"))
        #expect(lines(&splitter) == ["PING"])
        #expect(splitter.finish() == nil)
    }

    @Test func overLongLineIsDroppedUpToItsEndAndTheNextLineWorks() {
        var splitter = LineSplitter(maximumLength: 10)
        splitter.append(buffer("PING\n" + String(repeating: "x", count: 25)))
        #expect(lines(&splitter) == ["PING"])
        splitter.append(buffer(String(repeating: "y", count: 30)))
        #expect(lines(&splitter).isEmpty)
        splitter.append(buffer("zz\nPING\n"))
        #expect(lines(&splitter) == ["<too long>", "PING"])
        // Exactly at the limit is fine, with or without CR; one more byte is not.
        splitter.append(buffer(String(repeating: "a", count: 10) + "\r\n" + String(repeating: "b", count: 10) + "\n"
                               + String(repeating: "c", count: 11) + "\n"))
        #expect(lines(&splitter) == [String(repeating: "a", count: 10), String(repeating: "b", count: 10), "<too long>"])
    }

    @Test func theLastLineWithoutLFCountsAtEndOfInput() {
        var splitter = LineSplitter(maximumLength: 100)
        splitter.append(buffer("PING\nSHOW GM1731\r"))
        #expect(lines(&splitter) == ["PING"])
        guard case .line(let last)? = splitter.finish() else { Issue.record("no last line"); return }
        #expect(String(buffer: last) == "SHOW GM1731")
        #expect(splitter.finish() == nil)

        var discarding = LineSplitter(maximumLength: 4)
        discarding.append(buffer("abcdefgh"))
        #expect(lines(&discarding).isEmpty)
        #expect(discarding.finish() == .tooLong)
    }

    /// What the connection's back-pressure and line timeout ask of the splitter: whether a
    /// whole line waits, how many bytes it holds, and whether a line has started.
    @Test func tellsWhetherALineWaitsAndWhetherOneHasStarted() {
        /// (a whole line waits, a line has started, bytes held)
        func state(_ splitter: inout LineSplitter) -> (Bool, Bool, Int) {
            (splitter.hasLine(), splitter.holdsPartialLine, splitter.bufferedBytes)
        }
        var splitter = LineSplitter(maximumLength: 10)
        #expect(state(&splitter) == (false, false, 0))
        splitter.append(buffer("PI"))
        #expect(state(&splitter) == (false, true, 2))
        splitter.append(buffer("NG\nFI"))
        #expect(state(&splitter) == (true, true, 7))
        #expect(lines(&splitter) == ["PING"])
        #expect(state(&splitter) == (false, true, 2))
        splitter.append(buffer("ND a\n"))
        #expect(state(&splitter) == (true, true, 7))
        #expect(lines(&splitter) == ["FIND a"])
        #expect(state(&splitter) == (false, false, 0))
        // An over-long line being discarded has started, though its bytes are gone.
        splitter.append(buffer(String(repeating: "x", count: 30)))
        #expect(lines(&splitter).isEmpty)
        #expect(state(&splitter) == (false, true, 0))
        splitter.append(buffer("x\n"))
        #expect(state(&splitter) == (true, true, 2))
        #expect(lines(&splitter) == ["<too long>"])
        #expect(state(&splitter) == (false, false, 0))
    }
}

extension InboundLine: Equatable {
    public static func == (a: InboundLine, b: InboundLine) -> Bool {
        switch (a, b) {
        case (.line(let x), .line(let y)): x == y
        case (.tooLong, .tooLong): true
        default: false
        }
    }
}
