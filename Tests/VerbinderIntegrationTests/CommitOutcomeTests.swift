import Foundation
import PQ
import Testing
import VerbinderStore

/// An answer says what happened: a write whose database connection breaks is answered `OK`
/// when it committed and `ERR UNAVAILABLE` when it did not (issue 14, finding 4), and an
/// `idem=` retry gets the first answer and writes nothing.
@Suite("Commit outcome and idem keys")
struct CommitOutcomeTests {
    /// A seeded database, a proxy in front of it, and a daemon that reaches it only through the proxy.
    func daemonBehindProxy(_ label: String, extra: [String] = []) throws -> (Daemon, LineClient, Connection, FaultProxy) {
        let conninfo = try seededDatabase(label)
        let database = try #require(conninfo.split(separator: " ").first { $0.hasPrefix("dbname=") }).dropFirst(7)
        let cluster = SharedCluster.cluster
        let proxy = try FaultProxy(socketPath: "\(cluster.socketDirectory)/.s.PGSQL.\(cluster.port)")
        let daemon = try Daemon(conninfo: proxy.conninfo(database: String(database)), extraArguments: extra)
        let client = try daemon.connect()
        _ = try client.readLine()
        return (daemon, client, try Connection(conninfo), proxy)
    }

    func count(_ db: Connection, _ sql: String, _ parameters: [String?] = []) throws -> Int {
        try db.query(sql, parameters)[0].int(0)
    }

    @Test func aWriteWhoseAnswerIsLostIsAnsweredOKAndIsInMemory() throws {
        let (daemon, client, db, proxy) = try daemonBehindProxy("outcome-after")
        // One statement that commits by itself (ADD), the connection lost after it was sent.
        proxy.arm("Verloren antwoord", .dropAfter)
        #expect(try client.request("ADD partner \"Verloren antwoord\" key=lost-answer").status == "OK key=lost-answer")
        #expect(proxy.broken == 1)
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key = 'lost-answer'") == 1)
        #expect(try client.request("SHOW lost-answer").status.hasPrefix("OK"))
        // A LINK (group commit), the same.
        proxy.arm("lost-answer", .dropAfter)
        #expect(try client.request("LINK lost-answer member_of vng").status.hasPrefix("OK axis="))
        #expect(proxy.broken == 2)
        #expect(try count(db, "SELECT count(*) FROM relations WHERE from_key = 'lost-answer'") == 1)
        #expect(try client.request("UNLINK lost-answer member_of vng").status == "OK")
        // A write in BEGIN/COMMIT (MILESTONE ADD), the connection lost during its COMMIT.
        #expect(try client.request("TRAJECTORY ADD t-lost \"Verloren commit\" kind=codesign lead=GM0153").status == "OK key=t-lost")
        proxy.arm("Mijlpaal verloren", .dropAtCommit)
        let status = try client.request("MILESTONE ADD t-lost 2027-03-01 \"Mijlpaal verloren\"").status
        #expect(proxy.broken == 3)
        let stored = try db.query("SELECT id FROM milestones WHERE title = 'Mijlpaal verloren'").all.map { try $0.int(0) }
        #expect(stored.count == 1)
        #expect(status == "OK id=\(stored.first ?? -1)")
        // A batch, the connection lost during its COMMIT.
        #expect(try client.request("BEGIN").status.hasPrefix("OK"))
        proxy.arm("Batch verloren", .dropAtCommit)
        #expect(try client.request("ADD partner \"Batch verloren\"").status == "OK key=batch-verloren")
        #expect(try client.request("COMMIT").status == "OK applied=1")
        #expect(proxy.broken == 4)
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key = 'batch-verloren'") == 1)
        #expect(try client.request("SHOW batch-verloren").status.hasPrefix("OK"))
        // The connection stays usable.
        #expect(try client.request("PING").status == "OK pong")
        #expect(try daemon.stop() == 0)
    }

