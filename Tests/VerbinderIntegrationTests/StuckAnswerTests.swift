import Foundation
import PQ
import Testing

/// Answers that used to leave the user stuck (issue 17, point 5): why `PATH` found nothing,
/// whom `MEETING PLAN` proposes, a meeting "held" before it starts, a wall-clock time that
/// does not exist, and the list of all nodes of a kind.
@Suite("Answers a user can act on")
struct StuckAnswerTests {
    /// The Amsterdam date `days` from today, as PostgreSQL (the daemon's clock) sees it.
    func amsterdamDay(_ db: Connection, _ days: Int) throws -> String {
        try db.query("SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + $1::int)::text", [String(days)])[0].string(0)
    }

    @Test func pathNamesTheEndWithoutRelations() throws {
        let (daemon, client, _) = try freshSeededDaemon("stuck-path")
        #expect(try client.request("ADD ministry \"Ministerie van Proef\" key=proef").status == "OK key=proef")
        #expect(try client.request("PATH GM1731 proef").status == "ERR NOPATH proef has no relations")
        #expect(try client.request("PATH proef GM1731 max=12").status == "ERR NOPATH proef has no relations")
        // An end with relations, but none on the axis asked for.
        #expect(try client.request("ADD network \"Proefnetwerk\" key=proefnet").status == "OK key=proefnet")
        #expect(try client.request("LINK GM1731 member_of proefnet").status.hasPrefix("OK"))
        #expect(try client.request("PATH proefnet vws axis=vertical").status == "ERR NOPATH proefnet has no vertical relations")
        // Both ends connected, but not within max=: the general answer.
        #expect(try client.request("PATH proefnet vws max=1").status == "ERR NOPATH no path within 1 hops")
        #expect(try client.request("PATH proefnet vws").status.hasPrefix("OK hops="))
        // In Dutch, with the same code.
        #expect(try client.request("LANG nl").status.hasPrefix("OK"))
        #expect(try client.request("PATH GM1731 proef").status == "ERR NOPATH proef heeft geen relaties")
        #expect(try daemon.stop() == 0)
    }

    @Test func missingCandidateIsTheTrajectorysOwnStakeholder() throws {
        let (daemon, client, _) = try freshSeededDaemon("stuck-missing")
        // VWS covers all three themes; SZW none, but it is the trajectory's advisor.
        #expect(try client.request("TRAJECTORY ADD cd-zorg \"Co-design zorg\" kind=codesign lead=GM0153 themes=zorg,welzijn,jeugd").status == "OK key=cd-zorg")
        #expect(try client.request("STAKEHOLDER ADD cd-zorg szw role=advisor").status.hasPrefix("OK"))
        let plan = try client.request("MEETING PLAN cd-zorg 2030-01-15T10:00 GM0153 GM0164")
        let national = try #require(try plan.lines.map(parseRecord).first { $0.type == "missing" && $0.fields["party"] == "national" })
        #expect(national.fields["candidate"] == "szw")
        #expect(national.fields["reason"] == "national level; stakeholder of the trajectory")
        // Without the advisor, the ministry whose portfolio fits the themes best.
        #expect(try client.request("STAKEHOLDER REMOVE cd-zorg szw").status.hasPrefix("OK"))
        let again = try client.request("MEETING PLAN cd-zorg 2030-01-16T10:00 GM0153 GM0164")
        #expect(try again.lines.map(parseRecord).first { $0.type == "missing" && $0.fields["party"] == "national" }?.fields["candidate"] == "vws")
        #expect(try daemon.stop() == 0)
    }

