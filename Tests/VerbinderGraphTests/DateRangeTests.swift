import Testing
@testable import VerbinderGraph

/// Issue 14, finding 6: dates in the years 1900 to 9999, offsets from -14:00 to +14:00.
@Suite struct DateRangeTests {
    @Test(arguments: ["1900-01-01", "2026-11-29", "2024-02-29", "9999-12-31"])
    func datesInRange(_ text: String) { #expect(Validation.isDate(text)) }

    @Test(arguments: ["0001-01-01", "0000-01-01", "1899-12-31", "10000-01-01", "2026-02-30", "+026-01-01", "2026-1-01", "2026-01-+1"])
    func datesOutOfRangeOrMalformed(_ text: String) { #expect(!Validation.isDate(text)) }

    @Test func dayNumbers() {
        #expect(Validation.dayNumber("1970-01-01") == 0)
        #expect(Validation.dayNumber("2000-03-01") == 11_017)
        #expect(Validation.dayNumber("1900-01-01") == -25_567)
    }

    @Test func offsets() {
        #expect(MeetingTime("2027-03-01T10:00+14:00") != nil)
        #expect(MeetingTime("2027-03-01T10:00-14:00") != nil)
        #expect(MeetingTime("2027-03-01T10:00Z")?.offset == "+00:00")
        for bad in ["+25:00", "+14:01", "-15:00", "+02:60", "+2:000", "+0a:00", "+02-00"] {
            #expect(MeetingTime("2027-03-01T10:00" + bad) == nil, "\(bad)")
        }
    }

    @Test func meetingsStayInsideTheYears() throws {
        let early = try #require(MeetingTime("1900-01-01T10:00+14:00"))
        #expect(!early.fits(minutes: 90))
        #expect(try #require(MeetingTime("1900-01-02T00:00")).fits(minutes: 90))
        #expect(try #require(MeetingTime("9999-12-30T22:30")).fits(minutes: 90))
        #expect(!(try #require(MeetingTime("9999-12-30T22:31")).fits(minutes: 90)))
        #expect(!(try #require(MeetingTime("9999-12-31T10:00")).fits(minutes: 1)))
    }

    @Test func hugeDurationsAreNoDurations() {
        #expect(Durations.minutes("999999999999999999h") == nil)
        #expect(Durations.days("9999999999999999d") == nil)
        #expect(Durations.minutes("2h") == 120)
    }
}
