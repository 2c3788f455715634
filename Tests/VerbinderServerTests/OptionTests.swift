import Testing
import VerbinderGraph
import VerbinderProtocol
@testable import VerbinderServer

/// Option types: each checks its values in one place with one error text, and the command table
/// checks a request's options by the types it declares (that each form's usage line names the
/// options it takes is `CommandOptionTests`).
@Suite("Option types")
struct OptionTests {
    static let table = CommandCatalog.table()

    static func message(_ spec: OptionSpec, _ text: String) -> String? {
        do {
            _ = try spec.check(text)
            return nil
        } catch {
            return "\(error.code.rawValue) \(error.message)"
        }
    }

    @Test func countsStartAtTheLowerBoundAndAreCappedAtTheTop() throws {
        let limit = OptionSpec.limit(1000)
        #expect(try limit.check("25") == .number(25))
        #expect(try limit.check("+25") == .number(25))
        #expect(try limit.check("5000") == .number(1000))
        // Too large for Int is still only "more than the maximum".
        #expect(try limit.check("99999999999999999999999") == .number(1000))
        for bad in ["0", "-3", "ten", "", "1.5", "+"] {
            #expect(Self.message(limit, bad) == "INVALID limit= must be a whole number from 1 to 1000", "\(bad)")
        }
    }

    @Test func levelsMustLieInTheirRange() throws {
        let depth = OptionSpec("depth", .level(1...3))
        #expect(try depth.check("3") == .number(3))
        #expect(Self.message(depth, "4") == "INVALID depth= must be 1 to 3")
        #expect(Self.message(depth, "x") == "INVALID depth= must be 1 to 3")
    }

    @Test func datesAndClearableDates() throws {
        #expect(try OptionSpec.date("from").check("2027-02-28") == .text("2027-02-28"))
        #expect(Self.message(.date("from"), "2027-02-30") == "INVALID from= must be a date YYYY-MM-DD from 1900 to 9999")
        #expect(Self.message(.date("from"), "") == "INVALID from= must be a date YYYY-MM-DD from 1900 to 9999")
        let validTo = OptionSpec("valid_to", .dateOrEmpty)
        #expect(try validTo.check("") == .cleared)
        #expect(Self.message(validTo, "tomorrow") == "INVALID valid_to= must be a date YYYY-MM-DD from 1900 to 9999")
    }

