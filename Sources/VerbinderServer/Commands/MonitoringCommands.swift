import NIOCore
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Keeping watch: REPORT's figures, the agenda and staleness gaps, and the iCalendar export.
enum MonitoringCommands {
    static var all: [Command] { [report] }

    static let report = Command(
        "REPORT", usage: "REPORT [from=YYYY-MM-DD] [to=YYYY-MM-DD]",
        summary: "Monitoring figures as metric records: meetings per axis and tri-party share per month, milestones on time and late, kansenagenda coverage, municipalities without a vertical meeting, signals, and goals (met on time and late, past their date, by state).",
        arity: .exactly(0), options: [.date("from"), .date("to")]
    ) { request, context in
        let from = context.options.text("from"), to = context.options.text("to")
        let today = Today.amsterdam()
        let unaffiliated = context.services.graph.read { graph in Set(graph.unaffiliatedMunicipalities(today: today).map { graph.node(id: $0).key }) }
        return .later(context.future { context.core.monitoring.report(from: from, to: to, unaffiliated: unaffiliated, today: today, completion: $0) }
            .map { metrics, start, end in
            let records = metrics.map { metric -> Record in
                var record = Record("metric", [("name", .string(metric.name))])
                for (name, value) in metric.dimensions { record.append(name, .string(value)) }
                record.append("value", metric.isCount ? .int(Int(metric.value)) : .double(metric.value))
                return record
            }
            return Response(records: records, status: Status([("metrics", .int(records.count)), ("from", .string(start)), ("to", .string(end))]))
        })
    }

    /// `GAPS agenda [by=corop|province|functional]` and `GAPS stale [days=N]`, answered from PostgreSQL.
    static func gaps(_ which: String, _ request: Request, _ context: CommandContext) throws -> Reply {
        let limit = context.options.number("limit") ?? 100_000
        if which == "agenda" {
            let unit = context.options.choice("by", CoverageUnit.self) ?? .corop
            return .later(context.future { context.core.monitoring.agendaGaps(by: unit, today: Today.amsterdam(), completion: $0) }.map { gaps in
                let records = gaps.units.prefix(limit).map { entry -> Record in
                    var record = Record("coverage", [("by", .string(unit.rawValue)), ("unit", .string(entry.unit?.key ?? "-"))])
                    record.append("name", entry.unit.map { .string($0.name) })
                    record.append("members", .int(entry.members))
                    record.append("covered", .int(entry.members - entry.uncovered.count))
                    record.append("uncovered", .list(entry.uncovered))
                    return record
                }
                return Response(records: records, status: Status([("count", .int(gaps.units.count)), ("municipalities", .int(gaps.municipalities)),
                                                                  ("covered", .int(gaps.covered)),
                                                                  ("uncovered", .int(gaps.municipalities - gaps.covered))]))
            })
        }
        let days = context.options.number("days") ?? 180
        return .later(context.future { context.core.monitoring.stale(days: days, completion: $0) }.map { stale in
            var records: [Record] = stale.trajectories.map { key, last in
                var record = Record("stale", [("trajectory", .string(key))])
                record.append("last_meeting", last.map(Value.string))
                return record
            }
            records += stale.stakeholders.map { trajectory, node, last in
                var record = Record("stale", [("trajectory", .string(trajectory)), ("key", .string(node))])
                record.append("last_meeting", last.map(Value.string))
                return record
            }
            let count = records.count
            return Response(records: Array(records.prefix(limit)), status: Status([("count", .int(count)), ("trajectories", .int(stale.trajectories.count)),
                                                              ("stakeholders", .int(stale.stakeholders.count))]))
        })
    }

    /// `EXPORT ics [trajectory=] [node=] [from=] [to=]`: meetings as VEVENT with their invited
    /// contacts as attendees, milestones and dated goals as VTODO, stable UIDs.
    static func ics(_ request: Request, _ context: CommandContext) throws -> Reply {
        let node = try context.node("node")
        let text = context.options.text("trajectory")
        let from = context.options.text("from"), to = context.options.text("to")
        let showEmail = context.seesPersonalData
        let format = context.session.format
        return .later(context.future { context.core.monitoring.calendarDocument(trajectory: text, node: node, from: from, to: to,
                                                                               showEmail: showEmail, lineEnd: .lf, completion: $0) }.map { written in
            let status = Status([("lines", .int(written.lines)), ("events", .int(written.events)), ("todos", .int(written.todos))])
            // The lines go out as they were written; JSON wraps each in a record.
            guard format == .text else {
                let lines = written.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
                return Response(records: lines.map { Record.raw(String(decoding: $0, as: UTF8.self)) }, status: status)
            }
            var bytes = written.bytes
            bytes += status.line.utf8
            bytes.append(UInt8(ascii: "\n"))
            return Response(rendered: bytes, format: .text)
        })
    }
}
