import NIOCore

/// The state of one admitted connection as a value: what it is doing with the requests it
/// received, whether more may come, the timers and the held-back read. Events go in (bytes
/// received, an answer ready, the client half-closing, the server stopping, the socket
/// draining, a timer firing); what the connection handler is to do comes out as an
/// ``Action`` or a ``Step``. No channel, no timer and no clock of its own (the handler passes
/// `now` and what the channel says), so every rule is tested alone
/// (`ConnectionStateMachineTests`), the way postgres-nio keeps its connection's state.
///
/// The handler answers requests in a loop ("drain"): it asks ``nextStep(writable:)`` for the
/// next line, answers it and reports how (``requestReceived()``, ``answerQueued(closesConnection:)``,
/// ``commandStarted()``, ``streamStarted()``), until the step is ``Step/stop``; then
/// ``drained(now:active:writable:)`` says whether to close or what to wait for.
struct ConnectionStateMachine {
    /// What the connection is doing with the requests it received. One answer at a time:
    /// while a command runs or a stream is written, the following requests wait in the
    /// splitter, so answers keep request order.
    enum State {
        /// No answer outstanding: received requests are answered as they come.
        case idle
        /// A command's answer is on its way (database work); it ends with ``commandAnswered(now:)``.
        case answering
        /// A streamed answer is being written, a chunk at a time, while the socket takes it.
        case streaming
        /// A streamed answer waits for the socket to drain (the channel is not writable);
        /// ``becameWritable()`` hands it back.
        case streamWaiting(ResponseStream)
        /// The connection is being closed: nothing more is read, answered or timed.
        case closing
    }

    /// Whether more requests may come. Separate from ``State``: the client or the server may
    /// end the input while an answer runs, and the connection closes only after it.
    enum Input {
        /// The client may send more.
        case open
        /// The server is stopping: requests a client sent before the stop may still be on
        /// their way, so the connection keeps reading until a quiet check finds no new bytes,
        /// nothing running and nothing waiting. `readSinceCheck`: bytes arrived since the last check.
        case stopping(readSinceCheck: Bool)
        /// No more requests: the connection closes once every one received is answered.
        /// `halfClosed`: the client shut its side, so bytes left without LF are a last request.
        case ended(halfClosed: Bool)
    }

    /// What the handler does after an event.
    enum Action {
        /// Nothing.
        case none
        /// Stay open: flush the collected answers if `flush`, (re)arm the timer for `timer` if
        /// given (cancelling the one set), pass on a held-back read if `read`.
        case keepOpen(flush: Bool, timer: NIODeadline?, read: Bool)
        /// Answer what waits (the drain loop), then flush the collected answers if `flush`.
        case drain(flush: Bool)
        /// Go on writing the stream the socket had no room for.
        case resumeStream(ResponseStream)
        /// Hand everything collected to the socket, then close (a bare close would drop it).
        case closeAfterFlush
        /// Close at once: a timeout ran out (`reason`, for the log).
        case close(reason: String)
        /// Look again in ``quietCheckInterval`` whether a stopping connection has gone quiet
        /// (``quietCheckFired()``).
        case scheduleQuietCheck
    }

    /// One step of the drain loop.
    enum Step {
        /// Answer this line, then ask for the next step.
        case answer(InboundLine)
        /// The socket is full: flush the collected answers, then ask ``flushed(writable:now:)``.
        case flush
        /// Nothing more to answer now.
        case stop
    }

    /// Requests received and waiting in the splitter beyond which the connection stops reading.
    static let inputLimit = 64 * 1024
    /// How often a stopping connection looks whether it has gone quiet.
    static let quietCheckInterval = TimeAmount.milliseconds(150)

    private(set) var state: State = .idle
    private(set) var input: Input = .open
    /// Received bytes, split into request lines.
    private(set) var splitter: LineSplitter
    /// The idle, line and unread-answer clocks.
    private(set) var timeouts: ConnectionTimeouts
    /// Between ``activated(now:active:writable:)`` and ``deactivated()``. Orthogonal to
    /// ``state``: a command that was running when the client went away still completes, but
    /// the requests received after it are not run (nobody would read their answers, and with
    /// a batch open they would run outside it: closing the connection rolled it back), and
    /// nothing is read or timed any more.
    private(set) var live = false
    /// The channel asked for a read and it was held back (see ``readRequested(active:writable:)``).
    /// Orthogonal: the channel asks whatever the connection is doing.
    private(set) var readHeldBack = false
    /// Answers were collected or written since the last flush. Orthogonal: answers are
    /// collected in every state, and flushed once per burst.
    private(set) var unflushed = false
    /// When the handler's timer fires, if one is set.
    private(set) var timerDeadline: NIODeadline?
    /// A request (not a blank line or comment) was taken in the current drain.
    private var requestSeen = false

