import Foundation
import Testing
import VerbinderCluster

/// One HTTP exchange as curl saw it.
struct HTTPExchange {
    var status: Int
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Fetches `path` from the daemon's HTTP side with curl, as a calendar client or a probe would.
func http(_ port: Int, _ path: String, method: String = "GET", headers: [String] = [], body: String? = nil) throws -> HTTPExchange {
    var arguments = ["/usr/bin/env", "curl", "-s", "-i", "--max-time", "10", "-X", method]
    if let body { arguments += ["--data-raw", body] }
    if method == "HEAD" { arguments = ["/usr/bin/env", "curl", "-s", "-I", "--max-time", "10"] }
    for header in headers { arguments += ["-H", header] }
    let child = try ChildProcess(arguments + ["http://127.0.0.1:\(port)\(path)"])
    guard try child.wait() == 0 else { throw HarnessError("curl \(path) failed: \(child.output)") }
    let output = child.output
    guard let split = output.range(of: "\r\n\r\n") else { throw HarnessError("no HTTP answer: \(output)") }
    let headLines = output[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(headLines[0].split(separator: " ")[1]) ?? 0
    var headers: [String: String] = [:]
    for line in headLines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return HTTPExchange(status: status, headers: headers, body: String(output[split.upperBound...]))
}

/// Runs a Python script with arguments; its standard output, or a failure with what it said.
func python(_ script: String, _ arguments: [String] = []) throws -> String {
    let child = try ChildProcess(["/usr/bin/env", "python3", "-c", script] + arguments)
    guard try child.wait() == 0 else { throw HarnessError("python failed: \(child.output)") }
    return child.output
}

/// The HTTP side (issue 19): calendar feeds that stay current, health and metrics, access.
@Suite("HTTP side")
struct WebTests {
    /// A calendar client subscribes to a trajectory's feed: it parses, polls cheaply (304), and
    /// sees a change made over the line protocol on the next poll.
    @Test func aSubscribedFeedSeesALineProtocolChangeOnTheNextPoll() throws {
        let conninfo = try seededDatabase("web-feed")
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--http", "127.0.0.1:0"])
        let port = try daemon.httpPort()
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 themes=wonen").status.hasPrefix("OK"))
        #expect(try client.request("MEETING PLAN ka-twente 2027-01-12T10:00 GM0153 PV23 bzk title=\"Woontafel Twente\" place=Enschede").status
                .hasPrefix("OK id=1 "))

        let first = try http(port, "/calendar/trajectory/ka-twente.ics")
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "text/calendar; charset=utf-8")
        let etag = try #require(first.header("ETag"))
        let modified = try #require(first.header("Last-Modified"))
        #expect(etag.hasPrefix("\"") && modified.hasSuffix(" GMT"))
        // The same text as EXPORT ics, line for line.
        let exported = try client.request("EXPORT ics trajectory=ka-twente")
        #expect(first.body == exported.lines.joined(separator: "\r\n") + "\r\n")

        // Nothing changed: 304, by either validator, with no body.
        let unchanged = try http(port, "/calendar/trajectory/ka-twente.ics", headers: ["If-None-Match: \(etag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.header("ETag") == etag)
        #expect(try http(port, "/calendar/trajectory/ka-twente.ics", headers: ["If-Modified-Since: \(modified)"]).status == 304)
        #expect(try http(port, "/calendar/trajectory/ka-twente.ics", headers: ["If-None-Match: \"other\""]).status == 200)

        // A change over the line protocol shows in the next poll.
        #expect(try client.request("MEETING NOTE 1 \"Starterswoningen besproken\"").status.hasPrefix("OK"))
        let changed = try http(port, "/calendar/trajectory/ka-twente.ics", headers: ["If-None-Match: \(etag)"])
        #expect(changed.status == 200 && changed.header("ETag") != etag)
        #expect(changed.body.contains("Starterswoningen besproken"))
        #expect(try http(port, "/calendar/trajectory/ka-twente.ics", headers: ["If-None-Match: \(changed.header("ETag")!)"]).status == 304)

        // A change made through another daemon on the same database shows once this one has
        // read it from the change feed (a second at most).
        let other = try Daemon(conninfo: conninfo)
        let otherClient = try other.connect()
        _ = try otherClient.readLine()
        #expect(try otherClient.request("MEETING NOTE 1 \"Via de tweede daemon\"").status.hasPrefix("OK"))
        // (Unfolded: a long DESCRIPTION is folded over lines.)
        func unfolded() throws -> String { try http(port, "/calendar/trajectory/ka-twente.ics").body.replacingOccurrences(of: "\r\n ", with: "") }
        var seen = try unfolded()
        let deadline = Date().addingTimeInterval(5)
        while !seen.contains("Via de tweede daemon"), Date() < deadline {
            usleep(100_000)
            seen = try unfolded()
        }
        #expect(seen.contains("Via de tweede daemon"), "\(seen)")
        #expect(try other.stop() == 0)

        // A real iCalendar parser reads the feed.
        let path = NSTemporaryDirectory() + "verbinder-feed-\(UUID().uuidString).ics"
        try changed.body.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parsed = try python("""
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            for e in cal.walk('VEVENT'):
                print(e.get('SUMMARY'), '|', e.decoded('DTSTART').isoformat(), '|', e.get('LOCATION'))
            """, [path])
        #expect(parsed == "Woontafel Twente | 2027-01-12T10:00:00+01:00 | Enschede\n", "\(parsed)")

        // The stakeholder's feed and the whole calendar; HEAD has the headers and no body.
        let nodeFeed = try http(port, "/calendar/node/GM0153.ics")
        #expect(nodeFeed.status == 200 && nodeFeed.body.contains("UID:meeting-1@verbinder.vng.nl"))
        #expect(try http(port, "/calendar/node/enschede.ics").body == nodeFeed.body)
        #expect(try http(port, "/calendar/all.ics").body.contains("SUMMARY:Woontafel Twente"))
        let head = try http(port, "/calendar/all.ics", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty && head.header("ETag") != nil)
        #expect(try http(port, "/calendar/trajectory/nope.ics").status == 404)
        #expect(try http(port, "/calendar/node/GM9999.ics").status == 404)
        #expect(try http(port, "/calendar/all.ics", method: "POST").status == 405)
        #expect(try http(port, "/nothing/here").status == 404)
        #expect(try daemon.stop() == 0)
    }

    /// `/healthz` follows PostgreSQL within 5 s both ways; `/metrics` is valid Prometheus text
    /// whose counters move with traffic.
    @Test func healthFollowsTheDatabaseAndMetricsMoveWithTraffic() throws {
        let cluster = PostgresCluster(directory: NSTemporaryDirectory() + "verbinder-web-health-\(getpid())")
        try cluster.createIfNeeded()
        defer { cluster.destroy() }
        let (code, output) = try runVerbinderd(["seed", "--database-url", cluster.conninfo])
        #expect(code == 0, "\(output)")
        let daemon = try Daemon(conninfo: cluster.conninfo, extraArguments: ["--http", "127.0.0.1:0"])
        let port = try daemon.httpPort()
        let health = try http(port, "/healthz")
        #expect(health.status == 200 && health.body == "up\n")

        let parse = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read() if False else open(sys.argv[1]).read()):
                for s in family.samples:
                    labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))
                    out[s.name + ('{' + labels + '}' if labels else '')] = s.value
                out['type:' + family.name] = family.type
            print(json.dumps(out))
            """
        func scrape() throws -> [String: Any] {
            let metrics = try http(port, "/metrics")
            #expect(metrics.status == 200 && metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let path = NSTemporaryDirectory() + "verbinder-metrics-\(UUID().uuidString).txt"
            try metrics.body.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try JSONSerialization.jsonObject(with: Data(try python(parse, [path]).utf8)) as? [String: Any] ?? [:]
        }
        let client = try daemon.connect()
        _ = try client.readLine()
        _ = try client.request("PING")
        let before = try scrape()
        for _ in 0..<3 { #expect(try client.request("PING").status == "OK pong") }
        #expect(try client.request("SHOW nope").status.hasPrefix("ERR NOTFOUND"))
        let after = try scrape()
        let ping = "verbinder_commands_total{code=OK,verb=PING}"
        #expect((after[ping] as? Double ?? 0) - (before[ping] as? Double ?? 0) == 3)
        #expect(after["verbinder_commands_total{code=NOTFOUND,verb=SHOW}"] as? Double == 1)
        #expect(after["type:verbinder_commands"] as? String == "counter")
        #expect(after["type:verbinder_command_duration_seconds"] as? String == "histogram")
        #expect((after["verbinder_command_duration_seconds_count{verb=PING}"] as? Double ?? 0) >= 4)
        #expect(after["verbinder_connections_open"] as? Double == 1)
        #expect(after["verbinder_database_up"] as? Double == 1)
        #expect((after["verbinder_graph_nodes"] as? Double ?? 0) > 400)
        #expect(after["verbinder_reminders{state=pending}"] as? Double == 0)
        #expect((after["verbinder_change_feed_lag_seconds"] as? Double ?? 99) < 5)
        #expect((after["verbinder_http_requests_total{route=metrics,status=200}"] as? Double ?? 0) >= 1)
        #expect((after["verbinder_database_pool_connections_max"] as? Double ?? 0) > 0)

        // PostgreSQL stops: 503 within 5 s, with the reason; back to 200 once it returns.
        try cluster.stop()
        var deadline = Date().addingTimeInterval(5)
        var down = try http(port, "/healthz")
        while down.status != 503, Date() < deadline { usleep(100_000); down = try http(port, "/healthz") }
        #expect(down.status == 503 && down.body.hasPrefix("down: PostgreSQL does not answer"), "\(down)")
        #expect(try scrape()["verbinder_database_up"] as? Double == 0)
        try cluster.start()
        deadline = Date().addingTimeInterval(10)
        var up = try http(port, "/healthz")
        while up.status != 200, Date() < deadline { usleep(100_000); up = try http(port, "/healthz") }
        #expect(up.status == 200)
        #expect(try daemon.stop() == 0)
    }

    /// With a token defined every path but /healthz needs one; a feed token reads the feeds
    /// only, from the URL; a revoked one reads nothing.
    @Test func tokensGuardEveryPathButHealth() throws {
        let conninfo = try seededDatabase("web-tokens")
        func token(_ name: String, _ role: String) throws -> String {
            let (code, output) = try runVerbinderd(["token", "add", name, "--role", role, "--database-url", conninfo, "--log-level", "error"])
            #expect(code == 0, "\(output)")
            return output.split(separator: "\n").last.map(String.init) ?? ""
        }
        let reader = try token("kantoor", "reader")
        let feed = try token("agenda-wethouder", "feed")
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--http", "127.0.0.1:0"])
        let port = try daemon.httpPort()
        for path in ["/", "/regions", "/node/GM1731", "/trajectory/x", "/search?q=assen", "/metrics", "/calendar/all.ics", "/calendar/node/GM1731.ics",
                     "/login", "/nothing/here", "/calendar/trajectory/x.ics"] {
            let answer = try http(port, path)
            #expect(answer.status == 401 && answer.header("WWW-Authenticate") == "Bearer realm=\"verbinder\"", "\(path)")
        }
        #expect(try http(port, "/healthz").status == 200)
        #expect(try http(port, "/metrics", headers: ["Authorization: Bearer \(reader)"]).status == 200)
        #expect(try http(port, "/calendar/all.ics", headers: ["Authorization: Bearer \(reader)"]).status == 200)
        #expect(try http(port, "/metrics", headers: ["Authorization: Bearer wrong"]).status == 401)
        // Any token may sit in a calendar URL; elsewhere only the header counts.
        #expect(try http(port, "/calendar/all.ics?token=\(reader)").status == 200)
        #expect(try http(port, "/calendar/all.ics?token=\(feed)").status == 200)
        #expect(try http(port, "/calendar/node/GM1731.ics?token=\(feed)").status == 200)
        #expect(try http(port, "/node/GM1731?token=\(feed)").status == 401)
        #expect(try http(port, "/node/GM1731", headers: ["Authorization: Bearer \(feed)"]).status == 403)
        #expect(try http(port, "/metrics", headers: ["Authorization: Bearer \(feed)"]).status == 403)
        // Over the line protocol a feed token authenticates and may do nothing else.
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("AUTH \(feed)").status == "OK role=feed name=agenda-wethouder")
        #expect(try client.request("FIND assen").status.hasPrefix("ERR DENIED"))
        // Revoked: refused from the next request on.
        let (code, output) = try runVerbinderd(["token", "revoke", "agenda-wethouder", "--database-url", conninfo])
        #expect(code == 0, "\(output)")
        let deadline = Date().addingTimeInterval(5)
        var revoked = try http(port, "/calendar/all.ics?token=\(feed)")
        while revoked.status != 401, Date() < deadline { usleep(100_000); revoked = try http(port, "/calendar/all.ics?token=\(feed)") }
        #expect(revoked.status == 401)
        #expect(try daemon.stop() == 0)
    }

    /// Protected mode: without any token the HTTP side will not listen beyond this machine.
    @Test func protectedModeRefusesAPublicHTTPAddress() throws {
        let conninfo = try SharedCluster.freshDatabase("web-protected")
        let (code, output) = try runVerbinderd(["serve", "--database-url", conninfo, "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0"])
        #expect(code != 0 && output.contains("will not serve HTTP on 0.0.0.0"), "\(output)")
    }
}

/// The dashboard for people: pages that show what the line protocol answers, escape every
/// value, and sign a browser in with a cookie.
@Suite("Dashboard")
struct DashboardTests {
    /// A daemon with a trajectory, a held tri-party meeting, an overdue milestone, a goal and a
    /// node whose name is a script; returns it with its HTTP port and a connected client.
    func dashboardDaemon(_ label: String) throws -> (Daemon, Int, LineClient) {
        let daemon = try Daemon(conninfo: try seededDatabase(label), extraArguments: ["--http", "127.0.0.1:0"])
        let port = try daemon.httpPort()
        let client = try daemon.connect()
        _ = try client.readLine()
        for line in [
            "TRAJECTORY ADD ka-twente \"Kansenagenda Twente\" kind=kansenagenda lead=GM0153 themes=wonen region=twente",
            "MEETING PLAN ka-twente 2026-11-12T10:00 GM0153 PV23 bzk title=\"Woontafel Twente\"",
            "MEETING HELD 1",
            "MILESTONE ADD ka-twente 2026-11-01 Probleemanalyse",
            "GOAL ADD ka-twente \"500 woningen\" by=2027-01-01",
            "ADD partner \"<script>alert(1)</script>\"",
            "SIGNAL ADD GM1731 problem zorg \"Huisarts \\\"te ver\\\" & <b>weg</b>\"",
        ] {
            let status = try client.request(line).status
            #expect(status.hasPrefix("OK"), "\(line): \(status)")
        }
        return (daemon, port, client)
    }

    @Test func pagesShowTheLineProtocolsAnswersEscaped() throws {
        let (daemon, port, client) = try dashboardDaemon("web-pages")
        let overview = try http(port, "/")
        #expect(overview.status == 200 && overview.header("Content-Type") == "text/html; charset=utf-8")
        #expect(overview.body.contains("<h1>Overzicht</h1>") && overview.body.contains("<svg"))
        for page in [overview.body, try http(port, "/node/GM1731").body, try http(port, "/regions").body] {
            for fetch in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url(", "@import"] {
                #expect(!page.contains(fetch), "nothing is fetched from elsewhere: \(fetch)")
            }
        }
        #expect(try http(port, "/?from=2026-13-45").status == 400)
        #expect(try http(port, "/?from=gisteren").status == 400)
        #expect(try http(port, "/?from=2026-11-01&to=2026-11-30").body.contains("value=\"2026-11-01\""))

        let node = try http(port, "/node/GM1731")
        #expect(node.status == 200 && node.body.contains("<h1>Midden-Drenthe"))
        #expect(node.body.contains("Huisarts &quot;te ver&quot; &amp; &lt;b&gt;weg&lt;/b&gt;"), "a signal's text is escaped")
        #expect(try http(port, "/node/midden-drenthe").body == node.body)
        #expect(try http(port, "/node/GM9999").status == 404)
        let script = try http(port, "/node/script-alert-1-script")
        #expect(script.status == 200 && script.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !script.body.contains("<script>alert"))

        // A write shows on the next view of the page.
        #expect(try client.request("SIGNAL ADD GM1731 need mobiliteit \"Buslijn 21 terug\"").status.hasPrefix("OK"))
        #expect(try http(port, "/node/GM1731").body.contains("Buslijn 21 terug"))

        let trajectory = try http(port, "/trajectory/ka-twente")
        #expect(trajectory.status == 200 && trajectory.body.contains("class=\"overdue\"") && trajectory.body.contains("driepartijen"))
        #expect(trajectory.body.contains("href=\"/calendar/trajectory/ka-twente.ics\""))
        #expect(try http(port, "/trajectory/nope").status == 404)

        // The search box finds what FIND finds, in the same order.
        let found = try client.request("FIND sudwest limit=50").lines.map { try parseRecord($0).fields["key"] ?? "" }
        let search = try http(port, "/search?q=sudwest")
        let links = search.body.components(separatedBy: "href=\"/node/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!found.isEmpty && links == found, "\(links) \(found)")
        #expect(try http(port, "/search?q=%3Cscript%3E").body.contains("value=\"&lt;script&gt;\""))

        // Regions: every municipality no agenda covers, by the same rule as GAPS agenda.
        let regions = try http(port, "/regions")
        #expect(regions.status == 200 && regions.body.contains("Overijssel"))
        #expect(try daemon.stop() == 0)
    }

    @Test func aBrowserSignsInWithATokenCookie() throws {
        let conninfo = try seededDatabase("web-login")
        let (code, output) = try runVerbinderd(["token", "add", "kantoor", "--role", "reader", "--database-url", conninfo, "--log-level", "error"])
        #expect(code == 0)
        let reader = output.split(separator: "\n").last.map(String.init) ?? ""
        let (_, feedOutput) = try runVerbinderd(["token", "add", "agenda", "--role", "feed", "--database-url", conninfo, "--log-level", "error"])
        let feed = feedOutput.split(separator: "\n").last.map(String.init) ?? ""
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--http", "127.0.0.1:0"])
        let port = try daemon.httpPort()
        let page = try http(port, "/regions")
        #expect(page.status == 401 && page.body.contains("action=\"/login\""), "a browser gets the sign-in form")
        let wrong = try http(port, "/login", method: "POST", headers: ["Content-Type: application/x-www-form-urlencoded"], body: "token=nope")
        #expect(wrong.status == 401 && wrong.header("Set-Cookie") == nil)
        let feedLogin = try http(port, "/login", method: "POST", body: "token=\(feed)")
        #expect(feedLogin.status == 403 && feedLogin.header("Set-Cookie") == nil)
        let login = try http(port, "/login", method: "POST", body: "token=\(reader)")
        #expect(login.status == 303 && login.header("Location") == "/")
        let cookie = try #require(login.header("Set-Cookie"))
        #expect(cookie == "verbinder_token=\(reader); Path=/; HttpOnly; SameSite=Strict")
        #expect(try http(port, "/regions", headers: ["Cookie: verbinder_token=\(reader)"]).status == 200)
        #expect(try http(port, "/node/GM1731", method: "POST", body: "x=1").status == 405)
        #expect(try daemon.stop() == 0)
    }

    /// Real headless Chromium, driven by Selenium: every page checked against the line
    /// protocol's answers, the sorting script, the search box, a script name shown as text.
    @Test func theDashboardInARealBrowser() throws {
        let (daemon, port, _) = try dashboardDaemon("web-browser")
        let screens = NSTemporaryDirectory() + "verbinder-screens-\(getpid())"
        let result = try python(try String(contentsOfFile: Paths.repository + "/Tests/browser/dashboard.py", encoding: .utf8),
                                ["--http", "\(port)", "--line", "\(daemon.port)", "--node", "GM1731", "--trajectory", "ka-twente",
                                 "--xss-key", "script-alert-1-script", "--search", "sudwest", "--screens", screens])
        let json = try #require(result.split(separator: "\n").last.map(String.init))
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        #expect((report["failed"] as? [String]) == [], "\(result)")
        let shots = report["screenshots"] as? [String] ?? []
        #expect(shots.count == 7)
        for shot in shots {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: shot)))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 10_000, "\(shot)")
        }
        #expect(try daemon.stop() == 0)
    }
}

/// Migration 0014 widens the set of token roles and keeps every token as it was.
@Suite("Feed token migration")
struct FeedTokenMigrationTests {
    @Test func existingTokensSurviveAndFeedTokensCanBeMade() throws {
        let hash = String(repeating: "ab", count: 32), revoked = String(repeating: "cd", count: 32)
        let (conninfo, db) = try databaseBefore(migration: 14, label: "migration-14", rows: """
            INSERT INTO tokens (name, role, hash) VALUES ('kantoor', 'reader', '\(hash)');
            INSERT INTO tokens (name, role, hash, revoked_at) VALUES ('oud', 'admin', '\(revoked)', now());
            """)
        #expect(throws: (any Error).self) { try db.query("INSERT INTO tokens (name, role, hash) VALUES ('x', 'feed', '\(String(repeating: "ef", count: 32))')") }
        try migrate(conninfo, recording: 14, on: db)
        let rows = try db.query("SELECT name, role, hash, revoked_at IS NOT NULL FROM tokens ORDER BY name").all.map(\.values)
        #expect(rows == [["kantoor", "reader", hash, "f"], ["oud", "admin", revoked, "t"]])
        let (code, output) = try runVerbinderd(["token", "add", "agenda", "--role", "feed", "--database-url", conninfo, "--log-level", "error"])
        #expect(code == 0, "\(output)")
        #expect(try db.query("SELECT role FROM tokens WHERE name = 'agenda'")[0].values == ["feed"])
        #expect(throws: (any Error).self) { try db.query("INSERT INTO tokens (name, role, hash) VALUES ('y', 'king', '\(String(repeating: "12", count: 32))')") }
    }
}
