#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import VerbinderCore
import VerbinderStore

/// Open connections, so a stopping server can tell each one to finish.
final class ChannelRegistry: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: any Channel]())

    func add(_ channel: any Channel) {
        channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    var all: [any Channel] { channels.withLockedValue { Array($0.values) } }
}

/// The TCP server: accepts connections and runs the line protocol on each.
public final class VerbinderServer: Sendable {
    public let services: Services
    private let group: any EventLoopGroup
    private let table: CommandTable
    private let registry = ChannelRegistry()
    private let serverChannel = NIOLockedValueBox<(any Channel)?>(nil)
    private let housekeeping = NIOLockedValueBox<RepeatedTask?>(nil)

    public init(services: Services, group: any EventLoopGroup) {
        self.services = services
        self.group = group
        self.table = CommandCatalog.table()
    }

    /// Binds and starts accepting; returns the bound address (port 0 picks a free port).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let configuration = services.configuration
        let services = self.services
        let table = self.table
        let registry = self.registry
        let tls = try VerbinderServer.tlsContext(configuration)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Back-pressure: a connection reads and answers only while less than 256 KiB of its
            // answers are unsent, and resumes below 64 KiB; so does a streamed answer (EXPORT).
            // The connection handler holds back the channel's reads while it must
            // (ConnectionHandler.read(context:)).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                registry.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    // Admission (counting, BUSY, protected mode) first: only admitted connections are served.
                    try sync.addHandler(AdmissionHandler(services: services))
                    try sync.addHandler(ConnectionHandler(services: services, table: table, registry: registry))
                }
            }

        let channel: any Channel
        if let path = configuration.unixSocketPath {
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            // Owner and group only: the socket is the door, its mode the lock.
            chmod(path, 0o660)
            services.logger.info("listening", metadata: ["address": "unix:\(path)"])
        } else {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            services.logger.info("listening", metadata: ["address": "\(configuration.host):\(channel.localAddress?.port ?? 0)"])
        }
        serverChannel.withLockedValue { $0 = channel }
        startHousekeeping()
        return channel.localAddress!
    }

    /// Once an hour, deletes the answers kept for `idem=` keys that are older than 24 hours
    /// (a lookup ignores them already; this keeps the table small).
    private func startHousekeeping() {
        let services = self.services
        let loop = group.next()
        let task = loop.scheduleRepeatedTask(initialDelay: .minutes(1), delay: .hours(1)) { _ in
            services.core.writes.purgeKeptAnswers { result in
                switch result {
                case .success(let purged): if purged > 0 { services.logger.info("purged expired idem keys", metadata: ["count": "\(purged)"]) }
                case .failure(let error): services.logger.warning("purging expired idem keys failed: \(error)")
                }
            }
        }
        housekeeping.withLockedValue { $0 = task }
    }

    /// The TLS context from the configured PEM files, or nil for plain TCP.
    static func tlsContext(_ configuration: ServerConfiguration) throws -> NIOSSLContext? {
        guard let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath else { return nil }
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: tls)
    }

    /// The bound port (after ``start()``).
    public var port: Int? { serverChannel.withLockedValue { $0?.localAddress?.port } }

    /// Stops accepting, lets every connection finish the requests it has received, then closes them.
    public func shutdown(grace: TimeAmount = .seconds(10)) async {
        let listener = serverChannel.withLockedValue { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await listener?.close()
        housekeeping.withLockedValue { $0?.cancel(); $0 = nil }
        let channels = registry.all
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ShutdownEvent())
        }
        let deadline = NIODeadline.now() + grace
        for channel in channels {
            let remaining = deadline - NIODeadline.now()
            let timeout = channel.eventLoop.scheduleTask(in: max(remaining, .zero)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            timeout.cancel()
        }
        services.logger.info("stopped accepting; all connections closed")
    }
}