    @Test func aWriteThatNeverArrivedIsUnavailableAndWritesNothing() throws {
        let (daemon, client, db, proxy) = try daemonBehindProxy("outcome-before")
        proxy.arm("Nooit aangekomen", .dropBefore)
        #expect(try client.request("ADD partner \"Nooit aangekomen\" key=never").status.hasPrefix("ERR UNAVAILABLE"))
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key = 'never'") == 0)
        #expect(try client.request("SHOW never").status.hasPrefix("ERR NOTFOUND"))
        // Lost before COMMIT was sent: surely rolled back.
        #expect(try client.request("TRAJECTORY ADD t-never \"Nooit\" kind=codesign lead=GM0153").status == "OK key=t-never")
        proxy.arm("Nooit gecommit", .dropBefore)
        #expect(try client.request("MILESTONE ADD t-never 2027-03-01 \"Nooit gecommit\"").status.hasPrefix("ERR UNAVAILABLE"))
        #expect(try count(db, "SELECT count(*) FROM milestones WHERE title = 'Nooit gecommit'") == 0)
        // The retry writes it once.
        #expect(try client.request("ADD partner \"Nooit aangekomen\" key=never").status == "OK key=never")
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key = 'never'") == 1)
        #expect(try daemon.stop() == 0)
    }

    /// The database stays away while the daemon tries to find out: `ERR INDOUBT`, and the
    /// retry with the same `idem=` key gets the first answer without writing again.
    @Test func inDoubtThenAnIdemRetryGetsTheFirstAnswer() throws {
        let (daemon, client, db, proxy) = try daemonBehindProxy("outcome-doubt", extra: ["--outcome-wait", "1500"])
        #expect(try client.request("TRAJECTORY ADD t-doubt \"Twijfel\" kind=codesign lead=GM0153").status == "OK key=t-doubt")
        proxy.arm("Mijlpaal twijfel", .dropAtCommit)
        proxy.refusing = true
        let line = "MILESTONE ADD t-doubt 2027-04-01 \"Mijlpaal twijfel\" idem=retry-7f3a"
        let first = try client.request(line).status
        proxy.refusing = false
        #expect(first.hasPrefix("ERR INDOUBT"), "\(first)")
        let stored = try db.query("SELECT id FROM milestones WHERE title = 'Mijlpaal twijfel'").all.map { try $0.int(0) }
        #expect(stored.count == 1)
        // The retry: options in another order, same request.
        let retry = try client.request("MILESTONE ADD idem=retry-7f3a t-doubt 2027-04-01 \"Mijlpaal twijfel\"").status
        #expect(retry == "OK id=\(stored.first ?? -1)")
        #expect(try count(db, "SELECT count(*) FROM milestones WHERE title = 'Mijlpaal twijfel'") == 1)
        #expect(try count(db, "SELECT count(*) FROM audit WHERE command LIKE 'MILESTONE ADD%twijfel%'") == 1)
        #expect(try daemon.stop() == 0)
    }