    @Test func aMeetingCannotBeHeldBeforeItStarts() throws {
        let (daemon, client, db) = try freshSeededDaemon("stuck-held")
        let future = try amsterdamDay(db, 10)
        let planned = try client.request("MEETING PLAN - \(future)T10:00 GM0153 PV23")
        let id = try #require(planned.status.split(separator: " ").first { $0.hasPrefix("id=") }).dropFirst(3)
        #expect(try client.request("MEETING HELD \(id) outcome=\"te vroeg\"").status == "ERR CONFLICT the meeting starts \(future)T10:00")
        #expect(try client.request("MEETING \(id)").lines.first?.contains("status=planned") == true)
        #expect(try client.request("LANG nl").status.hasPrefix("OK"))
        #expect(try client.request("MEETING HELD \(id)").status == "ERR CONFLICT het overleg begint pas \(future)T10:00")
        #expect(try client.request("LANG en").status.hasPrefix("OK"))
        // Yesterday's meeting can be held, and cancelling a future one still works.
        let past = try amsterdamDay(db, -1)
        let earlier = try client.request("MEETING PLAN - \(past)T10:00 GM0153 PV23")
        let pastID = try #require(earlier.status.split(separator: " ").first { $0.hasPrefix("id=") }).dropFirst(3)
        #expect(try client.request("MEETING HELD \(pastID) outcome=Afgesproken").status == "OK id=\(pastID) status=held")
        #expect(try client.request("MEETING CANCEL \(id)").status == "OK id=\(id) status=cancelled")
        #expect(try daemon.stop() == 0)
    }

    @Test func aWallClockTimeThatDoesNotExistIsPlannedWithAWarning() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        // 28 March 2027 is the last Sunday of March: 02:00 becomes 03:00.
        let skipped = try client.request("MEETING PLAN - 2027-03-28T02:30 GM0153 PV23 duration=30m")
        let records = try skipped.lines.map(parseRecord)
        #expect(records.first?.type == "meeting" && records.first?.fields["start"] == "2027-03-28T03:30+02:00")
        let warning = try #require(records.first { $0.type == "warning" })
        #expect(warning.fields["code"] == "nonexistent_time" && warning.fields["given"] == "2027-03-28T02:30"
                && warning.fields["start"] == "2027-03-28T03:30+02:00")
        #expect(warning.fields["reason"] == "2027-03-28T02:30 does not exist in Europe/Amsterdam (the clocks go forward); the meeting starts 2027-03-28T03:30")
        #expect(skipped.status.hasPrefix("OK id="))
        // An hour that exists, the repeated hour of October, and a time with an offset: no warning.
        for time in ["2027-03-28T03:30", "2027-10-31T02:30", "2027-03-28T02:30+01:00", "2027-03-27T02:30"] {
            let answer = try client.request("MEETING PLAN - \(time) GM0153 PV23 duration=30m")
            #expect(answer.status.hasPrefix("OK id="), "\(time)")
            #expect(!answer.lines.contains { $0.hasPrefix("warning ") }, "\(time)")
        }
    }

    @Test func everyNodeOfAKind() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let ministries = try client.request("NODES kind=ministry")
        let keys = try ministries.lines.map(parseRecord).map { $0.fields["key"] ?? "" }
        #expect(keys.contains("vws") && keys.contains("bzk") && keys.contains("lvvn") && keys.count == 18)
        #expect(keys == keys.sorted())
        #expect(ministries.status == "OK rows=18")
        #expect(try ministries.lines.map(parseRecord).allSatisfy { $0.type == "node" && $0.fields["kind"] == "ministry" })

        let drenthe = try client.request("NODES kind=municipality province=Drenthe")
        #expect(drenthe.status == "OK rows=12")
        #expect(try drenthe.lines.map(parseRecord).allSatisfy { $0.fields["province"] == "PV22" })
        #expect(try client.request("NODES kind=province limit=2").status == "OK rows=2 total=12")
        #expect(try client.request("NODES region_type=corop limit=100").status == "OK rows=40")
        #expect(try client.request("NODES kind=municipality").status == "OK rows=342")

        // FIND with no text lists the same, at FIND's limit.
        let found = try client.request("FIND \"\" kind=ministry limit=50")
        #expect(try found.lines.map(parseRecord).map { $0.fields["key"] ?? "" } == keys)
        #expect(try client.request("FIND \"\" kind=province").lines.count == 12)

        #expect(try client.request("NODES kind=minister").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("NODES province=GM0153").status == "ERR INVALID province=GM0153 is not a province")
        #expect(try client.request("NODES ministry").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("NODES kind=ministry").status == "OK rows=18", "the connection is still usable")
    }
}
