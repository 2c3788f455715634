import NIOCore
import Testing
@testable import VerbinderServer

/// When a connection is closed for idleness, a line that does not end, or answers nobody reads.
@Suite("Connection timeouts")
struct ConnectionTimeoutsTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func anIdleConnectionExpiresAfterTheIdleTimeSinceItsLastRequest() {
        var timeouts = ConnectionTimeouts(idleSeconds: 300, lineSeconds: 10, now: start)
        #expect(timeouts.nextDeadline(busy: false) == at(300))
        #expect(timeouts.expiry(at: at(299), busy: false) == nil)
        #expect(timeouts.expiry(at: at(300), busy: false) == "idle timeout")
        timeouts.lastActivity = at(200)
        #expect(timeouts.expiry(at: at(300), busy: false) == nil)
        #expect(timeouts.nextDeadline(busy: false) == at(500))
    }

    @Test func aBusyConnectionIsNotIdle() {
        let timeouts = ConnectionTimeouts(idleSeconds: 300, lineSeconds: 10, now: start)
        #expect(timeouts.nextDeadline(busy: true) == nil)
        #expect(timeouts.expiry(at: at(10_000), busy: true) == nil)
    }

    @Test func aLineThatDoesNotEndExpiresFirst() {
        var timeouts = ConnectionTimeouts(idleSeconds: 300, lineSeconds: 10, now: start)
        timeouts.partialSince = at(100)
        #expect(timeouts.nextDeadline(busy: false) == at(110))
        #expect(timeouts.expiry(at: at(110), busy: false)?.hasPrefix("line timeout") == true)
        // Even while a command runs: the line clock counts the client's bytes, not the daemon's work.
        #expect(timeouts.expiry(at: at(110), busy: true)?.hasPrefix("line timeout") == true)
    }

    @Test func answersNobodyReadsCountFromWhenTheyStartedToWait() {
        var timeouts = ConnectionTimeouts(idleSeconds: 300, lineSeconds: 10, now: start)
        timeouts.blockedSince = at(50)
        // Busy or not, the unread answers decide; the idle clock since the last request does not.
        #expect(timeouts.nextDeadline(busy: true) == at(350))
        #expect(timeouts.expiry(at: at(349), busy: false) == nil)
        #expect(timeouts.expiry(at: at(350), busy: false)?.hasPrefix("idle timeout: the client read none") == true)
    }
}
