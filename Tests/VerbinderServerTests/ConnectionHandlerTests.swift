import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import PQ
import Testing
import VerbinderCore
import VerbinderGraph
import VerbinderStore
@testable import VerbinderServer

/// The connection handler in process, on an `EmbeddedChannel`: bytes in, answers out, with the
/// services behind it and no socket. Commands answered from memory need no database; the
/// pool points nowhere and is never asked.
@Suite("Connection handler in process")
struct ConnectionHandlerTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func services() -> Services {
        let graph = Graph(nodes: [
            Node(key: "GM0153", kind: .municipality, name: "Enschede", tier: .local),
            Node(key: "CR12", kind: .region, name: "Twente"),
            Node(key: "vng", kind: .vng, name: "VNG"),
        ], relations: [
            Relation(from: "GM0153", kind: .memberOf, to: "CR12"),
            Relation(from: "GM0153", kind: .memberOf, to: "vng"),
        ])
        let nowhere = "host=/nonexistent port=1 dbname=none connect_timeout=1"
        let live = LiveGraph(graph)
        let logger = Logger(label: "test")
        let core = UseCases(pool: ConnectionPool(conninfo: nowhere, maxConnections: 1, eventLoopGroup: group), graph: live,
                            sync: GraphSync(graph: live, conninfo: nowhere, locks: KeyLocks(), logger: logger),
                            access: AccessControl(), probe: DatabaseProbe(conninfo: nowhere))
        var configuration = ServerConfiguration()
        configuration.language = .en
        return Services(configuration: configuration, core: core, logger: logger)
    }

    /// A connected channel (admission, then the connection handler, as the server builds it)
    /// with the greeting read; `from` is the client's address.
    static func channel(from address: String = "127.0.0.1") throws -> (EmbeddedChannel, String) {
        let services = Self.services()
        let channel = EmbeddedChannel(handlers: [AdmissionHandler(services: services),
                                                 ConnectionHandler(services: services, table: CommandCatalog.table(), registry: ChannelRegistry())])
        try channel.connect(to: SocketAddress(ipAddress: address, port: 40_000)).wait()
        return (channel, try output(channel))
    }

    static func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { text += buffer.readString(length: buffer.readableBytes) ?? "" }
        return text
    }

    @Test func pipelinedRequestsAreAnsweredInOrderFromMemory() throws {
        let (channel, greeting) = try Self.channel()
        #expect(greeting.hasPrefix("OK verbinder ") && greeting.hasSuffix("ready protected=yes\n"))
        // Two requests in one read, the third split across reads, a comment and a blank line between.
        try channel.writeInbound(ByteBuffer(string: "PING\nSHOW gm0153\n# note\n\nHELP PI"))
        try channel.writeInbound(ByteBuffer(string: "NG\nFROB\nSHOW\n"))
        let lines = try Self.output(channel).split(separator: "\n").map(String.init)
        #expect(lines.first == "OK pong")
        #expect(lines[1].hasPrefix("node key=GM0153 kind=municipality name=Enschede"))
        #expect(lines.contains("OK links=2"))
        #expect(lines.contains { $0.hasPrefix("command name=PING usage=PING") })
        #expect(Array(lines.suffix(3)) == ["OK commands=1", "ERR UNKNOWN no such command FROB (try HELP)", "ERR USAGE usage: SHOW <node>"])
        _ = try channel.finish()
    }

    @Test func aRemoteClientIsRefusedInProtectedMode() throws {
        let (channel, greeting) = try Self.channel(from: "192.0.2.7")
        #expect(greeting.hasPrefix("ERR DENIED protected mode"))
        #expect(!channel.isActive)
    }

    @Test func anOverlongLineIsRefusedAndTheConnectionStaysUsable() throws {
        let (channel, _) = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "SHOW " + String(repeating: "x", count: 9000) + "\nPING\n"))
        let lines = try Self.output(channel).split(separator: "\n").map(String.init)
        #expect(lines == ["ERR TOOLONG request line longer than 8192 bytes", "OK pong"])
        _ = try channel.finish()
    }
}
