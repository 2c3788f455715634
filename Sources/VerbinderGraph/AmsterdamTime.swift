/// Europe/Amsterdam wall-clock time for calendar files, computed without a time-zone database.
///
/// It follows the EU rule (CEST, +02:00, from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October; CET, +01:00, otherwise), which is the rule the
/// `VTIMEZONE` of `EXPORT ics` states. The Netherlands have kept it since 1996 (the autumn
/// change was in September before), so only instants from 1996 on are converted: for earlier
/// ones the rule, and so the calendar's own time zone, would give the wrong wall time.
public enum AmsterdamTime {
    /// The first year the rule holds for.
    public static let firstYear = 1996

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to the last Sunday of a month.
    static func lastSunday(year: Int, month: Int) -> Int {
        let last = (month == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: month + 1, day: 1)) - 1
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on a Sunday.
        let weekday = ((last + 4) % 7 + 7) % 7
        return last - weekday
    }

    /// The UTC offset in seconds at an instant (seconds since 1970-01-01T00:00Z): 7200 in
    /// summer time, 3600 otherwise.
    public static func offset(utcSeconds: Int) -> Int {
        let year = civil(days: floorDivide(utcSeconds, 86_400)).year
        let summerStarts = lastSunday(year: year, month: 3) * 86_400 + 3_600
        let summerEnds = lastSunday(year: year, month: 10) * 86_400 + 3_600
        return utcSeconds >= summerStarts && utcSeconds < summerEnds ? 7_200 : 3_600
    }

    /// The wall-clock seconds (since 1970-01-01T00:00 on that clock) of an instant; nil before
    /// ``firstYear``, on either clock.
    public static func wallSeconds(utcSeconds utc: Int) -> Int? {
        let local = utc + offset(utcSeconds: utc)
        guard civil(days: floorDivide(local, 86_400)).year >= firstYear, civil(days: floorDivide(utc, 86_400)).year >= firstYear else {
            return nil
        }
        return local
    }

    /// Appends `YYYYMMDDTHHMMSS` of `seconds` since 1970-01-01T00:00 (on whichever clock they count).
    public static func appendDateTime(_ seconds: Int, to bytes: inout [UInt8]) {
        let days = floorDivide(seconds, 86_400)
        appendDate(days: days, to: &bytes)
        let second = seconds - days * 86_400
        bytes.append(UInt8(ascii: "T"))
        appendDigits(second / 3600, 2, to: &bytes)
        appendDigits(second / 60 % 60, 2, to: &bytes)
        appendDigits(second % 60, 2, to: &bytes)
    }

    /// Appends `YYYYMMDD` of the day `days` after 1970-01-01.
    public static func appendDate(days: Int, to bytes: inout [UInt8]) {
        let date = civil(days: days)
        appendDigits(date.year, 4, to: &bytes)
        appendDigits(date.month, 2, to: &bytes)
        appendDigits(date.day, 2, to: &bytes)
    }

    /// `value` in decimal, zero-padded to `width` (wider when it needs more digits).
    private static func appendDigits(_ value: Int, _ width: Int, to bytes: inout [UInt8]) {
        guard value >= 0, value < 10_000 else {
            let text = String(value)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - text.utf8.count)))
            bytes.append(contentsOf: text.utf8)
            return
        }
        var divisor = width == 4 ? 1000 : 10
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// The wall time of an iCalendar UTC time: `20261124T090000Z` is `20261124T100000`, and
    /// `20260715T080000Z` is `20260715T100000`. Nil for another form, or before ``firstYear``.
    public static func wallTime(fromUTC text: String) -> String? {
        guard let utc = seconds(fromUTC: text) else { return nil }
        let local = utc + offset(utcSeconds: utc)
        let date = civil(days: floorDivide(local, 86_400))
        guard date.year >= firstYear, civil(days: floorDivide(utc, 86_400)).year >= firstYear else { return nil }
        let second = local - floorDivide(local, 86_400) * 86_400
        return pad(date.year, 4) + pad(date.month, 2) + pad(date.day, 2) + "T" + pad(second / 3600, 2) + pad(second / 60 % 60, 2) + pad(second % 60, 2)
    }

    /// Seconds since the epoch of `YYYYMMDDTHHMMSSZ`; nil for any other form.
    public static func seconds(fromUTC text: String) -> Int? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digits[index]) else { return nil }
                value = value * 10 + Int(digits[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
              let minute = number(11..<13), let second = number(13..<15),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
