import NIOCore
import Testing
@testable import VerbinderServer

/// The connection's state machine alone: events in, actions out, no channel, no clock (every
/// `now` is given). Each test plays the part of the connection handler: it answers the lines
/// the machine hands out and reports how.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static let idle: Int64 = 300
    static let line: Int64 = 30

    /// A machine for a connection that has just been greeted at `t0`.
    static func connected() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(maximumLineLength: 100, idleSeconds: idle, lineSeconds: line, now: t0)
        let onGreeting = machine.activated(now: t0, active: true, writable: true)
        #expect(onGreeting == .keepOpen(flush: false, timer: t0 + .seconds(idle), read: false))
        return machine
    }

    /// How the handler answers a line: `later` lines start database work, `stream` lines a
    /// stream, `QUIT` closes, anything else is answered at once.
    enum Answer { case now, later, stream, quit }

    static func answer(_ text: String) -> Answer {
        switch text {
        case "SLOW": return .later
        case "EXPORT": return .stream
        case "QUIT": return .quit
        default: return .now
        }
    }

    /// One drain loop as the handler runs it; returns the lines answered and the final action.
    /// The socket stays `writable`; a flush step does not change it.
    @discardableResult
    static func drain(_ machine: inout ConnectionStateMachine, now: NIODeadline = t0, writable: Bool = true,
                      stream: ResponseStream = ResponseStream(nextChunk: { nil }, status: { _ in .ok })) -> ([String], ConnectionStateMachine.Action) {
        var answered: [String] = []
        var step = machine.nextStep(writable: writable)
        loop: while true {
            switch step {
            case .answer(let line):
                guard case .line(let buffer) = line else { Issue.record("line too long"); break loop }
                let text = String(buffer: buffer)
                answered.append(text)
                machine.requestReceived()
                switch answer(text) {
                case .now: _ = machine.answerQueued(closesConnection: false)
                case .quit:
                    let action = machine.answerQueued(closesConnection: true)
                    #expect(action == .closeAfterFlush)
                case .later: machine.commandStarted()
                case .stream: machine.streamStarted()
                }
                step = machine.nextStep(writable: writable)
            case .flush:
                step = machine.flushed(writable: writable, now: now)
            case .stop:
                break loop
            }
        }
        return (answered, machine.drained(now: now, active: true, writable: writable))
    }

    @Test func pipelinedLinesAreAnsweredInOrder() {
        var machine = Self.connected()
        let tookFirst = machine.received(ByteBuffer(string: "PING\nSHOW a\n\nHELP PI"))
        #expect(tookFirst)
        #expect(Self.drain(&machine).0 == ["PING", "SHOW a", ""])
        // The started line waits for its end, under the line clock.
        #expect(machine.timeouts.partialSince == Self.t0)
        let endOfBurst = machine.readComplete(active: true, writable: true)
        #expect(endOfBurst == .keepOpen(flush: true, timer: nil, read: false))
        let tookSecond = machine.received(ByteBuffer(string: "NG\nQUIT\nPING\n"))
        #expect(tookSecond)
        let (answered, action) = Self.drain(&machine)
        #expect(answered == ["HELP PING", "QUIT"])
        #expect(action == .none)  // closing: the answer to QUIT is flushed and the connection closed
        #expect(machine.isClosing)
        let tookAfterQuit = machine.received(ByteBuffer(string: "PING\n"))
        #expect(!tookAfterQuit)
    }

    @Test func aLineWaitsWhileACommandRuns() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "SLOW\nPING\n"))
        #expect(Self.drain(&machine).0 == ["SLOW"])
        #expect(machine.state.isAnswering)
        // Nothing more is answered until the command's answer is in.
        #expect(Self.drain(&machine).0 == [])
        machine.commandAnswered(now: Self.t0 + .seconds(5))
        let answered = machine.answerQueued(closesConnection: false)
        #expect(answered == .none)
        #expect(Self.drain(&machine).0 == ["PING"])
        let mustFlush = machine.takeUnflushed()
        #expect(mustFlush)
        let mustFlushAgain = machine.takeUnflushed()
        #expect(!mustFlushAgain)
    }

    @Test func linesWaitingWhenTheClientWentAwayAreNotRun() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "PING\nSLOW\nLINK a b c\n"))
        #expect(Self.drain(&machine).0 == ["PING", "SLOW"])
        machine.deactivated()
        machine.commandAnswered(now: Self.t0 + .seconds(1))
        // In a batch, the LINK after it would have run outside it: the close rolled it back.
        #expect(Self.drain(&machine).0 == [])
    }

    @Test func halfCloseAnswersWhatWasReceivedThenCloses() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "PING\nSLOW\nPING\nLAST"))
        #expect(Self.drain(&machine).0 == ["PING", "SLOW"])
        let onHalfClose = machine.inputEnded()
        #expect(onHalfClose == .drain(flush: false))
        // The command still runs: nothing is answered, the connection stays open.
        let (none, waiting) = Self.drain(&machine)
        #expect(none == [])
        #expect(waiting != .closeAfterFlush)
        // No more reads once the input has ended.
        let readsAfterHalfClose = machine.readRequested(active: true, writable: true)
        #expect(!readsAfterHalfClose)
        machine.commandAnswered(now: Self.t0)
        _ = machine.answerQueued(closesConnection: false)
        let (answered, action) = Self.drain(&machine)
        #expect(answered == ["PING", "LAST"])  // the last line needs no LF
        #expect(action == .closeAfterFlush)
        #expect(machine.isClosing)
    }

    @Test func shutdownWhileAnsweringClosesAfterTheAnswer() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "SLOW\n"))
        Self.drain(&machine)
        let onShutdown = machine.shutdownRequested()
        #expect(onShutdown == .scheduleQuietCheck)
        // Busy: look again later.
        let whileBusy = machine.quietCheckFired()
        #expect(whileBusy == .scheduleQuietCheck)
        // A request that was on its way still arrives and is answered.
        _ = machine.received(ByteBuffer(string: "PING\n"))
        machine.commandAnswered(now: Self.t0)
        _ = machine.answerQueued(closesConnection: false)
        let (answered, action) = Self.drain(&machine)
        #expect(answered == ["PING"])
        #expect(action != .closeAfterFlush)
        // Bytes arrived since the last check: not quiet yet.
        let afterBytes = machine.quietCheckFired()
        #expect(afterBytes == .scheduleQuietCheck)
        // Quiet now: the input ends, and the drain that follows closes.
        let whenQuiet = machine.quietCheckFired()
        #expect(whenQuiet == .drain(flush: false))
        #expect(Self.drain(&machine).1 == .closeAfterFlush)
    }

    @Test func aLineWhileStreamingWaitsForTheStream() {
        var machine = Self.connected()
        let stream = ResponseStream(nextChunk: { nil }, status: { _ in .ok })
        _ = machine.received(ByteBuffer(string: "EXPORT\n"))
        #expect(Self.drain(&machine).0 == ["EXPORT"])
        // The socket is full: the stream waits, under the unread-answer clock.
        let blockedAt = Self.t0 + .seconds(1)
        let onFullSocket = machine.streamBlocked(stream, now: blockedAt)
        #expect(onFullSocket == .keepOpen(flush: false, timer: nil, read: false))
        #expect(machine.timeouts.blockedSince == blockedAt)
        _ = machine.received(ByteBuffer(string: "PING\n"))
        #expect(Self.drain(&machine).0 == [])
        let onRoom = machine.becameWritable()
        #expect(onRoom == .resumeStream(stream))
        #expect(machine.timeouts.blockedSince == nil)
        machine.streamEnded(now: Self.t0 + .seconds(2))
        _ = machine.answerQueued(closesConnection: false)
        #expect(Self.drain(&machine).0 == ["PING"])
    }

    @Test func aFullSocketStopsAnsweringAndReading() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "PING\nPING\n"))
        let whenFull = machine.nextStep(writable: false)
        #expect(whenFull.text == "flush")
        // The flush did not make room: wait for the client, holding reads back.
        let afterFlush = machine.flushed(writable: false, now: Self.t0)
        #expect(afterFlush.text == "stop")
        #expect(machine.timeouts.blockedSince == Self.t0)
        let readsWhileFull = machine.readRequested(active: true, writable: false)
        #expect(!readsWhileFull)
        #expect(machine.readHeldBack)
        let onRoom = machine.becameWritable()
        #expect(onRoom == .drain(flush: true))
        #expect(Self.drain(&machine).0 == ["PING", "PING"])
        let stillHeld = machine.releaseHeldRead(active: true, writable: true)
        #expect(!stillHeld)  // drained() passed it on
        #expect(!machine.readHeldBack)
    }

    @Test func readsAreHeldBackBeyondTheInputLimit() {
        var machine = ConnectionStateMachine(maximumLineLength: 100, idleSeconds: 300, lineSeconds: 30, now: Self.t0)
        // Not yet greeted: nothing is read.
        let readsBeforeGreeting = machine.readRequested(active: true, writable: true)
        #expect(!readsBeforeGreeting)
        _ = machine.activated(now: Self.t0, active: true, writable: true)
        let many = String(repeating: "PING\n", count: ConnectionStateMachine.inputLimit / 5 + 1)
        _ = machine.received(ByteBuffer(string: many))
        let readsOverLimit = machine.readRequested(active: true, writable: true)
        #expect(!readsOverLimit)
        Self.drain(&machine)
        let readsAfterAnswers = machine.readRequested(active: true, writable: true)
        #expect(readsAfterAnswers)
    }

    @Test func theTimerClosesAnIdleConnectionAndAStartedLine() {
        var machine = Self.connected()
        // Before the deadline: the timer is set again for it.
        let early = machine.timerFired(now: Self.t0 + .seconds(10), active: true)
        #expect(early == .keepOpen(flush: false, timer: Self.t0 + .seconds(Self.idle), read: false))
        let onTime = machine.timerFired(now: Self.t0 + .seconds(Self.idle), active: true)
        #expect(onTime == .close(reason: "idle timeout"))
        #expect(machine.isClosing)

        var partial = Self.connected()
        _ = partial.received(ByteBuffer(string: "SHOW"))
        // The line clock is earlier than the idle one, so the timer is moved forward.
        #expect(Self.drain(&partial).1 == .keepOpen(flush: false, timer: Self.t0 + .seconds(Self.line), read: false))
        if case .close(let reason) = partial.timerFired(now: Self.t0 + .seconds(Self.line), active: true) {
            #expect(reason.hasPrefix("line timeout"))
        } else {
            Issue.record("a started line did not time out")
        }
    }

    @Test func aRunningCommandIsNotIdle() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "SLOW\n"))
        Self.drain(&machine, now: Self.t0 + .seconds(1))
        let whileRunning = machine.timerFired(now: Self.t0 + .seconds(Self.idle + 5), active: true)
        #expect(whileRunning == .keepOpen(flush: false, timer: nil, read: false))
        #expect(!machine.isClosing)
    }

    @Test func aClosedChannelStopsTheTimersAndDropsAWaitingStream() {
        var machine = Self.connected()
        _ = machine.received(ByteBuffer(string: "EXPORT\n"))
        Self.drain(&machine)
        _ = machine.streamBlocked(ResponseStream(nextChunk: { nil }, status: { _ in .ok }), now: Self.t0)
        machine.deactivated()
        #expect(machine.isClosing)
        #expect(machine.timerDeadline == nil)
        let onRoom = machine.becameWritable()
        #expect(onRoom == .drain(flush: true))
    }
}

extension ConnectionStateMachine.State {
    /// Whether a command's answer is awaited (pattern matching reads badly inside `#expect`).
    var isAnswering: Bool {
        if case .answering = self { return true }
        return false
    }
}

extension ConnectionStateMachine.Step {
    /// The step as text, to compare (`InboundLine` is not `Equatable`).
    var text: String {
        switch self {
        case .flush: return "flush"
        case .stop: return "stop"
        case .answer(.line(let buffer)): return "answer " + String(buffer: buffer)
        case .answer(.tooLong): return "answer (too long)"
        }
    }
}