    @Test func idemKeysAnswerRetriesWithTheFirstAnswer() throws {
        let (daemon, client, db) = try freshSeededDaemon("idem")
        // A node, twice: one node, one audit row, the same answer.
        let add = "ADD partner \"Stichting Eenmaal\" idem=k-add-1"
        #expect(try client.request(add).status == "OK key=stichting-eenmaal")
        #expect(try client.request(add).status == "OK key=stichting-eenmaal")
        #expect(try count(db, "SELECT count(*) FROM audit WHERE command LIKE 'ADD partner%Eenmaal%'") == 1)
        // Without the key the same ADD is a conflict: the key is what made the retry safe.
        #expect(try client.request("ADD partner \"Stichting Eenmaal\"").status.hasPrefix("ERR CONFLICT"))
        // A generated id comes back the same.
        #expect(try client.request("TRAJECTORY ADD t-idem \"Idem\" kind=codesign lead=GM0153 idem=k-t").status == "OK key=t-idem")
        let milestone = "MILESTONE ADD t-idem 2027-05-01 Eerste idem=k-m"
        let answer = try client.request(milestone).status
        #expect(answer.hasPrefix("OK id="))
        #expect(try client.request(milestone).status == answer)
        #expect(try count(db, "SELECT count(*) FROM milestones WHERE title = 'Eerste'") == 1)
        // In JSON the kept answer comes in JSON.
        #expect(try client.request("FORMAT json").status.hasPrefix("OK"))
        let json = try client.request(milestone).status
        #expect(json == answer)
        #expect(try client.request("FORMAT text").status.hasPrefix("OK"))
        // LINK and UNLINK take keys too.
        #expect(try client.request("LINK stichting-eenmaal member_of vng idem=k-l").status == "OK axis=horizontal")
        #expect(try client.request("LINK stichting-eenmaal member_of vng idem=k-l").status == "OK axis=horizontal")
        #expect(try client.request("UNLINK stichting-eenmaal member_of vng idem=k-u").status == "OK")
        #expect(try client.request("UNLINK stichting-eenmaal member_of vng idem=k-u").status == "OK")
        #expect(try count(db, "SELECT count(*) FROM relations WHERE from_key = 'stichting-eenmaal'") == 0)
        // The same key for another request is refused, and writes nothing.
        #expect(try client.request("MILESTONE ADD t-idem 2027-05-02 Tweede idem=k-m").status.hasPrefix("ERR CONFLICT"))
        #expect(try count(db, "SELECT count(*) FROM milestones WHERE title = 'Tweede'") == 0)
        // An error is not kept: the key is free for the corrected request.
        #expect(try client.request("MILESTONE ADD t-idem 2027-13-01 Derde idem=k-3").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("MILESTONE ADD t-idem 2027-12-01 Derde idem=k-3").status.hasPrefix("OK id="))
        // Keys are for writes, well formed, and outside a batch on its writes.
        #expect(try client.request("FIND drenthe idem=k-r").status.hasPrefix("ERR USAGE unknown option idem="))
        #expect(try client.request("ADD partner Spatie idem=\"a b\"").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("ADD partner Lang idem=\(String(repeating: "x", count: 65))").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("BEGIN").status.hasPrefix("OK"))
        #expect(try client.request("ADD partner \"In batch\" idem=k-b").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("ROLLBACK").status == "OK")
        // A key on COMMIT stands for the batch: the retried batch gets the first answer and writes nothing.
        for _ in 0..<2 {
            #expect(try client.request("BEGIN").status.hasPrefix("OK"))
            _ = try client.request("ADD partner \"Batch eenmaal\"")
            _ = try client.request("ADD partner \"Batch tweemaal\"")
            #expect(try client.request("COMMIT idem=k-batch").status == "OK applied=2")
        }
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key IN ('batch-eenmaal', 'batch-tweemaal')") == 2)
        let keys = try db.query("SELECT key FROM idempotency_keys ORDER BY key").all.map { try $0.string(0) }
        #expect(keys == ["k-3", "k-add-1", "k-batch", "k-l", "k-m", "k-t", "k-u"])
        // After 24 hours a key is free again, and expired keys are purged.
        try db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-m'")
        let again = try client.request(milestone).status
        #expect(again.hasPrefix("OK id=") && again != answer)
        #expect(try count(db, "SELECT count(*) FROM milestones WHERE title = 'Eerste'") == 2)
        try db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-3'")
        #expect(try Idempotency.purge(db) == 1)
        #expect(try daemon.stop() == 0)
    }

    /// Keys belong to the token that used them: another token's same key is another key.
    @Test func idemKeysBelongToTheirToken() throws {
        let conninfo = try seededDatabase("idem-tokens")
        var tokens: [String] = []
        for name in ["anna", "bram"] {
            tokens.append(try AccessTests().addToken(conninfo, name, "connector"))
        }
        let daemon = try Daemon(conninfo: conninfo)
        let db = try Connection(conninfo)
        for (index, token) in tokens.enumerated() {
            let client = try daemon.connect()
            _ = try client.readLine()
            #expect(try client.request("AUTH \(token)").status.hasPrefix("OK"))
            #expect(try client.request("ADD partner \"Partner \(index)\" idem=same").status == "OK key=partner-\(index)")
        }
        #expect(try count(db, "SELECT count(*) FROM nodes WHERE key IN ('partner-0', 'partner-1')") == 2)
        #expect(try daemon.stop() == 0)
    }

    /// Migration 0009 (write ids, kept answers) keeps every audit row, with no write id.
    @Test func writeOutcomeMigrationKeepsEveryAuditRow() throws {
        let (conninfo, db) = try databaseBefore(migration: 9, label: "migrate-0009", rows: """
            INSERT INTO audit (actor, remote, connection, command, changes, daemon) VALUES
              ('admin', '127.0.0.1:5000', 3, 'ADD partner X', '{"action":"add","node":"x"}', 'a1b2c3d4'),
              ('seed', NULL, NULL, 'seed', '{}', NULL);
            """)
        let rows = "SELECT id::text, actor, coalesce(remote, '-'), command, changes::text, coalesce(daemon, '-') FROM audit ORDER BY id"
        let before = try db.query(rows).all.map { $0.values }
        try migrate(conninfo, recording: 9, on: db)
        #expect(try db.query(rows).all.map { $0.values } == before)
        #expect(try count(db, "SELECT count(*) FROM audit WHERE write_id IS NULL") == 2)
        #expect(try count(db, "SELECT count(*) FROM idempotency_keys") == 0)
    }
}