    init(maximumLineLength: Int, idleSeconds: Int64, lineSeconds: Int64, now: NIODeadline = .now()) {
        splitter = LineSplitter(maximumLength: maximumLineLength)
        timeouts = ConnectionTimeouts(idleSeconds: idleSeconds, lineSeconds: lineSeconds, now: now)
    }

    /// A command or a stream is answering (the requests after it wait).
    var isBusy: Bool {
        switch state {
        case .answering, .streaming, .streamWaiting: return true
        case .idle, .closing: return false
        }
    }

    var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    private var isHalfClosed: Bool {
        if case .ended(halfClosed: true) = input { return true }
        return false
    }

    /// A received request that has not been answered yet (a started line does not count,
    /// unless the client half-closed: then it is the last request).
    mutating func hasQueuedRequest() -> Bool {
        splitter.hasLine() || (isHalfClosed && splitter.holdsPartialLine)
    }

    // MARK: - Life

    /// The connection was admitted and greeted: the idle clock starts.
    mutating func activated(now: NIODeadline, active: Bool, writable: Bool) -> Action {
        live = true
        timeouts.lastActivity = now
        return .keepOpen(flush: false, timer: timerToArm(), read: releaseHeldRead(active: active, writable: writable))
    }

    /// The channel closed: no more reads or timers (the handler cancels the one set). A stream
    /// waiting for the socket is dropped; it never resumes.
    mutating func deactivated() {
        live = false
        timerDeadline = nil
        if case .streamWaiting = state { state = .closing }
    }

    // MARK: - Input

    /// Bytes arrived. False while closing: they are dropped and nothing is to be answered.
    mutating func received(_ bytes: ByteBuffer) -> Bool {
        guard !isClosing else { return false }
        if case .stopping = input { input = .stopping(readSinceCheck: true) }
        splitter.append(bytes)
        return true
    }

    /// The end of a read burst: flush the answers it produced, and read on if allowed.
    mutating func readComplete(active: Bool, writable: Bool) -> Action {
        .keepOpen(flush: takeUnflushed(), timer: nil, read: releaseHeldRead(active: active, writable: writable))
    }

    /// The client half-closed: answer what it sent (a last line may lack its LF), then close.
    mutating func inputEnded() -> Action {
        input = .ended(halfClosed: true)
        return .drain(flush: false)
    }

    /// The server is stopping: finish what was received, then close once the line is quiet.
    mutating func shutdownRequested() -> Action {
        switch input {
        case .open, .stopping:
            input = .stopping(readSinceCheck: false)
            return .scheduleQuietCheck
        case .ended:
            return .none  // closes once everything received is answered anyway
        }
    }

    /// A quiet check: still reading or answering, look again; otherwise end the input.
    mutating func quietCheckFired() -> Action {
        guard !isClosing, case .stopping(let readSinceCheck) = input else { return .none }
        if readSinceCheck || isBusy || hasQueuedRequest() {
            input = .stopping(readSinceCheck: false)
            return .scheduleQuietCheck
        }
        input = .ended(halfClosed: false)
        return .drain(flush: false)
    }

    // MARK: - Reading

    /// Whether the connection can take more bytes: nothing closing, the input open, the
    /// answers flowing (channel writable), and few requests waiting.
    private mutating func mayRead(active: Bool, writable: Bool) -> Bool {
        guard live, !isClosing, active, writable else { return false }
        if case .ended = input { return false }
        return splitter.bufferedBytes < Self.inputLimit || !splitter.hasLine()
    }

    /// The channel asks to read (after each burst, with `autoRead`): true to pass it on,
    /// false to hold it back until the connection can take more.
    mutating func readRequested(active: Bool, writable: Bool) -> Bool {
        let allowed = mayRead(active: active, writable: writable)
        readHeldBack = !allowed
        return allowed
    }

    /// True once a held-back read may go on (the handler issues it).
    mutating func releaseHeldRead(active: Bool, writable: Bool) -> Bool {
        guard readHeldBack, mayRead(active: active, writable: writable) else { return false }
        readHeldBack = false
        return true
    }

    // MARK: - Answering

    /// The next step of the drain loop.
    mutating func nextStep(writable: Bool) -> Step {
        guard case .idle = state else { return .stop }
        // Answers wait to be sent: push them to the socket first, and go on only if it took them.
        guard writable else { return .flush }
        return takeLine()
    }

    /// After a ``Step/flush``: go on if the socket took the answers, else wait for it.
    mutating func flushed(writable: Bool, now: NIODeadline) -> Step {
        guard writable else {
            if timeouts.blockedSince == nil { timeouts.blockedSince = now }
            return .stop
        }
        return takeLine()
    }

