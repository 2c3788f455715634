#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VerbinderClient

/// One request to send, with the number of the input line it came from.
struct PendingRequest {
    let line: String
    let number: Int
    /// `QUIT`: the daemon answers and closes, so nothing is sent after it.
    let isQuit: Bool

    init(line: String, number: Int) {
        self.line = line
        self.number = number
        let verb = line.drop { $0 == " " || $0 == "\t" }.prefix { $0 != " " && $0 != "\t" }
        isQuit = verb.uppercased() == "QUIT"
    }

    /// Lines the daemon does not answer: empty, blank, or starting with `#` (after blanks).
    static func isSilent(_ line: some StringProtocol) -> Bool {
        guard let first = line.first(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return true }
        return first == "#"
    }
}

/// Requests to send: a fixed list, or lines read from a file descriptor as they come.
final class RequestSource {
    private var queue: [PendingRequest] = []
    private var head = 0
    private(set) var fd: Int32?
    private var partial: [UInt8] = []
    private var lineNumber = 0

    init(requests: [PendingRequest]) { queue = requests }

    init(fd: Int32) { self.fd = fd }

    /// Nothing more will come.
    var exhausted: Bool { head >= queue.count && fd == nil }

    func next() -> PendingRequest? {
        guard head < queue.count else { return nil }
        defer { head += 1 }
        return queue[head]
    }

    var hasQueued: Bool { head < queue.count }

    /// Reads what is available from the descriptor (it polled readable).
    func fill() {
        guard let fd else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        if count <= 0 {
            if !partial.isEmpty { append(partial) }
            partial = []
            if fd != 0 { close(fd) }
            self.fd = nil
            return
        }
        partial += chunk[..<count]
        var start = 0
        while let newline = partial[start...].firstIndex(of: 0x0A) {
            append(Array(partial[start..<newline]))
            start = newline + 1
        }
        partial.removeSubrange(..<start)
    }

    private func append(_ bytes: [UInt8]) {
        lineNumber += 1
        var bytes = bytes
        if bytes.last == 0x0D { bytes.removeLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        if PendingRequest.isSilent(line) { return }
        if head > 0, head == queue.count { queue.removeAll(keepingCapacity: true); head = 0 }
        queue.append(PendingRequest(line: line, number: lineNumber))
    }
}

/// What to do after a response.
enum PipelineStep {
    case next
    /// Send nothing more, but read the answers still due.
    case drain
    /// Stop at once.
    case stop
}

/// Sends requests without waiting for answers (at most `window` unanswered at a time) and reads
/// the answers in order: a response ends at a line that is `OK`, starts with `OK ` or `ERR `.
struct Pipeline {
    let connection: Connection
    var window = 128

    /// Runs until the source is exhausted and every answer is in, or a callback stops it.
    /// `data` gets each data line as it arrives; `status` each status line.
    func run(_ source: RequestSource,
             data: (PendingRequest, [UInt8]) -> Void,
             status: (PendingRequest, [UInt8]) -> PipelineStep) throws(ClientFailure) {
        var outstanding: [PendingRequest] = []
        var head = 0
        var sending = true
        while true {
            while sending, outstanding.count - head < window, let request = source.next() {
                connection.queue(request.line)
                outstanding.append(request)
                if request.isQuit { sending = false }
            }
            while head < outstanding.count, let line = connection.takeLine() {
                let request = outstanding[head]
                if isStatusLine(line) {
                    head += 1
                    switch status(request, line) {
                    case .next: break
                    case .drain: sending = false
                    case .stop: return
                    }
                } else {
                    data(request, line)
                }
            }
            if head == outstanding.count {
                outstanding.removeAll(keepingCapacity: true)
                head = 0
                if !sending || source.exhausted { return }
                if source.hasQueued { continue }
            }
            if connection.atEnd, head < outstanding.count, connection.takeLine() == nil {
                throw ClientFailure("the connection to verbinderd at \(connection.address) closed with \(outstanding.count - head) request(s) unanswered")
            }
            let wantInput = sending && !source.hasQueued && source.fd != nil && outstanding.count - head < window
            if outstanding.count - head == 0 && !wantInput { return }
            if try connection.pump(extra: wantInput ? source.fd : nil) { source.fill() }
        }
    }
}

/// `verbinder -f FILE` and `verbinder < FILE`: pipelined requests, data lines on stdout,
/// ERR lines on stderr; stops at the first ERR unless `--keep-going`.
struct ScriptMode {
    let settings: Settings
    let keepGoing: Bool

    func run(fd: Int32) throws(ClientFailure) -> Int32 {
        let source = RequestSource(fd: fd)
        // Nothing to do for an empty input: do not even connect.
        source.fill()
        while source.fd != nil && !source.hasQueued { source.fill() }
        if !source.hasQueued { return ExitStatus.ok }
        let connection = try settings.open()
        var failures = 0
        let raw = settings.raw
        try Pipeline(connection: connection).run(source, data: { _, line in
            Output.standard.line(line)
        }, status: { request, line in
            if raw { Output.standard.line(line) }
            guard isErrorLine(line) else { return .next }
            failures += 1
            if !raw { printError("line \(request.number): \(line.text)") }
            return keepGoing ? .next : .stop
        })
        return failures == 0 ? ExitStatus.ok : ExitStatus.failed
    }
}
