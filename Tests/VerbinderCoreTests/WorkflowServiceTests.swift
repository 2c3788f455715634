import Foundation
import Testing
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The co-design use cases called directly: trajectories with their stakeholders, milestones
/// with their reminders, meetings classified on the two axes, signals and their matches.
@Suite("Workflow use cases against PostgreSQL")
struct WorkflowServiceTests {
    static func trajectory(_ key: String, lead: String) -> Trajectory {
        Trajectory(key: key, name: "Kansenagenda \(key)", kind: .kansenagenda, lead: lead, region: nil, themes: [], goal: nil,
                   status: .active, start: nil, end: nil)
    }

    @Test func aTrajectoryKeepsItsLeadAndStakeholders() async throws {
        let fixture = try Fixture("trajectory")
        try await fixture.addRegions(["achterhoek", "gelderland"])
        _ = try await call { fixture.core.trajectories.add(Self.trajectory("ka", lead: "achterhoek"), remind: "7d,0d", fixture.scope, answer: { Response() }, completion: $0) }
        _ = try await call {
            fixture.core.trajectories.addStakeholder("KA", node: "gelderland", role: .funder, fixture.scope, answer: { Response() }, completion: $0)
        }
        let detail = try await call { fixture.core.trajectories.detail("ka", completion: $0) }
        #expect(detail.stakeholders.map(\.node) == ["achterhoek", "gelderland"])
        #expect(detail.stakeholders.map(\.role) == [.lead, .funder])
        // The lead cannot leave; a stakeholder twice is a conflict; an unknown trajectory is not found.
        let leaving = await protocolError {
            fixture.core.trajectories.removeStakeholder("ka", node: "achterhoek", fixture.scope, answer: { Response() }, completion: $0)
        }
        #expect(leaving?.code == .conflict)
        let twice = await protocolError {
            fixture.core.trajectories.addStakeholder("ka", node: "gelderland", role: .partner, fixture.scope, answer: { Response() }, completion: $0)
        }
        #expect(twice?.code == .conflict)
        let unknown = await protocolError { fixture.core.trajectories.detail("nope", completion: $0) }
        #expect(unknown?.code == .notFound)
    }

    @Test func aMilestoneGetsItsTrajectorysRemindersAndMovesOnlyWhenOpen() async throws {
        let fixture = try Fixture("milestone")
        try await fixture.addRegions(["twente"])
        _ = try await call { fixture.core.trajectories.add(Self.trajectory("tw", lead: "twente"), remind: "14d,3d,0d", fixture.scope, answer: { Response() }, completion: $0) }
        let due = "2099-06-01"
        let response = try await call {
            fixture.core.milestones.add(trajectory: "tw", due: due, title: "Ondertekening", owner: nil, remind: nil, fixture.scope,
                                        answer: { id in Response(status: Status([("id", .int(id))])) }, completion: $0)
        }
        guard case .success(let status) = response.outcome, case .int(let id)? = status.fields.first(where: { $0.0 == "id" })?.1 else {
            Issue.record("no id in \(response.outcome)")
            return
        }
        // Reminders planned from the trajectory's rule, and one for when it is overdue.
        let reminders = try await call { fixture.core.reminders.list(state: .pending, milestone: id, limit: 10, completion: $0) }
        #expect(reminders.map(\.rule).sorted() == ["0d", "14d", "3d", "overdue"])
        _ = try await call {
            fixture.core.milestones.transition(id, to: .done, due: nil, reason: nil, note: "getekend", fixture.scope, answer: { _ in Response() }, completion: $0)
        }
        let moved = await protocolError {
            fixture.core.milestones.transition(id, to: .move, due: "2099-07-01", reason: "later", note: nil, fixture.scope, answer: { _ in Response() }, completion: $0)
        }
        #expect(moved?.code == .conflict)
        #expect(moved?.message == "milestone \(id) is done: cannot move it")
        // Done: its pending reminders are not sent any more.
        let pending = try await call { fixture.core.reminders.list(state: .pending, milestone: id, limit: 10, completion: $0) }
        #expect(pending.isEmpty)
        let (milestone, history) = try await call { fixture.core.milestones.history(id, completion: $0) }
        #expect(milestone.status == .done)
        #expect(history.map(\.change).contains("done"))
    }

    @Test func aPlannedMeetingIsClassifiedAndFindsItsConflicts() async throws {
        let fixture = try Fixture("meeting")
        try await fixture.addRegions(["noord", "zuid"])
        let participants = ["noord", "zuid"]
        let classification = fixture.core.graph.read { graph in MeetingClass(nodes: participants.compactMap { graph.node(key: $0) }) }
        let plan = MeetingService.Plan(trajectory: nil, time: try #require(MeetingTime("2099-03-02T10:00")), minutes: 60, title: "Overleg",
                                       place: "", participants: participants, classification: classification, strict: true)
        let first = try await call {
            fixture.core.meetings.plan(plan, fixture.scope, conflictRecords: { _ in [] }, answer: { planned in
                Response(status: Status([("id", .int(planned.meeting.id)), ("conflicts", .int(planned.conflicts.count))]))
            }, completion: $0)
        }
        #expect(String(decoding: first.render(.text), as: UTF8.self).hasSuffix("conflicts=0\n"))
        // The same participants an hour-long meeting later overlapping: strict refuses, with conflict records.
        var overlapping = plan
        overlapping.time = try #require(MeetingTime("2099-03-02T10:30"))
        let refused = await protocolError {
            fixture.core.meetings.plan(overlapping, fixture.scope, conflictRecords: { conflicts in conflicts.map { Record("conflict", [("node", .string($0.node))]) } },
                                       answer: { _ in Response() }, completion: $0)
        }
        #expect(refused?.code == .conflict)
        #expect(refused?.records.count == 2)
        #expect(try fixture.count("SELECT count(*) FROM meetings") == 1)
        let meetings = try await call {
            fixture.core.meetings.list(node: "noord", trajectory: nil, from: nil, to: nil, axis: nil, tripartiteOnly: false, limit: 10, completion: $0)
        }
        #expect(meetings.count == 1)
        #expect(meetings.first?.axis == classification.axis)
        #expect(meetings.first?.tripartite == false)
    }

