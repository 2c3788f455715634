import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy between the daemon and PostgreSQL's Unix socket that breaks one connection at
/// a chosen moment of a write, the way a restart or a network fault does.
///
/// Once a client-to-server chunk holds `marker` (a word of the request, which reaches the
/// database as a parameter or in the audit row), the proxy acts:
/// - `.dropBefore`: closes both sides without passing the chunk on (the write never arrived);
/// - `.dropAfter`: passes it on, waits, and closes both sides without passing the answer back
///   (the write arrived and committed; only its answer is lost);
/// - `.dropAtCommit`: passes traffic on until the query `COMMIT`, then as `.dropAfter`.
/// While `refusing` is set, new connections are closed at once (the database "stays away").
final class FaultProxy: @unchecked Sendable {
    enum Mode { case dropBefore, dropAfter, dropAtCommit }

    let port: Int
    private let target: String
    private let listener: Int32
    private let lock = NSLock()
    private var trigger: (marker: [UInt8], mode: Mode)?
    private var refusingNew = false
    private var fired = 0

    /// Proxies to the Unix socket at `socketPath`.
    init(socketPath: String) throws {
        target = socketPath
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw HarnessError("proxy: cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// A conninfo for `database` through the proxy.
    func conninfo(database: String) -> String {
        "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres sslmode=disable connect_timeout=5"
    }

    /// Arms the proxy for the next chunk that holds `marker`; it fires once.
    func arm(_ marker: String, _ mode: Mode) {
        lock.withLock { trigger = (Array(marker.utf8), mode) }
    }

    var refusing: Bool {
        get { lock.withLock { refusingNew } }
        set { lock.withLock { refusingNew = newValue } }
    }

    /// How many connections the proxy broke.
    var broken: Int { lock.withLock { fired } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            if refusing { close(client); continue }
            let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                let bytes = Array(target.utf8)
                for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if connected != 0 { close(client); close(server); continue }
            let pair = Pair(client: client, server: server)
            Thread { [self] in pump(pair, upstream: true) }.start()
            Thread { [self] in pump(pair, upstream: false) }.start()
        }
    }

    private final class Pair: @unchecked Sendable {
        let client: Int32, server: Int32
        private let lock = NSLock()
        private var closed = false
        private var isCut = false
        /// Set when the proxy broke this pair: nothing more is passed either way. Both pumps
        /// read it, so it is kept under the pair's lock.
        var cut: Bool {
            get { lock.withLock { isCut } }
            set { lock.withLock { isCut = newValue } }
        }
        /// Armed for COMMIT (``Mode/dropAtCommit``); read and written under the proxy's lock.
        var awaitingCommit = false
        init(client: Int32, server: Int32) { self.client = client; self.server = server }
        func closeBoth() {
            lock.withLock {
                guard !closed else { return }
                closed = true
                shutdown(client, Int32(SHUT_RDWR)); shutdown(server, Int32(SHUT_RDWR))
                close(client); close(server)
            }
        }
    }

    private func pump(_ pair: Pair, upstream: Bool) {
        let from = upstream ? pair.client : pair.server
        let to = upstream ? pair.server : pair.client
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(from, &buffer, buffer.count)
            if count <= 0 { break }
            let chunk = Array(buffer[0..<count])
            // A broken pair passes nothing on; its server side is closed by the upstream pump.
            if pair.cut { continue }
            if upstream, let action = decide(chunk, pair) {
                if action == .dropBefore {
                    pair.cut = true
                    pair.closeBoth()
                    return
                }
                // Pass it on, let the server commit, and lose the answer.
                pair.cut = true
                _ = write(to, chunk, chunk.count)
                usleep(400_000)
                pair.closeBoth()
                return
            }
            var sent = 0
            while sent < count {
                let n = chunk.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                if n <= 0 { pair.closeBoth(); return }
                sent += n
            }
        }
        pair.closeBoth()
    }

    /// What to do with a client-to-server chunk: nil to pass it on.
    private func decide(_ chunk: [UInt8], _ pair: Pair) -> Mode? {
        lock.withLock {
            if pair.awaitingCommit {
                // The statement COMMIT: its text, NUL-terminated, after a `Q` message's length (11)
                // or a `P` message's empty statement name (a NUL).
                let commit = Array("COMMIT".utf8) + [0]
                guard chunk.contains(subsequence: [11] + commit) || chunk.contains(subsequence: [0] + commit) else { return nil }
                pair.awaitingCommit = false
                fired += 1
                return .dropAfter
            }
            guard let trigger, chunk.contains(subsequence: trigger.marker) else { return nil }
            self.trigger = nil
            if trigger.mode == .dropAtCommit {
                pair.awaitingCommit = true
                return nil
            }
            fired += 1
            return trigger.mode
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<start + needle.count]) == needle { return true }
        }
        return false
    }
}
