import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Receives PostgreSQL notifications (`LISTEN`) on a connection of its own, on a thread of its own.
///
/// The thread polls the libpq socket, so no event loop ever blocks on it. When the
/// connection is lost it reconnects with back-off and calls `onConnect` again: the owner
/// must then reload whatever it caches, because notifications sent meanwhile are gone.
public final class Listener: Sendable {
    public typealias Handler = @Sendable (ChannelNotification) -> Void
    public typealias ConnectHandler = @Sendable (_ isReconnect: Bool) -> Void

    private let conninfo: String
    private let channels: [String]
    private let handler: Handler
    private let onConnect: ConnectHandler
    private let stopped = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - channels: channel names; plain identifiers (`[a-z_][a-z0-9_]*`) only, since LISTEN takes no parameters.
    public init(conninfo: String, channels: [String], onConnect: @escaping ConnectHandler, handler: @escaping Handler) {
        for channel in channels {
            precondition(channel.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) },
                         "channel names must be plain identifiers")
        }
        self.conninfo = conninfo
        self.channels = channels
        self.handler = handler
        self.onConnect = onConnect
    }

    /// Starts the listening thread.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "verbinder-listen"
        thread.start()
    }

    /// Asks the thread to stop; it notices within one poll interval.
    public func stop() { stopped.withLockedValue { $0 = true } }


    private func run() {
        var connection: Connection?
        var everConnected = false
        var backoff: UInt32 = 100_000
        while !stopped.withLockedValue({ $0 }) {
            if connection == nil {
                do {
                    let fresh = try Connection(conninfo)
                    for channel in channels { try fresh.query("LISTEN \(channel)") }
                    connection = fresh
                    onConnect(everConnected)
                    everConnected = true
                    backoff = 100_000
                } catch {
                    usleep(backoff)
                    backoff = min(backoff * 2, 2_000_000)
                    continue
                }
            }
            guard let live = connection else { continue }
            var descriptor = pollfd(fd: live.socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0 { continue }
            do {
                let notes = try live.consumeNotifications()
                if !live.isHealthy { throw PQError(kind: .connection, message: "connection lost") }
                for note in notes { handler(note) }
            } catch {
                live.close()
                connection = nil
            }
        }
        connection?.close()
    }
}