    @Test func aProblemIsMatchedWithSolutionsFromElsewhereOnly() async throws {
        let fixture = try Fixture("signals")
        try await fixture.addRegions(["a", "b"])
        for (node, kind) in [("a", SignalKind.problem), ("a", .solution), ("b", .solution), ("b", .example), ("b", .need)] {
            _ = try await call {
                fixture.core.signals.add(node: node, kind: kind, theme: "wonen", text: "\(kind.rawValue) van \(node)", fixture.scope,
                                         answer: { _ in Response() }, completion: $0)
            }
        }
        let problem = try await call { fixture.core.signals.list(theme: nil, kind: .problem, node: "a", nodes: nil, limit: 10, completion: $0) }
        let (signal, answers) = try await call { fixture.core.signals.match(problem[0].id, limit: 10, completion: $0) }
        #expect(signal.node == "a")
        #expect(answers.map(\.signal.text) == ["solution van b", "example van b"])
        #expect(answers[0].match.score == answers[1].match.score)
        let first = try await call { fixture.core.signals.match(problem[0].id, limit: 1, completion: $0) }
        #expect(first.answers.map(\.signal.text) == ["solution van b"])
        let solution = try await call { fixture.core.signals.list(theme: nil, kind: .solution, node: "b", nodes: nil, limit: 10, completion: $0) }
        let refused = await protocolError { fixture.core.signals.match(solution[0].id, limit: 10, completion: $0) }
        #expect(refused?.code == .invalid)
    }
}

/// The calendar read and written in two halves at once (meetings, to-dos) is the calendar
/// written from one read, for every filter; a failure of a half is the one answer.
@Suite("The calendar in two halves")
struct CalendarHalvesTests {
    @Test func theHalvesMakeTheCalendarOneReadMakes() async throws {
        let fixture = try Fixture("calendarhalves")
        try await fixture.addRegions(["noord", "zuid", "oost"])
        var trajectory = WorkflowServiceTests.trajectory("ko", lead: "noord")
        trajectory.themes = ["wonen"]
        _ = try await call { fixture.core.trajectories.add(trajectory, remind: nil, fixture.scope, answer: { Response() }, completion: $0) }
        for (day, title) in [("2099-03-02", "Eerste"), ("2099-05-11", "Tweede")] {
            _ = try await call {
                fixture.core.milestones.add(trajectory: "ko", due: day, title: title, owner: nil, remind: nil, fixture.scope, answer: { _ in Response() }, completion: $0)
            }
        }
        for (time, participants) in [("2099-03-02T10:00", ["noord", "zuid"]), ("2099-04-01T14:00", ["zuid", "oost"]), ("1990-01-01T09:00", ["oost", "noord"])] {
            let classification = fixture.core.graph.read { graph in MeetingClass(nodes: participants.compactMap { graph.node(key: $0) }) }
            let plan = MeetingService.Plan(trajectory: "ko", time: try #require(MeetingTime(time)), minutes: 90, title: "Overleg \(time)",
                                           place: "Zwolle", participants: participants, classification: classification, strict: false)
            _ = try await call { fixture.core.meetings.plan(plan, fixture.scope, conflictRecords: { _ in [] }, answer: { _ in Response() }, completion: $0) }
        }
        let cases: [(trajectory: String?, node: String?, from: String?, to: String?)] = [
            (nil, nil, nil, nil), ("ko", nil, nil, nil), (nil, "zuid", nil, nil), (nil, "noord", "2099-03-02", "2099-03-31"), (nil, "oost", "2100-01-01", nil),
        ]
        for filters in cases {
            for lineEnd in [ICalendar.LineEnd.lf, .crlf] {
                let halves = try await call {
                    fixture.core.monitoring.calendarDocument(trajectory: filters.trajectory, node: filters.node, from: filters.from, to: filters.to,
                                                             showEmail: true, lineEnd: lineEnd, completion: $0)
                }
                let content = try ReportStore.calendar(fixture.database, trajectory: filters.trajectory, node: filters.node, from: filters.from,
                                                       to: filters.to, contacts: ContactDirectory())
                let whole = CalendarDocument.write(content, graph: fixture.core.graph, showEmail: true, lineEnd: lineEnd)
                #expect(halves.bytes == whole.bytes, "\(filters)")
                #expect(halves.lines == whole.lines && halves.events == whole.events && halves.todos == whole.todos && halves.newestStamp == whole.newestStamp)
                let text = String(decoding: halves.bytes, as: UTF8.self)
                #expect(text.hasPrefix("BEGIN:VCALENDAR") && text.hasSuffix(lineEnd == .lf ? "END:VCALENDAR\n" : "END:VCALENDAR\r\n"))
                #expect(halves.lines == halves.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count - 1)
            }
        }
        let all = try await call { fixture.core.monitoring.calendarDocument(trajectory: nil, node: nil, showEmail: true, lineEnd: .lf, completion: $0) }
        #expect(all.events == 3 && all.todos == 2)
        let unknown = await protocolError {
            fixture.core.monitoring.calendarDocument(trajectory: "bestaat-niet", node: nil, showEmail: true, lineEnd: .lf, completion: $0)
        }
        #expect(unknown?.code == .notFound)
    }
}
