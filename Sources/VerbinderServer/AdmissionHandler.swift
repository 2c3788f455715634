import Logging
import NIOCore
import VerbinderCore
import VerbinderProtocol

/// Told to the ``ConnectionHandler`` (just before `channelActive`) when a connection is
/// admitted: the id it was counted under, which its session and log lines carry.
struct ConnectionAdmitted: Sendable {
    let id: UInt64
}

/// Sits in front of the ``ConnectionHandler`` and decides whether a connection is served at
/// all: it counts every connection (the total, the open ones, the open ones per address) and
/// refuses one over `maxConnections` or `maxConnectionsPerAddress` with `ERR BUSY`, or a
/// remote client in protected mode with `ERR DENIED`, then closes it. Only an admitted
/// connection reaches the connection handler (``ConnectionAdmitted``, then `channelActive`);
/// a refused one sends nothing on, and what its client sends is dropped. Every connection,
/// refused or not, is counted down when it closes.
///
/// Admission is kept out of the connection handler so that the handler's state is that of a
/// served connection only, and this rule (counting, refusing) is one place to read.
final class AdmissionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let services: Services
    /// The address this connection counts against, once counted (on `channelActive`).
    private var addressKey: String?
    /// The connection was refused: it is closing, and nothing goes to the connection handler.
    private var refused = false
    private var logger: Logger

    init(services: Services) {
        self.services = services
        self.logger = services.logger
    }

    func channelActive(context: ChannelHandlerContext) {
        // Refused connections take an id too, so ids number every connection accepted.
        let id = services.stats.nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
        logger[metadataKey: "conn"] = "\(id)"
        let open = services.stats.connections.wrappingAdd(1, ordering: .relaxed).newValue
        services.stats.connectionsTotal.add(1, ordering: .relaxed)
        let key = context.remoteAddress?.ipAddress ?? "unix"
        addressKey = key
        let fromAddress = services.perAddress.withLockedValue { counts -> Int in
            counts[key, default: 0] += 1
            return counts[key]!
        }
        guard let refusal = refusal(open: open, fromAddress: fromAddress, key: key, remote: context.remoteAddress) else {
            services.metrics.connectionsAccepted.increment()
            context.fireUserInboundEventTriggered(ConnectionAdmitted(id: id))
            context.fireChannelActive()
            return
        }
        refused = true
        services.metrics.connectionsRefused.increment()
        let remote = context.remoteAddress.map(ConnectionHandler.describe) ?? "unknown"
        logger.warning("refused: \(refusal.message)", metadata: ["remote": "\(remote)"])
        var buffer = context.channel.allocator.buffer(capacity: 512)
        Response(error: refusal, closesConnection: true).write(to: &buffer, format: .text, language: services.configuration.language)
        context.write(wrapOutboundOut(buffer), promise: nil)
        // Close once the refusal has reached the socket (a bare close would drop it).
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
        context.flush()
    }

    /// Why the connection is not served, or nil to serve it.
    private func refusal(open: Int, fromAddress: Int, key: String, remote: SocketAddress?) -> ProtocolError? {
        let configuration = services.configuration
        if open > configuration.maxConnections {
            return ProtocolError(.busy, "too many connections (\(configuration.maxConnections))")
        }
        if fromAddress > configuration.maxConnectionsPerAddress {
            return ProtocolError(.busy, "too many connections from \(key) (\(configuration.maxConnectionsPerAddress))")
        }
        if services.access.isProtected, !services.access.insecureOpen, !AccessControl.isLoopback(remote) {
            return ProtocolError(.denied, "protected mode: no tokens are defined, so only loopback clients are served (verbinderd token add)")
        }
        return nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !refused else { return }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A refused connection is closing already; the connection handler never started.
        if refused, event is ShutdownEvent || (event as? ChannelEvent) == .inputClosed { return }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let key = addressKey {
            addressKey = nil
            services.stats.connections.subtract(1, ordering: .relaxed)
            services.perAddress.withLockedValue { counts in
                counts[key, default: 1] -= 1
                if counts[key] == 0 { counts[key] = nil }
            }
        }
        if refused { logger.debug("disconnected") }
        context.fireChannelInactive()
    }
}
