#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VerbinderClient

/// A small buffered writer on a file descriptor (stdout and stderr without C's FILE globals).
/// The client is single-threaded: the shared writers are only touched from the main thread.
final class Output: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    static let standard = Output(fd: 1)
    static let error = Output(fd: 2)

    var isTerminal: Bool { isatty(fd) == 1 }

    func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= 65536 { flush() }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes a line and its LF.
    func line(_ bytes: [UInt8]) {
        buffer += bytes
        buffer.append(0x0A)
        if buffer.count >= 65536 { flush() }
    }

    func line(_ text: String) { line(Array(text.utf8)) }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let count = buffer[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                break // the reader went away (stdout closed): drop the rest
            }
            offset += count
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Prints `verbinder: message` on stderr.
func complain(_ message: String) {
    Output.standard.flush()
    Output.error.line("verbinder: " + message)
    Output.error.flush()
}

/// Prints an `ERR ...` line (or another diagnostic line) on stderr as it is.
func printError(_ line: String) {
    Output.standard.flush()
    Output.error.line(line)
    Output.error.flush()
}

/// `write(2)`, named apart from the methods called `write`.
func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, pointer, count)
    #else
    return Darwin.write(fd, pointer, count)
    #endif
}
