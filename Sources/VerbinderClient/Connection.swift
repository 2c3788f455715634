import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure that ends the client with a message on stderr and an exit code.
public struct ClientFailure: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = ExitStatus.unreachable) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// The client's exit codes (documented in docs/verbinder.1).
public enum ExitStatus {
    public static let ok: Int32 = 0
    /// The daemon answered `ERR` (or an import/CSV failed).
    public static let failed: Int32 = 1
    /// The daemon could not be reached, the connection broke, or the feature is not available.
    public static let unreachable: Int32 = 2
}

/// Where the daemon listens: `host:port` or `unix:/path`.
public enum Address: Equatable, CustomStringConvertible, Sendable {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 7411

    /// Parses `host:port`, `[v6]:port`, `host` (default port) or `unix:/path`.
    public static func parse(_ text: String) throws(ClientFailure) -> Address {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw ClientFailure("bad address \(text): unix: needs a path") }
            return .unix(path: path)
        }
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ClientFailure("bad address \(text): missing ]") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { portText = rest.dropFirst() } else if !rest.isEmpty {
                throw ClientFailure("bad address \(text)")
            }
        } else if let colon = text.lastIndex(of: ":") {
            if text[..<colon].contains(":") {
                host = text // a bare IPv6 address without a port
            } else {
                host = String(text[..<colon])
                portText = text[text.index(after: colon)...]
            }
        }
        if host.isEmpty { host = defaultHost }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw ClientFailure("bad address \(text): the port must be a number from 1 to 65535")
            }
            port = value
        }
        return .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}

/// Whether a line read from the daemon ends a response (`OK`, `OK ...`, `ERR ...`).
public func isStatusLine(_ line: [UInt8]) -> Bool {
    if line.starts(with: [0x4F, 0x4B]) { // OK
        return line.count == 2 || line[2] == 0x20
    }
    if line.starts(with: [0x45, 0x52, 0x52]) { // ERR
        return line.count == 3 || line[3] == 0x20
    }
    return false
}

public func isErrorLine(_ line: [UInt8]) -> Bool { line.starts(with: [0x45, 0x52, 0x52]) }

/// A connection to the daemon: a non-blocking socket with an outbound and an inbound buffer,
/// driven by `poll`, so that pipelined writes and reads never deadlock.
public final class Connection {
    public let fd: Int32
    public let address: Address
    private var inbound: [UInt8] = []
    private var inStart = 0
    private var outbound: [UInt8] = []
    private var outStart = 0
    /// The daemon closed its side (or the connection broke): no more input will come.
    public private(set) var atEnd = false
    private var writeBroken = false

    /// With `tls`, the connection is wrapped in TLS in process (``TLSTunnel``): the daemon's
    /// certificate is verified against the system's CAs, or `VERBINDER_TLS_CA`, and must name
    /// the host; the client talks to the tunnel over a socket pair, so the rest of the client
    /// is the same for plain and TLS connections.
    public init(address: Address, timeoutSeconds: Int32 = 10, tls: Bool = false) throws(ClientFailure) {
        self.address = address
        switch address {
        case .unix(let path):
            if tls { throw ClientFailure("--tls needs a host:port address, not a Unix socket") }
            fd = try Connection.connectUnix(path, timeoutSeconds: timeoutSeconds)
        case .tcp(let host, let port):
            let socket = try Connection.connectTCP(host, port, timeoutSeconds: timeoutSeconds)
            if tls {
                let ca = getenv("VERBINDER_TLS_CA").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
                fd = try TLSTunnel.open(connectedSocket: socket, host: host, caFile: ca, timeoutSeconds: timeoutSeconds)
            } else {
                fd = socket
            }
        }
    }

    deinit { close(fd) }

    // MARK: connecting

    private static func connectTCP(_ host: String, _ port: Int, timeoutSeconds: Int32) throws(ClientFailure) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ClientFailure("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd < 0 { lastError = String(cString: strerror(errno)); continue }
            if let error = connectNonBlocking(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, timeoutSeconds) {
                close(fd)
                lastError = error
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return fd
        }
        throw ClientFailure("cannot connect to verbinderd at \(Address.tcp(host: host, port: port)): \(lastError)")
    }

