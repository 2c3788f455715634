import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import VerbinderCore
import VerbinderServer

/// The HTTP/1.1 listener (`verbinderd serve --http HOST:PORT`): swift-nio's HTTP codec parses,
/// ``WebApplication`` answers. Same process, same graph, same pool as the line protocol.
public final class WebServer: Sendable {
    private let application: WebApplication
    private let group: any EventLoopGroup
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    private let logger: Logger

    public init(services: Services, group: any EventLoopGroup) {
        self.application = WebApplication(services: services)
        self.group = group
        self.logger = services.logger
    }

    /// Binds and starts serving; returns the bound address (port 0 picks a free port).
    @discardableResult
    public func start(host: String, port: Int) async throws -> SocketAddress {
        let application = self.application
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    // An idle keep-alive connection is closed after a minute.
                    try sync.addHandler(IdleStateHandler(readTimeout: .seconds(60)))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(HTTPRequestHandler(application: application))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        logger.info("serving HTTP", metadata: ["http_address": "\(host):\(bound.localAddress?.port ?? 0)"])
        return bound.localAddress!
    }

    /// Stops accepting; requests in progress finish on their own connections.
    public func shutdown() async {
        let bound = channel.withLockedValue { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await bound?.close()
    }
}

/// One HTTP connection: collects a request (its body, which no route reads, is counted and
/// dropped), has it answered, writes the answer. The pipeline handler in front serializes
/// pipelined requests, so one request is in progress at a time.
final class HTTPRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let application: WebApplication
    /// The request being read: its head, and its body while it stays under ``maximumBody``.
    private let current = NIOLockedValueBox<(head: HTTPRequestHead, body: [UInt8], tooLarge: Bool)?>(nil)
    /// The login form is the only body read; anything larger is refused.
    static let maximumBody = 16 * 1024

    init(application: WebApplication) { self.application = application }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): current.withLockedValue { $0 = (head, [], false) }
        case .body(let buffer):
            current.withLockedValue { reading in
                guard reading != nil, !reading!.tooLarge else { return }
                if reading!.body.count + buffer.readableBytes > Self.maximumBody {
                    reading!.tooLarge = true
                    reading!.body = []
                } else {
                    reading!.body += buffer.readableBytesView
                }
            }
        case .end:
            guard let reading = current.withLockedValue({ reading in defer { reading = nil }; return reading }) else { return }
            let head = reading.head
            let request = WebRequest(method: head.method, target: head.uri, headers: head.headers,
                                     loopback: AccessControl.isLoopback(context.channel.remoteAddress), body: reading.body)
            let keepAlive = head.isKeepAlive && !reading.tooLarge
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let answer = reading.tooLarge
                ? context.eventLoop.makeSucceededFuture(WebResponse.text(.payloadTooLarge, "a request body has at most \(Self.maximumBody) bytes"))
                : application.respond(to: request, on: context.eventLoop)
            answer.hop(to: context.eventLoop).whenComplete { result in
                let response: WebResponse
                switch result {
                case .success(let answer): response = answer
                case .failure: response = .text(.internalServerError, "internal error")
                }
                Self.write(response, head: head, keepAlive: keepAlive, context: bound.value)
            }
        }
    }

    private static func write(_ response: WebResponse, head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(responseHead)), promise: nil)
        // HEAD and 304 carry the headers of the body, never the body.
        if head.method != .HEAD, response.status != .notModified, !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}
