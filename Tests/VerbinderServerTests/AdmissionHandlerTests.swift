import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import VerbinderServer

/// Admission and the connection's end on `EmbeddedChannel`s sharing one set of services, built
/// as the server builds the pipeline: refusing over the cap and counting connections back
/// down, a half-closing client, a server stopping.
@Suite("Admission and closing in process")
struct AdmissionHandlerTests {
    /// Services with a cap of `maxConnections` (the rest as in ``ConnectionHandlerTests``).
    static func services(maxConnections: Int = 1024) -> Services {
        let base = ConnectionHandlerTests.services()
        var configuration = ServerConfiguration(maxConnections: maxConnections)
        configuration.language = .en
        configuration.maxConnectionsPerAddress = base.configuration.maxConnectionsPerAddress
        return Services(configuration: configuration, core: base.core, logger: base.logger)
    }

    static func connect(_ services: Services, from address: String = "127.0.0.1") throws -> (EmbeddedChannel, String) {
        let channel = EmbeddedChannel(handlers: [AdmissionHandler(services: services),
                                                 ConnectionHandler(services: services, table: CommandCatalog.table(), registry: ChannelRegistry())])
        try channel.connect(to: SocketAddress(ipAddress: address, port: 40_000)).wait()
        return (channel, try ConnectionHandlerTests.output(channel))
    }

    @Test func aConnectionOverTheCapIsRefusedAndEveryOneIsCountedDown() throws {
        let services = Self.services(maxConnections: 1)
        let (first, greeting) = try Self.connect(services)
        #expect(greeting.hasPrefix("OK verbinder "))
        let (second, refusal) = try Self.connect(services)
        #expect(refusal == "ERR BUSY too many connections (1)\n")
        #expect(!second.isActive)
        // The refused connection answers nothing it is sent.
        _ = try? second.writeInbound(ByteBuffer(string: "PING\n"))
        #expect(try ConnectionHandlerTests.output(second) == "")
        #expect(services.stats.openConnections == 1)
        try first.writeInbound(ByteBuffer(string: "PING\n"))
        #expect(try ConnectionHandlerTests.output(first) == "OK pong\n")
        _ = try first.finish()
        #expect(services.stats.openConnections == 0)
        #expect(services.perAddress.withLockedValue { $0.isEmpty })
        #expect(services.stats.connectionsTotal.load(ordering: .relaxed) == 2)
    }

    @Test func aHalfClosedClientGetsItsAnswersThenTheConnectionCloses() throws {
        let (channel, _) = try Self.connect(Self.services())
        try channel.writeInbound(ByteBuffer(string: "PING\nPING"))
        #expect(try ConnectionHandlerTests.output(channel) == "OK pong\n")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        // The line without LF is the last request.
        #expect(try ConnectionHandlerTests.output(channel) == "OK pong\n")
        #expect(!channel.isActive)
    }

    @Test func aStoppingServerAnswersWhatArrivesThenClosesWhenQuiet() throws {
        let (channel, _) = try Self.connect(Self.services())
        channel.pipeline.fireUserInboundEventTriggered(ShutdownEvent())
        try channel.writeInbound(ByteBuffer(string: "PING\n"))
        #expect(try ConnectionHandlerTests.output(channel) == "OK pong\n")
        // Bytes came since the stop: not quiet at the first check, closed at the second.
        channel.embeddedEventLoop.advanceTime(by: ConnectionStateMachine.quietCheckInterval)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: ConnectionStateMachine.quietCheckInterval)
        #expect(!channel.isActive)
    }
}
