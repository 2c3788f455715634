import Logging
import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderStore

/// Sent to every connection when the server stops: finish what was received, then close.
struct ShutdownEvent: Sendable {}

/// Runs one connection: greeting, then requests strictly in order, one response each.
///
/// Commands answered from memory reply at once; database commands reply later, and while
/// one runs the following requests wait in the splitter, so pipelined responses keep request
/// order. Responses collect in one buffer that is written and flushed once per read burst,
/// not once per response: sixteen pipelined requests cost one write and one `writev`.
///
/// Back-pressure: the channel reads by itself (`autoRead`), and the handler holds a read back
/// (``read(context:)``) unless the channel is writable (less than the write buffer's
/// high-water mark unsent) and less than ``inputLimit`` of received requests wait, issuing it
/// once they are; and it answers requests only while the channel is writable. (Holding reads
/// back, rather than turning `autoRead` off and asking for every read, spares the common case
/// two `epoll_ctl` calls per request and answer.) A client that sends and never reads therefore
/// costs the daemon at most about a read burst of requests plus the high-water mark of
/// answers, however much it sends; the rest waits in the kernel's socket buffers and then in
/// the client.
///
/// Timers: a started request line must end within the line timeout; a connection with
/// nothing to do is closed an idle timeout after its last complete request (or the end of its
/// last answer); one whose answers have waited an idle timeout for the client to read them is
/// closed too.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    /// A read the channel asked for and this handler holds back (see ``read(context:)``).
    private var readHeldBack = false

    private let services: Services
    private let dispatcher: CommandDispatcher
    private let registry: ChannelRegistry
    private var session: Session!
    private var logger: Logger
    private var splitter: LineSplitter
    private var busy = false
    /// The client half-closed: what is left in the splitter is a last request, even without LF.
    private var endOfInput = false
    /// Close once every request received is answered (half-close, or the server stopping).
    private var inputClosed = false
    /// Inside ``drain(context:)`` (a flush there may call back through `channelWritabilityChanged`).
    private var draining = false
    /// Set by ``handle(_:context:)`` for a line that is a request (not blank, not a comment).
    private var requestSeen = false
    /// The idle, line and unread-answer clocks.
    private var timeouts: ConnectionTimeouts
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var closing = false
    private var needsFlush = false
    /// Responses not yet handed to the channel (written at the end of the read burst).
    private var outbound: ByteBuffer?
    private var admitted = false
    /// The request being answered is BEGIN, COMMIT or ROLLBACK (its error does not abort the batch).
    private var requestControlsBatch = false
    /// The remote address this connection counts against.
    private var addressKey = ""
    /// The server is stopping: close once everything received is answered and the line is quiet.
    private var stopping = false
    private var readSinceCheck = false
    /// A streamed answer waiting for the socket to drain.
    private var streaming: ResponseStream?

    init(services: Services, table: CommandTable, registry: ChannelRegistry) {
        self.services = services
        self.dispatcher = CommandDispatcher(services: services, table: table)
        self.registry = registry
        self.logger = services.logger
        self.splitter = LineSplitter(maximumLength: services.configuration.maxLineLength)
        self.timeouts = ConnectionTimeouts(idleSeconds: services.configuration.idleTimeoutSeconds,
                                           lineSeconds: services.configuration.lineTimeoutSeconds)
    }

    func channelActive(context: ChannelHandlerContext) {
        let id = services.stats.nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
        let remote = context.remoteAddress.map(Self.describe) ?? "unknown"
        session = Session(id: id, remote: remote)
        session.isLoopback = AccessControl.isLoopback(context.remoteAddress)
        logger[metadataKey: "conn"] = "\(id)"
        let open = services.stats.connections.wrappingAdd(1, ordering: .relaxed).newValue
        services.stats.connectionsTotal.add(1, ordering: .relaxed)
        admitted = true
        addressKey = context.remoteAddress?.ipAddress ?? "unix"
        let fromAddress = services.perAddress.withLockedValue { counts -> Int in
            counts[addressKey, default: 0] += 1
            return counts[addressKey]!
        }
        let configuration = services.configuration
        var refusal: ProtocolError?
        if open > configuration.maxConnections {
            refusal = ProtocolError(.busy, "too many connections (\(configuration.maxConnections))")
        } else if fromAddress > configuration.maxConnectionsPerAddress {
            refusal = ProtocolError(.busy, "too many connections from \(addressKey) (\(configuration.maxConnectionsPerAddress))")
        } else if services.access.isProtected, !services.access.insecureOpen, !AccessControl.isLoopback(context.remoteAddress) {
            refusal = ProtocolError(.denied, "protected mode: no tokens are defined, so only loopback clients are served (verbinderd token add)")
        }
        if let refusal {
            logger.warning("refused: \(refusal.message)", metadata: ["remote": "\(remote)"])
            send(Response(error: refusal, closesConnection: true), context: context)
            context.flush()
            return
        }
        logger.debug("connected", metadata: ["remote": "\(remote)"])
        var greeting = context.channel.allocator.buffer(capacity: 48)
        greeting.writeString("OK verbinder \(configuration.version) ready\(services.access.isProtected ? " protected=yes" : "")\n")
        context.writeAndFlush(wrapOutboundOut(greeting), promise: nil)
        context.fireChannelActive()
        timeouts.lastActivity = .now()
        armTimer(context: context)
        readIfReady(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming = nil
        timer?.cancel()
        timer = nil
        if admitted {
            services.stats.connections.subtract(1, ordering: .relaxed)
            let key = addressKey
            services.perAddress.withLockedValue { counts in
                counts[key, default: 1] -= 1
                if counts[key] == 0 { counts[key] = nil }
            }
        }
        session?.end(services: services, eventLoop: context.eventLoop, logger: logger)
        admitted = false
        logger.debug("disconnected")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        readSinceCheck = true
        splitter.append(unwrapInboundIn(data))
        drain(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        readIfReady(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            endOfInput = true
            inputClosed = true
            drain(context: context)
        } else if event is ShutdownEvent {
            // Requests a client sent before the stop may still sit in the socket: keep reading
            // and answering until the connection has been quiet for a moment, then close.
            stopping = true
            scheduleQuietCheck(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    private func scheduleQuietCheck(context: ChannelHandlerContext) {
        readSinceCheck = false
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(150)) {
            let (handler, context) = bound.value
            guard !handler.closing else { return }
            if handler.readSinceCheck || handler.busy || handler.hasQueuedRequest() {
                handler.scheduleQuietCheck(context: context)
            } else {
                handler.inputClosed = true
                handler.drain(context: context)
            }
        }
    }

    // MARK: - Request processing

    /// Answers the requests received, in order, while nothing runs and the client takes the
    /// answers; then decides about closing, the timers and reading more.
    private func drain(context: ChannelHandlerContext) {
        guard !draining else { return }  // the outer call goes on where it is
        draining = true
        defer { draining = false }
        while !busy, !closing {
            if !context.channel.isWritable {
                // Answers wait to be sent: push them to the socket, and go on only if it took them.
                flushIfNeeded(context: context)
                if !context.channel.isWritable {
                    if timeouts.blockedSince == nil { timeouts.blockedSince = .now() }
                    break
                }
            }
            guard let line = splitter.nextLine() ?? (endOfInput ? splitter.finish() : nil) else { break }
            timeouts.partialSince = nil
            handle(line, context: context)
        }
        if requestSeen {
            requestSeen = false
            timeouts.lastActivity = .now()
        }
        guard !closing else { return }
        if !busy, timeouts.blockedSince == nil, !hasQueuedRequest() {
            if inputClosed {
                closing = true
                closeAfterFlush(context: context)
                return
            }
            // Waiting for the client: a line it has started must end within the line timeout.
            if splitter.holdsPartialLine {
                if timeouts.partialSince == nil { timeouts.partialSince = .now() }
            } else {
                timeouts.partialSince = nil
            }
        }
        armTimer(context: context)
        readIfReady(context: context)
    }

    /// A received request that has not been answered yet (a started line does not count).
    private func hasQueuedRequest() -> Bool {
        splitter.hasLine() || (endOfInput && splitter.holdsPartialLine)
    }

    /// Requests received and waiting in the splitter beyond which the connection stops reading.
    static let inputLimit = 64 * 1024

    /// Whether the connection can take more bytes: nothing closing, the answers flowing
    /// (channel writable), and few requests waiting.
    private func mayRead(context: ChannelHandlerContext) -> Bool {
        guard admitted, !closing, !inputClosed, !endOfInput, context.channel.isActive, context.channel.isWritable else { return false }
        return splitter.bufferedBytes < Self.inputLimit || !splitter.hasLine()
    }

    /// The channel asks to read (after each burst, with `autoRead`): passed on when the
    /// connection can take more, held back otherwise.
    func read(context: ChannelHandlerContext) {
        if mayRead(context: context) {
            readHeldBack = false
            context.read()
        } else {
            readHeldBack = true
        }
    }

    /// Issues a read held back earlier once the connection can take more.
    private func readIfReady(context: ChannelHandlerContext) {
        guard readHeldBack, mayRead(context: context) else { return }
        readHeldBack = false
        context.read()
    }

    // MARK: - Timers

    /// Schedules the timer for the next deadline unless it is already due by then (it looks
    /// again when it fires), so a busy connection does not reschedule per request.
    private func armTimer(context: ChannelHandlerContext) {
        guard admitted, !closing, let next = timeouts.nextDeadline(busy: busy) else { return }
        if let current = timerDeadline, current <= next { return }
        timer?.cancel()
        timerDeadline = next
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: next) {
            let (handler, context) = bound.value
            handler.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerDeadline = nil
        guard !closing, context.channel.isActive else { return }
        if let reason = timeouts.expiry(at: .now(), busy: busy) {
            logger.debug("\(reason)")
            closing = true
            context.close(promise: nil)
        } else {
            armTimer(context: context)
        }
    }

    private func handle(_ line: InboundLine, context: ChannelHandlerContext) {
        requestControlsBatch = false
        let request: Request
        switch line {
        case .tooLong:
            requestSeen = true
            services.stats.commands.add(1, ordering: .relaxed)
            send(Response(error: ProtocolError(.tooLong, "request line longer than \(services.configuration.maxLineLength) bytes")), context: context)
            return
        case .line(let buffer):
            do {
                // Contiguous bytes: parsing walks raw memory, not a ByteBufferView.
                guard let parsed = try buffer.withUnsafeReadableBytes({ bytes throws(ProtocolError) in try Request.parse(bytes) }) else { return }
                request = parsed
            } catch {
                requestSeen = true
                services.stats.commands.add(1, ordering: .relaxed)
                send(Response(error: error), context: context)
                return
            }
        }
        requestSeen = true
        services.stats.commands.add(1, ordering: .relaxed)
        requestControlsBatch = dispatcher.controlsBatch(request.verb)
        if let expired = session.expiredBatch, request.verb != "QUIT" {
            // The daemon rolled this connection's idle batch back: say so instead of running.
            session.expiredBatch = nil
            send(Response(error: ProtocolError(.conflict, expired)), context: context)
            return
        }
        session.batch?.lastActivity = .now()
        let reply = dispatcher.reply(to: request, session: session, eventLoop: context.eventLoop)
        switch reply {
        case .now(let response):
            send(response, context: context)
        case .stream(let stream):
            busy = true
            pump(stream, context: context)
        case .later(let future):
            busy = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                handler.busy = false
                handler.timeouts.lastActivity = .now()
                switch result {
                case .success(let response): handler.send(response, context: context)
                case .failure(let error):
                    let mapped = ErrorMapping.protocolError(error)
                    if mapped.code == .internalError { handler.logger.error("command failed: \(error)") }
                    handler.send(Response(error: mapped), context: context)
                }
                handler.drain(context: context)
                handler.flushIfNeeded(context: context)
            }
        }
    }

    private func send(_ response: Response, context: ChannelHandlerContext) {
        // Any error inside BEGIN … COMMIT aborts the batch: COMMIT will then write nothing.
        if case .failure(let error) = response.outcome, let batch = session?.batch, batch.failure == nil,
           !requestControlsBatch {
            batch.failure = error
        }
        if outbound == nil { outbound = context.channel.allocator.buffer(capacity: 512) }
        response.write(to: &outbound!, format: session?.format ?? .text)
        needsFlush = true
        // A burst of large answers goes out in pieces rather than as one ever-growing buffer.
        if outbound!.readableBytes >= 64 * 1024 { writeOutbound(context: context) }
        if response.closesConnection {
            closing = true
            closeAfterFlush(context: context)
        }
    }

    /// Writes a stream's chunks while the socket takes them; when it is full, waits for
    /// `channelWritabilityChanged`. Memory held per connection stays at about the high-water mark.
    private func pump(_ stream: ResponseStream, context: ChannelHandlerContext) {
        while context.channel.isWritable {
            guard let chunk = stream.nextChunk() else {
                streaming = nil
                busy = false
                timeouts.lastActivity = .now()
                send(Response(status: stream.status(stream.count)), context: context)
                drain(context: context)
                flushIfNeeded(context: context)
                return
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(chunk.count * 80)
            let format = session?.format ?? .text
            for record in chunk {
                format.write(record, into: &bytes)
                bytes.append(UInt8(ascii: "\n"))
            }
            stream.count += chunk.count
            writeOutbound(context: context)  // earlier answers first
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        streaming = stream
        if timeouts.blockedSince == nil { timeouts.blockedSince = .now() }
        armTimer(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timeouts.blockedSince = nil
            if let stream = streaming {
                streaming = nil
                pump(stream, context: context)
            } else {
                drain(context: context)
                flushIfNeeded(context: context)
            }
            readIfReady(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Closes once everything written so far has reached the socket (a bare close would drop it).
    private func closeAfterFlush(context: ChannelHandlerContext) {
        needsFlush = false
        writeOutbound(context: context)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            writeOutbound(context: context)
            context.flush()
        }
    }

    /// Hands the collected responses to the channel (without flushing).
    private func writeOutbound(context: ChannelHandlerContext) {
        if let buffer = outbound {
            outbound = nil
            if buffer.readableBytes > 0 { context.write(wrapOutboundOut(buffer), promise: nil) }
        }
    }

    static func describe(_ address: SocketAddress) -> String {
        switch address {
        case .v4, .v6: return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .unixDomainSocket: return "unix"
        }
    }
}
