import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VerbinderClient

struct ViaResult {
    var status: Int32
    var stderr: [UInt8]
    var timedOut = false

    /// `exit N: first line of stderr` (or the signal, or the timeout).
    var errorText: String {
        var text: String
        if timedOut {
            text = "timed out"
        } else if status >= 128 {
            text = "killed by signal \(status - 128)"
        } else {
            text = "exit \(status)"
        }
        let first = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
            .first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if let first { text += ": " + first.trimmingCharacters(in: .whitespaces) }
        return String(ReminderMail.oneLine(text).prefix(300))
    }
}

/// Runs `/bin/sh -c COMMAND` with bytes on its standard input; collects its standard error
/// (its standard output is ours); calls `tick` about twice a second while it runs.
enum ViaCommand {
    static func run(_ command: String, input: [UInt8], environment: [String: String], timeoutSeconds: Double,
                    tick: () throws(ClientFailure) -> Void) throws(ClientFailure) -> ViaResult {
        var inPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0 else { throw ClientFailure("pipe(): \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            throw ClientFailure("pipe(): \(String(cString: strerror(errno)))")
        }
        // The child gets them as 0 and 2 (dup2 clears close-on-exec); no other copy may leak into it.
        for fd in inPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Its own process group, so a timeout ends the whole pipeline. It starts with no signal
        // blocked and SIGPIPE and SIGTERM at their defaults, whatever this process inherited
        // (a blocked or ignored SIGTERM would leave a hung command to SIGKILL 5 s later).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(inPipe[0])
        close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(errPipe[0])
            return ViaResult(status: 127, stderr: Array("cannot start /bin/sh: \(String(cString: strerror(spawned)))".utf8))
        }
        var writeFd: Int32 = inPipe[1], readFd: Int32 = errPipe[0]
        _ = fcntl(writeFd, F_SETFL, fcntl(writeFd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(readFd, F_SETFL, fcntl(readFd, F_GETFL) | O_NONBLOCK)
        defer {
            if writeFd >= 0 { close(writeFd) }
            if readFd >= 0 { close(readFd) }
        }
        var offset = 0
        var stderr: [UInt8] = []
        var exitStatus: Int32?
        let deadline = monotonicSeconds() + timeoutSeconds
        var killedAt: Double?
        var lastTick = monotonicSeconds()
        var chunk = [UInt8](repeating: 0, count: 4096)

        func drainStderr() {
            while readFd >= 0 {
                let count = chunk.withUnsafeMutableBytes { read(readFd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if stderr.count < 65536 { stderr += chunk[..<count] }
                    continue
                }
                if count < 0, errno == EINTR { continue }
                if count < 0, errno == EAGAIN { return }
                close(readFd)
                readFd = -1
            }
        }

        while true {
            if exitStatus == nil {
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid {
                    exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                }
            }
            if let exitStatus {
                // Whatever is left on stderr now; a grandchild that keeps it open is not waited for.
                drainStderr()
                return ViaResult(status: exitStatus, stderr: stderr, timedOut: killedAt != nil)
            }
            let now = monotonicSeconds()
            if now >= deadline {
                if killedAt == nil {
                    kill(-pid, SIGTERM)
                    killedAt = now
                } else if let killedAt, now - killedAt > 5 {
                    kill(-pid, SIGKILL)
                }
            }
            if now - lastTick >= 0.5 {
                try tick()
                lastTick = now
            }
            var fds: [pollfd] = []
            if writeFd >= 0 { fds.append(pollfd(fd: writeFd, events: Int16(POLLOUT), revents: 0)) }
            if readFd >= 0 { fds.append(pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)) }
            // Without pipes to watch, wait for the exit in short steps.
            if fds.isEmpty {
                usleep(20_000)
                continue
            }
            _ = poll(&fds, nfds_t(fds.count), 50)
            if writeFd >= 0 {
                while offset < input.count {
                    let count = input[offset...].withUnsafeBytes { systemWrite(writeFd, $0.baseAddress, $0.count) }
                    if count > 0 { offset += count; continue }
                    if count < 0, errno == EINTR { continue }
                    if count < 0, errno == EAGAIN { break }
                    offset = input.count // EPIPE: the command does not read (all of) its input
                }
                if offset >= input.count {
                    close(writeFd)
                    writeFd = -1
                }
            }
            drainStderr()
        }
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `verbinder reminders send`: claim, deliver through `--via`, ACK or RELEASE, renew leases.
