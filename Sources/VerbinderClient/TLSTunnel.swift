#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// TLS for the client, in process (swift-nio-ssl): a connected TCP socket is wrapped in TLS on
/// a small event loop of its own, and the client gets the plain end of a socket pair, so the
/// rest of the client (poll, pipelining, the shell) is the same for plain and TLS connections.
///
/// The daemon's certificate must chain to the system's CAs, or to the file `caFile` names, and
/// must name the host connected to (a DNS name, or the IP address in its subject alternative
/// names). Nothing is sent before the handshake has succeeded.
enum TLSTunnel {
    /// One event-loop thread for every TLS connection of this process.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Wraps `socket` (connected to `host`) in TLS; returns the client's end of the tunnel,
    /// non-blocking. The socket is closed on failure.
    static func open(connectedSocket socket: Int32, host: String, caFile: String?,
                     timeoutSeconds: Int32) throws(ClientFailure) -> Int32 {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .file(caFile) }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            close(socket)
            throw ClientFailure("TLS: cannot use the CA file \(caFile ?? "of the system"): \(error)")
        }
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            close(socket)
            throw ClientFailure("socketpair(): \(String(cString: strerror(errno)))")
        }
        let loop = group.next()
        let handshake = loop.makePromise(of: Void.self)
        // An IP address is matched against the certificate's IP names, without SNI.
        let serverName = isIPAddress(host) ? nil : host
        do {
            let plain = try NIOPipeBootstrap(group: loop)
                .channelOption(.autoRead, value: false)
                .takingOwnershipOfDescriptor(inputOutput: pair[1]).wait()
            let secure: any Channel
            do {
                secure = try ClientBootstrap(group: loop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let operations = channel.pipeline.syncOperations
                            try operations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                            try operations.addHandler(HandshakeWatcher(handshake))
                            try operations.addHandler(Relay(to: plain))
                        }
                    }
                    .withConnectedSocket(socket).wait()
            } catch {
                plain.close(promise: nil)
                throw error
            }
            let timeout = loop.scheduleTask(in: .seconds(Int64(timeoutSeconds))) {
                handshake.fail(ClientFailure("the TLS handshake took longer than \(timeoutSeconds) s"))
            }
            defer { timeout.cancel() }
            do {
                try handshake.futureResult.wait()
            } catch {
                secure.close(promise: nil)
                plain.close(promise: nil)
                throw error
            }
            try plain.eventLoop.submit { try plain.pipeline.syncOperations.addHandler(Relay(to: secure)) }.wait()
            try plain.setOption(.autoRead, value: true).wait()
        } catch let failure as ClientFailure {
            close(pair[0])
            throw failure
        } catch {
            close(pair[0])
            throw ClientFailure("TLS connection to \(host) failed: \(error)")
        }
        _ = fcntl(pair[0], F_SETFD, fcntl(pair[0], F_GETFD) | FD_CLOEXEC)
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        return pair[0]
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Completes `promise` when the handshake succeeds, fails it when it does not.
    private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let promise: EventLoopPromise<Void>

        init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { promise.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.fireErrorCaught(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ClientFailure("the daemon closed the connection during the TLS handshake"))
            context.fireChannelInactive()
        }
    }

    /// Passes what one channel reads to the other; when one side ends, so does the other.
    private final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let peer: any Channel

        init(to peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
