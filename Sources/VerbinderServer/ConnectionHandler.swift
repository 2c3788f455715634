import Logging
import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderStore

/// Sent to every connection when the server stops: finish what was received, then close.
struct ShutdownEvent: Sendable {}

/// Runs one admitted connection (``AdmissionHandler`` decides which): greeting, then requests
/// strictly in order, one response each.
///
/// What the connection is doing, when it reads, when its timers run out and when it closes is
/// decided by a ``ConnectionStateMachine`` value; this class feeds it the channel's events and
/// carries out its actions (answer a line, flush, read, arm the timer, close). What stays here
/// is the I/O: parsing and dispatching a request, rendering answers into bytes, the timer
/// handle, and writing.
///
/// Commands answered from memory reply at once; database commands reply later, and while
/// one runs the following requests wait in the splitter, so pipelined responses keep request
/// order. Responses collect in one buffer that is written and flushed once per read burst,
/// not once per response: sixteen pipelined requests cost one write and one `writev`.
///
/// Back-pressure: the channel reads by itself (`autoRead`), and the handler holds a read back
/// (``read(context:)``) unless the channel is writable (less than the write buffer's
/// high-water mark unsent) and less than ``ConnectionStateMachine/inputLimit`` of received
/// requests wait, issuing it once they are; and it answers requests only while the channel is
/// writable. (Holding reads back, rather than turning `autoRead` off and asking for every
/// read, spares the common case two `epoll_ctl` calls per request and answer.) A client that
/// sends and never reads therefore costs the daemon at most about a read burst of requests
/// plus the high-water mark of answers, however much it sends; the rest waits in the kernel's
/// socket buffers and then in the client.
///
/// Timers: a started request line must end within the line timeout; a connection with
/// nothing to do is closed an idle timeout after its last complete request (or the end of its
/// last answer); one whose answers have waited an idle timeout for the client to read them is
/// closed too.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let services: Services
    private let dispatcher: CommandDispatcher
    private let registry: ChannelRegistry
    private var session: Session!
    private var logger: Logger
    private var machine: ConnectionStateMachine
    /// The id the ``AdmissionHandler`` counted this connection under.
    private var admittedID: UInt64?
    /// Responses not yet handed to the channel (written at the end of the read burst).
    private var outbound: ByteBuffer?
    /// The timer set for ``ConnectionStateMachine/timerDeadline``.
    private var timer: Scheduled<Void>?
    /// Inside ``drain(context:)``: a flush there may call back through
    /// `channelWritabilityChanged`, and the outer loop goes on where it is. (A guard of this
    /// interpreter's loop, not a state of the connection.)
    private var draining = false

    init(services: Services, table: CommandTable, registry: ChannelRegistry) {
        self.services = services
        self.dispatcher = CommandDispatcher(services: services, table: table)
        self.registry = registry
        self.logger = services.logger
        self.machine = ConnectionStateMachine(maximumLineLength: services.configuration.maxLineLength,
                                              idleSeconds: services.configuration.idleTimeoutSeconds,
                                              lineSeconds: services.configuration.lineTimeoutSeconds)
    }

    func channelActive(context: ChannelHandlerContext) {
        // Without an admission handler in front (not so in the server) the id is taken here.
        let id = admittedID ?? services.stats.nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
        let remote = context.remoteAddress.map(Self.describe) ?? "unknown"
        session = Session(id: id, remote: remote, language: services.configuration.language)
        session.isLoopback = AccessControl.isLoopback(context.remoteAddress)
        logger[metadataKey: "conn"] = "\(id)"
        logger.debug("connected", metadata: ["remote": "\(remote)"])
        var greeting = context.channel.allocator.buffer(capacity: 48)
        greeting.writeString("OK verbinder \(services.configuration.version) ready\(services.access.isProtected ? " protected=yes" : "")\n")
        context.writeAndFlush(wrapOutboundOut(greeting), promise: nil)
        context.fireChannelActive()
        run(machine.activated(now: .now(), active: context.channel.isActive, writable: context.channel.isWritable), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.deactivated()
        timer?.cancel()
        timer = nil
        if let session {
            session.end(services: services, eventLoop: context.eventLoop, logger: logger)
            logger.debug("disconnected")
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard machine.received(unwrapInboundIn(data)) else { return }
        drain(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        run(machine.readComplete(active: context.channel.isActive, writable: context.channel.isWritable), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            run(machine.inputEnded(), context: context)
        } else if event is ShutdownEvent {
            run(machine.shutdownRequested(), context: context)
        } else if let admitted = event as? ConnectionAdmitted {
            admittedID = admitted.id
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    /// The channel asks to read (after each burst, with `autoRead`): passed on when the
    /// connection can take more, held back otherwise.
    func read(context: ChannelHandlerContext) {
        if machine.readRequested(active: context.channel.isActive, writable: context.channel.isWritable) {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            run(machine.becameWritable(), context: context)
            if machine.releaseHeldRead(active: context.channel.isActive, writable: context.channel.isWritable) {
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Carrying out the state machine's actions

    private func run(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .keepOpen(let flush, let deadline, let read):
            if flush { flushNow(context: context) }
            if let deadline { armTimer(deadline, context: context) }
            if read { context.read() }
        case .drain(let flush):
            drain(context: context)
            if flush { flushIfNeeded(context: context) }
        case .resumeStream(let stream):
            pump(stream, context: context)
        case .closeAfterFlush:
            closeAfterFlush(context: context)
        case .close(let reason):
            logger.debug("\(reason)")
            context.close(promise: nil)
        case .scheduleQuietCheck:
            // Requests a client sent before the stop may still sit in the socket: keep reading
            // and answering until the connection has been quiet for a moment, then close.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: ConnectionStateMachine.quietCheckInterval) {
                let (handler, context) = bound.value
                handler.run(handler.machine.quietCheckFired(), context: context)
            }
        }
    }

    /// Answers the requests received, in order, while nothing runs and the client takes the
    /// answers; then decides about closing, the timers and reading more.
    private func drain(context: ChannelHandlerContext) {
        guard !draining else { return }  // the outer call goes on where it is
        draining = true
        defer { draining = false }
        var step = machine.nextStep(writable: context.channel.isWritable)
        loop: while true {
            switch step {
            case .answer(let line):
                handle(line, context: context)
                step = machine.nextStep(writable: context.channel.isWritable)
            case .flush:
                flushIfNeeded(context: context)
                step = machine.flushed(writable: context.channel.isWritable, now: .now())
            case .stop:
                break loop
            }
        }
        run(machine.drained(now: .now(), active: context.channel.isActive, writable: context.channel.isWritable), context: context)
    }

    /// Sets the timer for `deadline`, replacing the one set.
    private func armTimer(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            handler.run(handler.machine.timerFired(now: .now(), active: context.channel.isActive), context: context)
        }
    }

    // MARK: - Requests

    private func handle(_ line: InboundLine, context: ChannelHandlerContext) {
        let request: Request
        switch line {
        case .tooLong:
            machine.requestReceived()
            services.stats.commands.add(1, ordering: .relaxed)
            send(Response(error: ProtocolError(.tooLong, "request line longer than \(services.configuration.maxLineLength) bytes")), context: context)
            measure("unknown", code: ErrorCode.tooLong.rawValue, since: .now)
            return
        case .line(let buffer):
            do {
                // Contiguous bytes: parsing walks raw memory, not a ByteBufferView.
                guard let parsed = try buffer.withUnsafeReadableBytes({ bytes throws(ProtocolError) in try Request.parse(bytes) }) else { return }
                request = parsed
            } catch {
                machine.requestReceived()
                services.stats.commands.add(1, ordering: .relaxed)
                send(Response(error: error), context: context)
                measure("unknown", code: error.code.rawValue, since: .now)
                return
            }
        }
        machine.requestReceived()
        services.stats.commands.add(1, ordering: .relaxed)
        let started = ContinuousClock.now
        let verb = dispatcher.knows(request.verb) ? request.verb : "unknown"
        // BEGIN, COMMIT and ROLLBACK: their own error does not abort the batch.
        let controlsBatch = dispatcher.controlsBatch(request.verb)
        if let expired = session.expiredBatch, request.verb != "QUIT" {
            // The daemon rolled this connection's idle batch back: say so instead of running.
            session.expiredBatch = nil
            send(Response(error: ProtocolError(.conflict, expired)), controlsBatch: controlsBatch, context: context)
            measure(verb, code: ErrorCode.conflict.rawValue, since: started)
            return
        }
        session.batch?.lastActivity = .now()
        let reply = dispatcher.reply(to: request, session: session, eventLoop: context.eventLoop)
        switch reply {
        case .now(let response):
            send(response, controlsBatch: controlsBatch, context: context)
            measure(verb, response, since: started)
        case .stream(let stream):
            machine.streamStarted()
            // A stream is measured to its first chunk: after that its pace is the client's.
            measure(verb, code: "OK", since: started)
            pump(stream, context: context)
        case .later(let future):
            machine.commandStarted()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                handler.machine.commandAnswered(now: .now())
                switch result {
                case .success(let response):
                    handler.send(response, controlsBatch: controlsBatch, context: context)
                    handler.measure(verb, response, since: started)
                case .failure(let error):
                    let mapped = ErrorMapping.protocolError(error)
                    if mapped.code == .internalError { handler.logger.error("command failed: \(error)") }
                    handler.send(Response(error: mapped), controlsBatch: controlsBatch, context: context)
                    handler.measure(verb, code: mapped.code.rawValue, since: started)
                }
                handler.drain(context: context)
                handler.flushIfNeeded(context: context)
            }
        }
    }

    /// Counts an answered command for Prometheus.
    private func measure(_ verb: String, _ response: Response, since started: ContinuousClock.Instant) {
        switch response.outcome {
        case .success: measure(verb, code: "OK", since: started)
        case .failure(let error): measure(verb, code: error.code.rawValue, since: started)
        }
    }

    private func measure(_ verb: String, code: String, since started: ContinuousClock.Instant) {
        services.metrics.commandAnswered(verb: verb, code: code, duration: ContinuousClock.now - started)
    }

    /// Collects `response` for the client; `controlsBatch`: it answers BEGIN, COMMIT or ROLLBACK.
    private func send(_ response: Response, controlsBatch: Bool = false, context: ChannelHandlerContext) {
        // Any error inside BEGIN … COMMIT aborts the batch: COMMIT will then write nothing.
        if case .failure(let error) = response.outcome, let batch = session?.batch, !controlsBatch {
            batch.abort(error)
        }
        if outbound == nil { outbound = context.channel.allocator.buffer(capacity: 512) }
        response.write(to: &outbound!, format: session?.format ?? .text, language: session?.language ?? services.configuration.language)
        // A burst of large answers goes out in pieces rather than as one ever-growing buffer.
        if outbound!.readableBytes >= 64 * 1024 { writeOutbound(context: context) }
        run(machine.answerQueued(closesConnection: response.closesConnection), context: context)
    }

    /// Writes a stream's chunks while the socket takes them; when it is full, waits for
    /// `channelWritabilityChanged`. Memory held per connection stays at about the high-water mark.
    private func pump(_ stream: ResponseStream, context: ChannelHandlerContext) {
        while context.channel.isWritable {
            guard let chunk = stream.nextChunk() else {
                machine.streamEnded(now: .now())
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
        run(machine.streamBlocked(stream, now: .now()), context: context)
    }

    // MARK: - Writing

    /// Closes once everything written so far has reached the socket (a bare close would drop it).
    private func closeAfterFlush(context: ChannelHandlerContext) {
        writeOutbound(context: context)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if machine.takeUnflushed() { flushNow(context: context) }
    }

    private func flushNow(context: ChannelHandlerContext) {
        writeOutbound(context: context)
        context.flush()
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
