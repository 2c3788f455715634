import Foundation
import PQ
import Testing

/// The real Dutch seed network, through the daemon and straight from PostgreSQL.
@Suite("Seed network")
struct SeedNetworkTests {
    @Test func countsAreExact() throws {
        let daemon = try SeededDaemon.get()
        let connection = try Connection(daemon.conninfo)
        let municipalities = try connection.query("SELECT count(*) FROM nodes WHERE kind = 'municipality'")[0].int(0)
        let provinces = try connection.query("SELECT count(*) FROM nodes WHERE kind = 'province'")[0].int(0)
        #expect(municipalities == 342)
        #expect(provinces == 12)
        let tierless = try connection.query("SELECT count(*) FROM nodes WHERE tier NOT IN ('local','regional','provincial','national')")[0].int(0)
        #expect(tierless == 0)
    }

    @Test func findIgnoresDiacritics() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, _) = try client.request("FIND sudwest")
        let record = try parseRecord(try #require(lines.first))
        #expect(record.fields["key"] == "GM1900")
        #expect(record.fields["name"] == "Súdwest-Fryslân")
    }

    @Test func findBergListsBothBergens() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, _) = try client.request("FIND berg limit=100")
        let names = Set(try lines.map { try parseRecord($0).fields["name"] ?? "" })
        #expect(names.contains("Bergen (L.)"))
        #expect(names.contains("Bergen (NH.)"))
    }

    @Test func findRanksExactKeyFirstAndHonoursKindAndLimit() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        #expect(try client.request("FIND gm0014").lines.first?.hasPrefix("node key=GM0014") == true)
        let (lines, status) = try client.request("FIND e kind=province limit=3")
        #expect(lines.count == 3 && status == "OK rows=3")
        #expect(try lines.allSatisfy { try parseRecord($0).fields["kind"] == "province" })
    }

    @Test func showHertogenboschWithItsProvinceLink() throws {
        let client = try SeededDaemon.get().connect()
        _ = try client.readLine()
        let (lines, status) = try client.request("SHOW \"'s-Hertogenbosch\"")
        #expect(status.hasPrefix("OK links="))
        let node = try parseRecord(try #require(lines.first))
        #expect(node.type == "node" && node.fields["key"] == "GM0796")
        let links = try lines.dropFirst().map(parseRecord)
        #expect(links.contains { $0.fields["relation"] == "part_of" && $0.fields["to"] == "PV30" && $0.fields["axis"] == "vertical" })
        #expect(try client.request("SHOW \"Bergen (NH.)\"").lines.first?.contains("key=GM0373") == true)
        #expect(try client.request("SHOW 's-hertogenbosch").status.hasPrefix("OK"))
    }
}

@Suite("Schema and seed lifecycle")
struct LifecycleTests {
    @Test func seedTwiceChangesNothing() throws {
        let conninfo = try SharedCluster.freshDatabase("seedtwice")
        let first = try runVerbinderd(["seed", "--database-url", conninfo])
        #expect(first.0 == 0, "\(first.1)")
        let connection = try Connection(conninfo)
        let counts = { try connection.query("SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM relations), (SELECT max(updated_at) FROM nodes)")[0].values }
        let before = try counts()
        let second = try runVerbinderd(["seed", "--database-url", conninfo])
        #expect(second.0 == 0)
        #expect(second.1.contains("nodes_written=0 relations_written=0"))
        #expect(try counts() == before)
    }

    /// The array literals every grouped write sends arrive in PostgreSQL as exactly the strings
    /// that went in: quotes, backslashes, separators, braces, the text `NULL`, empty strings,
    /// non-ASCII and a quote followed by a combining mark (one `Character`, still a quote byte).
    @Test func arrayLiteralsRoundTripThroughPostgreSQL() throws {
        let connection = try Connection(try SharedCluster.freshDatabase("arrays"))
        let values = ["plain", "with space", "a,b", "{braces}", "say \"hi\"", "back\\slash", "\\\"", "NULL", "",
                      "Súdwest-Fryslân", "\"\u{301}x", "tab\tand\nline", "emoji 🚲"]
        let rows = try connection.query("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
                                        [PostgresArray.literal(values)])
        #expect(try rows.all.map { try $0.string(0) } == values)
        let optional: [String?] = ["x", nil, "NULL", nil, "\""]
        let nullable = try connection.query("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
                                            [PostgresArray.literal(optional: optional)])
        #expect(nullable.all.map { $0.optionalString(0) } == optional)
        #expect(try connection.query("SELECT cardinality($1::text[])", [PostgresArray.literal([])])[0].int(0) == 0)
    }

    @Test func twoDaemonsMigratingTogetherApplyTheSchemaOnce() throws {
        let conninfo = try SharedCluster.freshDatabase("race")
        let a = try ChildProcess([Paths.verbinderd, "migrate", "--database-url", conninfo])
        let b = try ChildProcess([Paths.verbinderd, "migrate", "--database-url", conninfo])
        #expect(try a.wait() == 0, "\(a.output)")
        #expect(try b.wait() == 0, "\(b.output)")
        let connection = try Connection(conninfo)
        let rows = try connection.query("SELECT version, count(*) FROM schema_migrations GROUP BY version HAVING count(*) > 1")
        #expect(rows.isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: Paths.sql + "/migrations").filter { $0.hasSuffix(".sql") }
        #expect(try connection.query("SELECT count(*) FROM schema_migrations")[0].int(0) == files.count)
        // And two serving daemons started together on another empty database both come up.
        let other = try SharedCluster.freshDatabase("race2")
        let d1 = try ChildProcess([Paths.verbinderd, "serve", "--database-url", other, "--listen", "127.0.0.1:0"])
        let d2 = try ChildProcess([Paths.verbinderd, "serve", "--database-url", other, "--listen", "127.0.0.1:0"])
        for daemon in [d1, d2] {
            let deadline = Date().addingTimeInterval(30)
            while Daemon.boundPort(in: daemon.output) == nil, Date() < deadline { usleep(20_000) }
            #expect(Daemon.boundPort(in: daemon.output) != nil, "\(daemon.output)")
            daemon.signal(SIGTERM)
            let status = try daemon.wait()
            #expect(status == 0, "exit \(status): \(daemon.output)")
        }
    }

    @Test func sigtermStopsCleanly() throws {
        let conninfo = try SharedCluster.freshDatabase("sigterm")
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("PING").status == "OK pong")
        #expect(try daemon.stop() == 0)
        #expect(try client.readLine() == nil)
    }

    @Test func sigtermWhileStartingStopsCleanlyOnceUp() throws {
        // Found under AddressSanitizer in CI: a SIGTERM right after start-up killed the daemon
        // (default action) when it came before the handler was installed.
        let conninfo = try SharedCluster.freshDatabase("sigtermearly")
        let daemon = try ChildProcess([Paths.verbinderd, "serve", "--database-url", conninfo, "--listen", "127.0.0.1:0"])
        let deadline = Date().addingTimeInterval(30)
        while !daemon.output.contains("applied migrations"), Date() < deadline { usleep(1_000) }
        daemon.signal(SIGTERM)  // still migrating or loading: not listening yet
        let status = try daemon.wait()
        #expect(status == 0, "exit \(status): \(daemon.output)")
        #expect(daemon.output.contains("received SIGTERM"))
    }
}
