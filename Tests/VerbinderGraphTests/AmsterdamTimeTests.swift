import Foundation
import Testing
@testable import VerbinderGraph

/// The Amsterdam wall clock of calendar files, around both clock changes and against the
/// system's time-zone data.
@Suite("Amsterdam time")
struct AmsterdamTimeTests {
    @Test func theClockChangesAtOneUTCOnTheLastSundays() {
        // 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        #expect(AmsterdamTime.wallTime(fromUTC: "20260329T005959Z") == "20260329T015959")
        #expect(AmsterdamTime.wallTime(fromUTC: "20260329T010000Z") == "20260329T030000")
        // 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 comes twice.
        #expect(AmsterdamTime.wallTime(fromUTC: "20261025T003000Z") == "20261025T023000")
        #expect(AmsterdamTime.wallTime(fromUTC: "20261025T005959Z") == "20261025T025959")
        #expect(AmsterdamTime.wallTime(fromUTC: "20261025T010000Z") == "20261025T020000")
        #expect(AmsterdamTime.wallTime(fromUTC: "20261025T013000Z") == "20261025T023000")
        // Ten o'clock in winter and in summer; a day boundary; a leap day; the last year.
        #expect(AmsterdamTime.wallTime(fromUTC: "20261124T090000Z") == "20261124T100000")
        #expect(AmsterdamTime.wallTime(fromUTC: "20260715T080000Z") == "20260715T100000")
        #expect(AmsterdamTime.wallTime(fromUTC: "20261231T233000Z") == "20270101T003000")
        #expect(AmsterdamTime.wallTime(fromUTC: "20280229T230000Z") == "20280301T000000")
        #expect(AmsterdamTime.wallTime(fromUTC: "99991231T220000Z") == "99991231T230000")
        // The first spring of the rule; 1995's autumn change was in September, so no wall time.
        #expect(AmsterdamTime.wallTime(fromUTC: "19960331T010000Z") == "19960331T030000")
        #expect(AmsterdamTime.wallTime(fromUTC: "19951001T090000Z") == nil)
        #expect(AmsterdamTime.wallTime(fromUTC: "20261124T0900Z") == nil)
        #expect(AmsterdamTime.wallTime(fromUTC: "20261324T090000Z") == nil)
    }

    @Test func agreesWithTheSystemTimeZoneDataEveryQuarterHourFor1996To2040() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Amsterdam"))
        let start = AmsterdamTime.days(year: 1996, month: 1, day: 1) * 86_400
        let end = AmsterdamTime.days(year: 2041, month: 1, day: 1) * 86_400
        var mismatches: [Int] = []
        for instant in stride(from: start, to: end, by: 900) {
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
            if AmsterdamTime.offset(utcSeconds: instant) != expected { mismatches.append(instant) }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(3))")
    }

    @Test func civilDatesRoundTrip() {
        let broken = stride(from: -25_567, to: 2_932_896, by: 97).filter { days in
            let date = AmsterdamTime.civil(days: days)
            return AmsterdamTime.days(year: date.year, month: date.month, day: date.day) != days
        }
        #expect(broken.isEmpty)
        #expect(AmsterdamTime.lastSunday(year: 2026, month: 3) == AmsterdamTime.days(year: 2026, month: 3, day: 29))
        #expect(AmsterdamTime.lastSunday(year: 2026, month: 10) == AmsterdamTime.days(year: 2026, month: 10, day: 25))
        #expect(AmsterdamTime.lastSunday(year: 2027, month: 3) == AmsterdamTime.days(year: 2027, month: 3, day: 28))
    }

    @Test func aCalendarWritesWallTimesWithTheirZone() {
        var calendar = ICalendar()
        calendar.add("DTSTART", amsterdamAt: AmsterdamTime.seconds(fromUTC: "20261124T090000Z")!)
        calendar.add("DTSTART", amsterdamAt: AmsterdamTime.seconds(fromUTC: "19900101T090000Z")!)
        calendar.add("DTSTART", amsterdamAt: AmsterdamTime.seconds(fromUTC: "20260715T080000Z")!)
        calendar.finish()
        let lines = calendar.lines
        #expect(lines.contains("DTSTART;TZID=Europe/Amsterdam:20260715T100000"))
        #expect(lines.contains("DTSTART;TZID=Europe/Amsterdam:20261124T100000"))
        #expect(lines.contains("DTSTART:19900101T090000Z"))
        let zone = ICalendar.amsterdamTimeZone
        #expect(zone.first == "BEGIN:VTIMEZONE" && zone.last == "END:VTIMEZONE" && zone.contains("TZID:Europe/Amsterdam"))
        #expect(zone.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU") && zone.contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
    }
}