    private static func connectUnix(_ path: String, timeoutSeconds: Int32) throws(ClientFailure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw ClientFailure("unix socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ClientFailure("socket(): \(String(cString: strerror(errno)))") }
        let error = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connectNonBlocking(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size), timeoutSeconds)
            }
        }
        if let error {
            close(fd)
            throw ClientFailure("cannot connect to verbinderd at unix:\(path): \(error)")
        }
        return fd
    }

    /// Connects with a deadline; leaves the socket non-blocking. Returns an error text or nil.
    private static func connectNonBlocking(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t,
                                           _ timeoutSeconds: Int32) -> String? {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        // Not inherited by the commands the client starts (pager, reminders --via): a command
        // that outlives the client must not keep the connection, and the leases, open.
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        if connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&entry, 1, timeoutSeconds * 1000)
        if ready == 0 { return "timed out after \(timeoutSeconds) s" }
        if ready < 0 { return String(cString: strerror(errno)) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    // MARK: sending

    /// Queues one request line (a LF is added) to be written by ``pump(extra:)`` or ``flush()``.
    public func queue(_ line: String) {
        guard !writeBroken else { return }
        outbound += Array(line.utf8)
        outbound.append(0x0A)
    }

    public var hasPendingOutput: Bool { outStart < outbound.count }

    /// Writes whatever the socket takes right now.
    private func writeAvailable() {
        while outStart < outbound.count {
            let count = outbound[outStart...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                outStart += count
                continue
            }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { break }
            // The daemon went away; keep reading what it did send (e.g. ERR BUSY).
            writeBroken = true
            break
        }
        if outStart >= outbound.count || writeBroken {
            outbound.removeAll(keepingCapacity: true)
            outStart = 0
        }
    }

    /// Writes everything queued, reading whatever arrives meanwhile.
    public func flush() throws(ClientFailure) {
        while hasPendingOutput && !writeBroken {
            _ = try pump(extra: nil)
        }
    }

    // MARK: receiving

    /// Reads what the socket has right now; sets `atEnd` at the end of the stream.
    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                inbound += chunk[..<count]
                if count < chunk.count { return }
                continue
            }
            if count == 0 { atEnd = true; return }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            atEnd = true
            return
        }
    }

    /// Waits until the socket can move data (and `extra` is readable), moves it, and says
    /// whether `extra` is readable. `timeout` is in milliseconds, -1 for none.
    public func pump(extra: Int32?, timeout: Int32 = -1) throws(ClientFailure) -> Bool {
        let writing = hasPendingOutput && !writeBroken
        // After the end of the stream the socket is only watched to find out that writes fail.
        let watchSocket = !atEnd || writing
        if !watchSocket && extra == nil { return false }
        var events = atEnd ? 0 : Int16(POLLIN)
        if writing { events |= Int16(POLLOUT) }
        var fds = [pollfd(fd: watchSocket ? fd : -1, events: events, revents: 0)]
        if let extra { fds.append(pollfd(fd: extra, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        if ready < 0 {
            if errno == EINTR { return false }
            throw ClientFailure("poll(): \(String(cString: strerror(errno)))")
        }
        let socketEvents = fds[0].revents
        if writing, socketEvents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 { writeAvailable() }
        if !atEnd, socketEvents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readAvailable() }
        if fds.count > 1 { return fds[1].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 }
        return false
    }

    /// The next complete line already received, without LF (and a CR before it); at the end of
    /// the stream, the unterminated rest. Nil when no line is available yet.
    public func takeLine() -> [UInt8]? {
        if let newline = inbound[inStart...].firstIndex(of: 0x0A) {
            var end = newline
            if end > inStart, inbound[end - 1] == 0x0D { end -= 1 }
            let line = Array(inbound[inStart..<end])
            inStart = newline + 1
            compact()
            return line
        }
        if atEnd, inStart < inbound.count {
            let line = Array(inbound[inStart...])
            inStart = inbound.count
            compact()
            return line
        }
        return nil
    }

    private func compact() {
        if inStart == inbound.count {
            inbound.removeAll(keepingCapacity: true)
            inStart = 0
        } else if inStart > 65536 {
            inbound.removeSubrange(..<inStart)
            inStart = 0
        }
    }

    /// How long ``readLine()`` waits for a line before it fails, in milliseconds; -1 (the
    /// default) waits as long as the daemon takes. Scripts and tests that must not hang set it.
    public var readTimeoutMilliseconds: Int32 = -1

    /// The next line, waiting for it; nil when the daemon closed the connection.
    public func readLine() throws(ClientFailure) -> [UInt8]? {
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            if let line = takeLine() { return line }
            if atEnd { return nil }
            var wait: Int32 = -1
            if readTimeoutMilliseconds >= 0 {
                let waited = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                guard waited < Int64(readTimeoutMilliseconds) else {
                    throw ClientFailure("no answer from verbinderd at \(address) within \(readTimeoutMilliseconds) ms")
                }
                wait = Int32(Int64(readTimeoutMilliseconds) - waited)
            }
            _ = try pump(extra: nil, timeout: wait)
        }
    }

    /// Reads one response, handing each data line to `data`; returns the status line.
    public func readResponse(_ data: ([UInt8]) -> Void) throws(ClientFailure) -> [UInt8] {
        while let line = try readLine() {
            if isStatusLine(line) { return line }
            data(line)
        }
        throw ClientFailure("the connection to verbinderd at \(address) closed in the middle of a response")
    }

    /// Sends one request and collects its whole response.
    public func request(_ line: String) throws(ClientFailure) -> (data: [[UInt8]], status: [UInt8]) {
        queue(line)
        var data: [[UInt8]] = []
        let status = try readResponse { data.append($0) }
        return (data, status)
    }
}

extension Array where Element == UInt8 {
    public var text: String { String(decoding: self, as: UTF8.self) }
}
