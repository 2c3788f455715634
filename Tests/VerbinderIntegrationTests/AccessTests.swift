import Foundation
import PQ
import Testing
import VerbinderCluster

/// Tokens, roles, protected mode and the audit trail.
@Suite("Access control")
struct AccessTests {
    func addToken(_ conninfo: String, _ name: String, _ role: String) throws -> String {
        let child = try ChildProcess([Paths.verbinderd, "token", "add", name, "--role", role, "--database-url", conninfo, "--log-level", "error"])
        #expect(try child.wait() == 0, "\(child.output)")
        let token = child.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        return token
    }

    func waitUntil(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @Test func refusesToListenOpenlyWithoutTokens() throws {
        let conninfo = try SharedCluster.freshDatabase("openlisten")
        let child = try ChildProcess([Paths.verbinderd, "serve", "--database-url", conninfo, "--listen", "0.0.0.0:0"])
        #expect(try child.wait() != 0)
        #expect(child.output.contains("protected mode"))
    }

    @Test func tokensRolesRevocationAndAudit() throws {
        let conninfo = try SharedCluster.freshDatabase("tokens")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo)
        let early = try daemon.connect()
        #expect(try early.readLine()?.hasSuffix("protected=yes") == true)
        #expect(try early.request("FIND drenthe").status.hasPrefix("OK"))

        let readerToken = try addToken(conninfo, "reader-1", "reader")
        let connectorToken = try addToken(conninfo, "connector-1", "connector")
        let senderToken = try addToken(conninfo, "sender-1", "sender")
        let adminToken = try addToken(conninfo, "admin-1", "admin")
        // The open connection loses its protected-mode rights as soon as tokens exist.
        #expect(try waitUntil { try early.request("FIND drenthe").status.hasPrefix("ERR DENIED") })

        let client = try daemon.connect()
        #expect(try client.readLine()?.hasSuffix("ready") == true)
        #expect(try client.request("PING").status == "OK pong")
        #expect(try client.request("HELP PING").status.hasPrefix("OK"))
        #expect(try client.request("FIND drenthe").status == "ERR DENIED authentication required (AUTH <token>)")
        #expect(try client.request("AUTH \(readerToken)").status == "OK role=reader name=reader-1")
        #expect(try client.request("FIND drenthe").status.hasPrefix("OK rows="))
        #expect(try client.request("LINK GM1731 works_with GM0106").status.hasPrefix("ERR DENIED"))
        #expect(try client.request("AUDIT").status.hasPrefix("ERR DENIED"))

        let connector = try daemon.connect()
        _ = try connector.readLine()
        #expect(try connector.request("AUTH \(connectorToken)").status == "OK role=connector name=connector-1")
        #expect(try connector.request("LINK GM1731 works_with GM0106").status.hasPrefix("OK axis="))
        #expect(try connector.request("CONTACT ADD GM1731 \"Anna\" anna@middendrenthe.nl").status.hasPrefix("OK id="))
        #expect(try connector.request("CONTACTS GM1731").lines.first?.contains("anna@middendrenthe.nl") == true)
        #expect(try client.request("CONTACTS GM1731").lines.first?.contains("anna@") == false)
        // The person to invite: the connector gets the address, in the plan and in the calendar;
        // the reader's calendar names the organisation.
        let planned = try connector.request("MEETING PLAN - 2027-01-12T10:00 GM1731 PV22")
        #expect(planned.lines.contains { $0.hasPrefix("invite node=GM1731 contact=") && $0.contains("email=anna@middendrenthe.nl") })
        #expect(try connector.request("EXPORT ics").lines.contains { $0.contains("mailto:anna@middendrenthe.nl") })
        let readersCalendar = try client.request("EXPORT ics").lines
        #expect(!readersCalendar.contains { $0.contains("anna@") } && readersCalendar.contains { $0.contains("urn:verbinder:node:GM1731") })

        let sender = try daemon.connect()
        _ = try sender.readLine()
        #expect(try sender.request("AUTH \(senderToken)").status.hasPrefix("OK role=sender"))
        #expect(try sender.request("REMINDERS CLAIM cron").status.hasPrefix("OK claimed="))
        #expect(try sender.request("FIND drenthe").status.hasPrefix("ERR DENIED"))
        #expect(try sender.request("ADD partner X").status.hasPrefix("ERR DENIED"))

        let admin = try daemon.connect()
        _ = try admin.readLine()
        #expect(try admin.request("AUTH \(adminToken)").status.hasPrefix("OK role=admin"))
        let audit = try admin.request("AUDIT token=connector-1").lines.map(parseRecord)
        #expect(audit.count == 3)
        #expect(audit.allSatisfy { $0.fields["actor"] == "connector-1" && $0.fields["remote"]?.hasPrefix("127.0.0.1") == true })
        #expect(audit.contains { $0.fields["command"] == "LINK GM1731 works_with GM0106" })

        // Revoking a token takes its rights from open connections at once.
        let revoke = try ChildProcess([Paths.verbinderd, "token", "revoke", "reader-1", "--database-url", conninfo])
        #expect(try revoke.wait() == 0)
        #expect(try waitUntil { try client.request("FIND drenthe").status.hasPrefix("ERR DENIED") })
        #expect(try client.request("AUTH \(readerToken)").status.hasPrefix("ERR DENIED"))

        // Tokens never reach the audit trail or the log.
        let db = try Connection(conninfo)
        let everything = try db.query("SELECT string_agg(command || changes::text, ' ') FROM audit")[0].string(0)
        for token in [readerToken, connectorToken, senderToken, adminToken] {
            #expect(!everything.contains(token))
            #expect(!daemon.process.output.contains(token))
        }
        #expect(try db.query("SELECT count(*) FROM tokens WHERE length(hash) = 64")[0].int(0) == 4)
        #expect(try daemon.stop() == 0)
    }

