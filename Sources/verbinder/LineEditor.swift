#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VerbinderClient

/// What TAB does: a new line and cursor, and candidates to list when the line did not change.
struct CompletionResult {
    var line: [Character]
    var cursor: Int
    var candidates: [String] = []
}

/// The terminal settings before raw mode, restored at exit even on a fatal path.
nonisolated(unsafe) private var savedTerminal: termios?

private func restoreTerminal() {
    if var saved = savedTerminal { tcsetattr(0, TCSAFLUSH, &saved) }
}

/// A small raw-mode line editor on a terminal: left/right, home/end, backspace, delete,
/// ctrl-a/e/u/k/w/l, up/down history, TAB completion.
final class LineEditor {
    let prompt: String
    private(set) var history: [String] = []
    private let historyPath: String?
    static let historyLimit = 1000
    var complete: ((_ line: [Character], _ cursor: Int) -> CompletionResult)?

    private var line: [Character] = []
    private var cursor = 0

    init(prompt: String, historyPath: String?) {
        self.prompt = prompt
        self.historyPath = historyPath
        loadHistory()
        atexit { restoreTerminal() }
    }

    // MARK: history

    private func loadHistory() {
        guard let historyPath else { return }
        let fd = open(historyPath, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        history = bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
        if history.count > LineEditor.historyLimit { history.removeFirst(history.count - LineEditor.historyLimit) }
    }

    /// Adds an entered line to the history and rewrites the file (mode 0600, at most 1000 lines).
    func remember(_ entry: String) {
        guard !entry.isBlank, history.last != entry else { return }
        history.append(entry)
        if history.count > LineEditor.historyLimit { history.removeFirst(history.count - LineEditor.historyLimit) }
        guard let historyPath else { return }
        let fd = open(historyPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        fchmod(fd, 0o600)
        let bytes = Array((history.joined(separator: "\n") + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            offset += count
        }
        close(fd)
    }

    // MARK: terminal

    private func enableRaw() -> Bool {
        var original = termios()
        guard tcgetattr(0, &original) == 0 else { return false }
        savedTerminal = original
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { buffer in
            buffer[Int(VMIN)] = 1
            buffer[Int(VTIME)] = 0
        }
        return tcsetattr(0, TCSAFLUSH, &raw) == 0
    }

    private func disableRaw() {
        restoreTerminal()
        savedTerminal = nil
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            if count == 1 { return byte }
            if count < 0, errno == EINTR { continue }
            return nil
        }
    }

    private func emit(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { systemWrite(1, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            offset += count
        }
    }

    private func refresh() {
        let before = prompt.count + String(line[..<cursor]).displayWidth
        var out = "\r" + prompt + String(line) + "\u{1B}[0K\r"
        if before > 0 { out += "\u{1B}[\(before)C" }
        emit(out)
    }

    // MARK: reading a line

    /// Reads one line; nil at end of input (ctrl-d on an empty line).
    func readLine() -> String? {
        Output.standard.flush()
        guard isatty(0) == 1, enableRaw() else { return readPlainLine() }
        defer { disableRaw() }
        line = []
        cursor = 0
        var historyIndex = history.count
        var draft: [Character] = []
        emit(prompt)
        var pendingUTF8: [UInt8] = []
        while let byte = readByte() {
            if !pendingUTF8.isEmpty || byte >= 0x80 {
                pendingUTF8.append(byte)
                if let text = String(validating: pendingUTF8, as: UTF8.self) {
                    insert(Array(text))
                    pendingUTF8 = []
                } else if pendingUTF8.count >= 4 {
                    pendingUTF8 = []
                }
                continue
            }
            switch byte {
            case 0x0D, 0x0A: // enter
                emit("\r\n")
                return String(line)
            case 0x03: // ctrl-c: drop the line
                emit("^C\r\n")
                line = []
                cursor = 0
                historyIndex = history.count
                emit(prompt)
            case 0x04: // ctrl-d: end on an empty line, else delete under the cursor
                if line.isEmpty {
                    emit("\r\n")
                    return nil
                }
                if cursor < line.count { line.remove(at: cursor); refresh() }
            case 0x7F, 0x08: // backspace
                if cursor > 0 {
                    cursor -= 1
                    line.remove(at: cursor)
                    refresh()
                }
            case 0x01: cursor = 0; refresh() // ctrl-a
            case 0x05: cursor = line.count; refresh() // ctrl-e
            case 0x02: if cursor > 0 { cursor -= 1; refresh() } // ctrl-b
            case 0x06: if cursor < line.count { cursor += 1; refresh() } // ctrl-f
            case 0x15: // ctrl-u: delete to the start of the line
                line.removeSubrange(..<cursor)
                cursor = 0
                refresh()
            case 0x0B: // ctrl-k: delete to the end of the line
                line.removeSubrange(cursor...)
                refresh()
            case 0x17: // ctrl-w: delete the word before the cursor
                var start = cursor
                while start > 0, line[start - 1] == " " { start -= 1 }
                while start > 0, line[start - 1] != " " { start -= 1 }
                line.removeSubrange(start..<cursor)
                cursor = start
                refresh()
            case 0x0C: // ctrl-l: clear the screen
                emit("\u{1B}[H\u{1B}[2J")
                refresh()
            case 0x09: // tab
                tab()
            case 0x10: // ctrl-p
                historyStep(-1, &historyIndex, &draft)
            case 0x0E: // ctrl-n
                historyStep(1, &historyIndex, &draft)
            case 0x1B: // escape sequences
                guard let kind = readByte() else { break }
                var final: UInt8 = 0
                var parameter: [UInt8] = []
                if kind == UInt8(ascii: "[") {
                    while let next = readByte() {
                        if (0x40...0x7E).contains(next) { final = next; break }
                        parameter.append(next)
                    }
                } else if kind == UInt8(ascii: "O") {
                    final = readByte() ?? 0
                } else {
                    break
                }
                switch final {
                case UInt8(ascii: "A"): historyStep(-1, &historyIndex, &draft)
                case UInt8(ascii: "B"): historyStep(1, &historyIndex, &draft)
                case UInt8(ascii: "C"): if cursor < line.count { cursor += 1; refresh() }
                case UInt8(ascii: "D"): if cursor > 0 { cursor -= 1; refresh() }
                case UInt8(ascii: "H"): cursor = 0; refresh()
                case UInt8(ascii: "F"): cursor = line.count; refresh()
                case UInt8(ascii: "~"):
                    switch parameter {
                    case [UInt8(ascii: "1")], [UInt8(ascii: "7")]: cursor = 0; refresh()
                    case [UInt8(ascii: "4")], [UInt8(ascii: "8")]: cursor = line.count; refresh()
                    case [UInt8(ascii: "3")]: if cursor < line.count { line.remove(at: cursor); refresh() }
                    default: break
                    }
                default: break
                }
            default:
                if byte >= 0x20 { insert([Character(Unicode.Scalar(byte))]) }
            }
        }
        emit("\r\n")
        return nil
    }

    private func insert(_ characters: [Character]) {
        line.insert(contentsOf: characters, at: cursor)
        cursor += characters.count
        refresh()
    }

    private func historyStep(_ step: Int, _ index: inout Int, _ draft: inout [Character]) {
        let target = index + step
        guard target >= 0, target <= history.count else { emit("\u{07}"); return }
        if index == history.count { draft = line }
        index = target
        line = target == history.count ? draft : Array(history[target])
        cursor = line.count
        refresh()
    }

    private func tab() {
        guard let complete else { return }
        let result = complete(line, cursor)
        if result.line != line || result.cursor != cursor {
            line = result.line
            cursor = result.cursor
            refresh()
            return
        }
        if result.candidates.isEmpty {
            emit("\u{07}")
            return
        }
        let width = max(1, terminalSize().columns)
        let cell = (result.candidates.map(\.displayWidth).max() ?? 0) + 2
        let perRow = max(1, width / cell)
        var out = "\r\n"
        for (index, candidate) in result.candidates.enumerated() {
            out += candidate
            if (index + 1) % perRow == 0 || index == result.candidates.count - 1 {
                out += "\r\n"
            } else {
                out += String(repeating: " ", count: cell - candidate.displayWidth)
            }
        }
        emit(out)
        refresh()
    }

    /// Without a terminal (or when raw mode fails): a plain line from stdin.
    private func readPlainLine() -> String? {
        emit(prompt)
        var bytes: [UInt8] = []
        while let byte = readByte() {
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}

/// The terminal's size from TIOCGWINSZ (80x24 when unknown).
func terminalSize() -> (rows: Int, columns: Int) {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
        return (Int(size.ws_row), Int(size.ws_col))
    }
    return (24, 80)
}

extension StringProtocol {
    /// Columns on a terminal: one per character, two for wide East Asian and emoji characters
    /// (close enough for names and keys).
    var displayWidth: Int {
        var width = 0
        for character in self {
            guard let scalar = character.unicodeScalars.first else { continue }
            switch scalar.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
                 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
                width += 2
            default:
                width += scalar.value < 0x20 ? 0 : 1
            }
        }
        return width
    }

    var isBlank: Bool { allSatisfy { $0 == " " || $0 == "\t" } }
}