    private mutating func takeLine() -> Step {
        guard live, let line = splitter.nextLine() ?? (isHalfClosed ? splitter.finish() : nil) else { return .stop }
        timeouts.partialSince = nil
        return .answer(line)
    }

    /// The line being answered is a request (not blank, not a comment): it counts as activity.
    mutating func requestReceived() {
        requestSeen = true
    }

    /// An answer was collected for the client. One that closes the connection (QUIT, BUSY)
    /// closes it once it is sent.
    mutating func answerQueued(closesConnection: Bool) -> Action {
        unflushed = true
        guard closesConnection else { return .none }
        state = .closing
        unflushed = false
        return .closeAfterFlush
    }

    /// The request being answered started database work: the requests after it wait.
    mutating func commandStarted() {
        state = .answering
    }

    /// The database work ended (its answer follows with ``answerQueued(closesConnection:)``);
    /// the idle clock starts again from here.
    mutating func commandAnswered(now: NIODeadline) {
        if case .answering = state { state = .idle }
        timeouts.lastActivity = now
    }

    /// The request being answered streams its answer: the requests after it wait.
    mutating func streamStarted() {
        state = .streaming
    }

    /// The socket has no room for the next chunk: the stream waits for ``becameWritable()``,
    /// and the unread-answer clock runs.
    mutating func streamBlocked(_ stream: ResponseStream, now: NIODeadline) -> Action {
        if case .streaming = state { state = .streamWaiting(stream) }
        if timeouts.blockedSince == nil { timeouts.blockedSince = now }
        return .keepOpen(flush: false, timer: timerToArm(), read: false)
    }

    /// The stream has sent its last chunk (its status line follows).
    mutating func streamEnded(now: NIODeadline) {
        if case .streaming = state { state = .idle }
        timeouts.lastActivity = now
    }

    /// The drain loop stopped: close if the input has ended and everything is answered;
    /// otherwise start the line clock for a started line, and say what to wait for.
    mutating func drained(now: NIODeadline, active: Bool, writable: Bool) -> Action {
        if requestSeen {
            requestSeen = false
            timeouts.lastActivity = now
        }
        guard !isClosing else { return .none }
        if !isBusy, timeouts.blockedSince == nil, !hasQueuedRequest() {
            if case .ended = input {
                state = .closing
                unflushed = false
                return .closeAfterFlush
            }
            // Waiting for the client: a line it has started must end within the line timeout.
            if splitter.holdsPartialLine {
                if timeouts.partialSince == nil { timeouts.partialSince = now }
            } else {
                timeouts.partialSince = nil
            }
        }
        return .keepOpen(flush: false, timer: timerToArm(), read: releaseHeldRead(active: active, writable: writable))
    }

    /// The socket took the answers that waited: a waiting stream goes on, otherwise the
    /// requests that waited are answered.
    mutating func becameWritable() -> Action {
        timeouts.blockedSince = nil
        if case .streamWaiting(let stream) = state {
            state = .streaming
            return .resumeStream(stream)
        }
        return .drain(flush: true)
    }

    /// True if answers were collected since the last flush; the handler flushes them now.
    mutating func takeUnflushed() -> Bool {
        defer { unflushed = false }
        return unflushed
    }

    // MARK: - Timers

    /// The deadline to set the timer for, or nil to leave it: none applies, or the one set is
    /// due no later (it looks again when it fires), so a busy connection does not reschedule
    /// per request.
    private mutating func timerToArm() -> NIODeadline? {
        guard live, !isClosing, let next = timeouts.nextDeadline(busy: isBusy) else { return nil }
        if let current = timerDeadline, current <= next { return nil }
        timerDeadline = next
        return next
    }

    /// The timer fired: close if a rule ran out, else set it for the next deadline.
    mutating func timerFired(now: NIODeadline, active: Bool) -> Action {
        timerDeadline = nil
        guard !isClosing, active else { return .none }
        if let reason = timeouts.expiry(at: now, busy: isBusy) {
            state = .closing
            return .close(reason: reason)
        }
        return .keepOpen(flush: false, timer: timerToArm(), read: false)
    }
}

extension ConnectionStateMachine.Action: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none), (.closeAfterFlush, .closeAfterFlush), (.scheduleQuietCheck, .scheduleQuietCheck): return true
        case let (.keepOpen(f1, t1, r1), .keepOpen(f2, t2, r2)): return f1 == f2 && t1 == t2 && r1 == r2
        case let (.drain(f1), .drain(f2)): return f1 == f2
        case let (.resumeStream(s1), .resumeStream(s2)): return s1 === s2
        case let (.close(r1), .close(r2)): return r1 == r2
        default: return false
        }
    }
}