    @Test func closedVocabulariesInAnyCaseWithTheirThreeMessages() throws {
        #expect(try OptionSpec.choice("axis", Axis.self).check("VERTICAL") == .text("vertical"))
        #expect(Self.message(.choice("axis", Axis.self), "diagonal") == "INVALID axis=diagonal is not one of: \(Axis.allCases.map(\.rawValue).joined(separator: ", "))")
        // Quoted as a value is anywhere: only where it needs it.
        #expect(Self.message(.choice("role", StakeholderRole.self, .quoted), "a boss") == "INVALID role \"a boss\" is not one of: \(StakeholderRole.allCases.map(\.rawValue).joined(separator: ", "))")
        #expect(Self.message(.choice("role", StakeholderRole.self, .quoted), "boss")
            == "INVALID role boss is not one of: \(StakeholderRole.allCases.map(\.rawValue).joined(separator: ", "))")
        #expect(Self.message(.choice("state", ReminderState.self, .listed), "x")
            == "INVALID state= is one of: \(ReminderState.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    @Test func flagsDurationsDaysAndOffsets() throws {
        for yes in ["yes", "TRUE", "1"] { #expect(try OptionSpec.flag("strict").check(yes) == .flag(true)) }
        for no in ["no", "0", "", "ja"] { #expect(try OptionSpec.flag("strict").check(no) == .flag(false)) }

        let lease = OptionSpec("lease", .duration(default: "5m", seconds: 10...86_400, message: nil))
        #expect(try lease.check("2h") == .number(7200))
        #expect(lease.absentValue == .number(300))
        #expect(Self.message(lease, "2d") == "INVALID lease= is a duration like 5m (0m to 24h)")
        // More minutes than fit in seconds is out of range, not a trap.
        #expect(Self.message(lease, "99999999999999999h") == "INVALID lease= is a duration like 5m (0m to 24h)")
        #expect(Self.message(lease, "9999999999999999999999m") == "INVALID lease= is a duration like 5m (0m to 24h)")
        let length = OptionSpec("duration", .duration(default: "90m", seconds: 60...86_400, message: "duration= is like 90m or 2h, at most 24h"))
        #expect(Self.message(length, "0m") == "INVALID duration= is like 90m or 2h, at most 24h")

        let within = OptionSpec("within", .days(default: "14d"))
        #expect(try within.check("2w") == .number(14))
        #expect(within.absentValue == .number(14))
        #expect(Self.message(within, "36h") == "INVALID within= is a number of days like 14d or 2w")

        let remind = OptionSpec("remind", .reminderOffsets)
        #expect(try remind.check("0d, 2w,3d,14d") == .text("14d,3d,0d"))
        #expect(Self.message(remind, "soon") == "INVALID remind= is a list like 14d,3d,0d")

        #expect(try OptionSpec("via", .nodeKinds).check("Province,ministry") == .text("Province,ministry"))
        #expect(Self.message(OptionSpec("via", .nodeKinds), "region,city")?.hasPrefix("INVALID via=city is not a node kind (municipality, ") == true)
        #expect(Self.message(OptionSpec("milestone", .id("milestone")), "0") == "INVALID milestone id must be a positive number")
    }

    @Test func checkedOptionsGiveTypedValuesAndDefaults() throws {
        let command = try #require(Self.table.command(for: "REMINDERS"))
        let request = try #require(try Request.parse("REMINDERS CLAIM w1 limit=5000"))
        let options = try command.check(request, as: command.form(for: request))
        #expect(options.number("limit") == 1000)
        #expect(options.number("lease") == 300, "the declared default of a duration")
        #expect(options.given("lease") == false)

        let listing = try #require(try Request.parse("REMINDERS state=DEAD milestone=7"))
        let checked = try command.check(listing, as: command.form(for: listing))
        #expect(checked.choice("state", ReminderState.self) == .dead)
        #expect(checked.number("milestone") == 7)
    }

    @Test func theTableChecksNamesArityRequiredOptionsLengthAndTypesInThatOrder() throws {
        let trajectory = try #require(Self.table.command(for: "TRAJECTORY"))
        func error(_ line: String) -> String? {
            guard let request = try? Request.parse(line) else { return "unparsed" }
            do {
                _ = try trajectory.check(request, as: trajectory.form(for: request))
                return nil
            } catch {
                return "\(error.code.rawValue) \(error.message)"
            }
        }
        let usage = trajectory.subcommands[0].usage
        #expect(error("TRAJECTORY ADD t1 Twente lead=vng colour=red") == "USAGE unknown option colour=; usage: \(usage)")
        #expect(error("TRAJECTORY ADD t1 kind=codesign lead=vng") == "USAGE usage: \(usage)")
        #expect(error("TRAJECTORY ADD t1 Twente lead=vng") == "USAGE usage: \(usage)", "kind= is required")
        #expect(error("TRAJECTORY ADD t1 Twente kind=codesign lead=vng goal=\(String(repeating: "x", count: 4001))")
            == "TOOLONG goal= has at most 4000 characters")
        #expect(error("TRAJECTORY ADD t1 Twente kind=plan lead=vng") == "INVALID kind plan is not one of: \(TrajectoryKind.allCases.map(\.rawValue).joined(separator: ", "))")
        #expect(error("TRAJECTORY ADD t1 Twente kind=codesign lead=vng start=2027-13-01") == "INVALID start= must be a date YYYY-MM-DD from 1900 to 9999")
        #expect(error("TRAJECTORY ADD t1 Twente kind=codesign lead=vng start=2027-01-01") == nil)
    }
}