    @Test func fiveFailedAuthsCloseTheConnection() throws {
        let conninfo = try SharedCluster.freshDatabase("authfail")
        _ = try addToken(conninfo, "someone", "reader")
        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        let started = Date()
        for _ in 0..<5 { #expect(try client.request("AUTH wrong").status == "ERR DENIED invalid token") }
        #expect(try client.readLine() == nil)
        // Each failure answers later than the one before (0.2 s, 0.4 s, … 1 s: 3 s in all), so
        // guessing is slow. A lower bound: a slow machine only makes it slower.
        #expect(Date().timeIntervalSince(started) >= 2.9)
        #expect(try daemon.stop() == 0)
    }

    @Test func insecureOpenServesANonLoopbackAddressWithoutTokens() throws {
        // The other half of refusesToListenOpenlyWithoutTokens: the explicit opt-out.
        let conninfo = try SharedCluster.freshDatabase("insecure")
        // With --insecure-open it serves, with full rights, and says so in its greeting.
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--listen", "0.0.0.0:0", "--insecure-open"])
        let client = try daemon.connect()
        #expect(try client.readLine() == "OK verbinder 0.1.0 ready protected=yes")
        #expect(try client.request("ADD partner \"Open\"").status == "OK key=open")
        #expect(daemon.process.output.contains("address=0.0.0.0:"), "\(daemon.process.output)")
        #expect(try daemon.stop() == 0)
    }

    @Test func theAuditTableIsAppendOnlyForTheDaemonRole() throws {
        // deploy/database.sql on a cluster of its own (it creates roles and a database named
        // verbinder), the migrations as the owner role, then the daemon role may insert into
        // the audit table and read it, but not change or remove a row.
        let cluster = PostgresCluster(directory: NSTemporaryDirectory() + "verbinder-grants-\(getpid())", database: "scratch")
        try cluster.createIfNeeded()
        defer { cluster.destroy() }
        let psql = try cluster.tool("psql")
        func runScript() throws {
            let child = try ChildProcess([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.socketDirectory, "-p", String(cluster.port),
                                          "-U", "postgres", "-d", "postgres", "-f", Paths.repository + "/deploy/database.sql"])
            #expect(try child.wait() == 0, "\(child.output)")
        }
        try runScript()
        let base = "host=\(cluster.socketDirectory) port=\(cluster.port) dbname=verbinder"
        let migrate = try runVerbinderd(["migrate", "--database-url", base + " user=verbinder_owner"])
        #expect(migrate.0 == 0, "\(migrate.1)")
        try runScript()  // grants for the tables the migrations made
        let daemon = try Connection(base + " user=verbinder")
        try daemon.query("INSERT INTO audit (actor, command) VALUES ('test', 'PING')")
        #expect(try daemon.query("SELECT count(*) FROM audit WHERE actor = 'test'")[0].int(0) == 1)
        // Its mentions are indexed by the owner's catch-up, which the daemon role may call.
        try daemon.query("INSERT INTO audit (actor, command, changes) VALUES ('test', 'REMOVE x', '{\"node\": \"x\"}')")
        try AuditMentionTests.indexEverything(daemon)
        #expect(try daemon.query("SELECT count(*) FROM audit_mentions WHERE node_key = 'x'")[0].int(0) == 1)
        for statement in ["UPDATE audit SET actor = 'someone else'", "DELETE FROM audit", "TRUNCATE audit",
                          "SELECT setval('audit_id_seq', 1)", "DROP TABLE audit",
                          "INSERT INTO audit_mentions VALUES ('y', 1)", "DELETE FROM audit_mentions",
                          "UPDATE audit_mentions SET node_key = 'y'", "TRUNCATE audit_mentions",
                          "UPDATE audit_mentions_done SET upto = upto + 1000", "DELETE FROM audit_mentions_done"] {
            do {
                try daemon.query(statement)
                Issue.record("the daemon role could run: \(statement)")
            } catch let error as PQError {
                #expect(error.sqlState == "42501" || error.sqlState == "42P01", "\(statement): \(error)")
            }
        }
        // The daemon role keeps what it needs: writing the graph.
        try daemon.query("INSERT INTO nodes (key, kind, name, search_name, tier) VALUES ('x', 'partner', 'X', 'x', 'regional')")
        #expect(try daemon.query("UPDATE nodes SET name = 'Y' WHERE key = 'x'").affectedRows == 1)
    }
}
