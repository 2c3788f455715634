import Foundation
import PQ
import Testing
import VerbinderStore

/// People in their functions (issue 18, point 3): contacts with a function and a portfolio,
/// found across the graph, invited by MEETING PLAN and in the exported calendar, and erased
/// everywhere by CONTACT FORGET.
@Suite("Contacts")
struct ContactTests {
    @Test func contactsInTheirFunctionsAreFoundAndTheRightOneIsInvited() throws {
        let (daemon, client, db) = try freshSeededDaemon("contacts")
        #expect(try client.request("CONTACT ADD GM0153 \"Bram Burgervader\" burgemeester@enschede.nl function=burgemeester themes=economie").status
                == "OK id=1")
        #expect(try client.request("CONTACT ADD enschede \"Wendy Woonwethouder\" w.wethouder@enschede.nl function=wethouder themes=housing,ruimte role=\"wethouder wonen\"").status
                == "OK id=2")
        #expect(try client.request("CONTACT ADD GM0153 \"Bas Beleid\" b.beleid@enschede.nl function=beleidsmedewerker themes=wonen").status == "OK id=3")
        #expect(try client.request("CONTACT ADD vws \"Daan Generaal\" dg@minvws.nl function=directeur-generaal themes=zorg").status == "OK id=4")
        #expect(try client.request("CONTACT ADD GM0153 X x@enschede.nl function=koning").status.hasPrefix("ERR INVALID function=koning"))
        #expect(try client.request("CONTACT ADD GM0153 X x@enschede.nl themes=wonnen").status.hasPrefix("ERR INVALID"))
        #expect(try client.request("CONTACT ADD GM0153 X enschede.nl").status == "ERR INVALID not an e-mail address")
        #expect(try client.request("CONTACT ADD GM0153 \" \" x@enschede.nl").status == "ERR INVALID a contact needs a name")
        #expect(try client.request("CONTACT ADD GM9999 X x@enschede.nl").status.hasPrefix("ERR NOTFOUND"))
        #expect(try db.query("SELECT count(*) FROM contacts")[0].int(0) == 4)

        // The portfolio is stored as theme keys; a synonym resolves.
        let wethouder = try parseRecord(try client.request("CONTACTS function=wethouder").lines[0])
        #expect(wethouder.fields["id"] == "2" && wethouder.fields["function"] == "wethouder" && wethouder.fields["themes"] == "wonen,ruimte"
                && wethouder.fields["role"] == "wethouder wonen" && wethouder.fields["node"] == "GM0153")
        let ids = { (line: String) in try client.request(line).lines.map { try parseRecord($0).fields["id"] ?? "" } }
        #expect(try ids("CONTACTS theme=wonen") == ["2", "3"])
        #expect(try ids("CONTACTS GM0153") == ["1", "2", "3"])
        #expect(try ids("CONTACTS node=enschede function=burgemeester") == ["1"])
        #expect(try ids("CONTACTS") == ["1", "2", "3", "4"])
        #expect(try client.request("CONTACTS limit=2").status == "OK rows=2 count=4")
        #expect(try client.request("CONTACTS theme=zorg node=vws").status == "OK rows=1 count=1")
        #expect(try client.request("CONTACTS GM0153 node=GM0153").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("CONTACTS function=koning").status.hasPrefix("ERR INVALID"))

        // SET changes what it names; empty themes= clears the portfolio.
        #expect(try client.request("CONTACT SET 1 themes=").status == "OK id=1")
        #expect(try client.request("CONTACT SET 1 function=gemeentesecretaris role=\"\"").status == "OK id=1")
        #expect(try db.query("SELECT function, themes::text, role FROM contacts WHERE id = 1")[0].values == ["gemeentesecretaris", "{}", nil])
        #expect(try client.request("CONTACT SET 1 function=burgemeester themes=economie").status == "OK id=1")
        #expect(try client.request("CONTACT SET 1").status.hasPrefix("ERR USAGE"))
        #expect(try client.request("CONTACT SET 99 name=X").status == "ERR NOTFOUND no contact 99")
        #expect(try client.request("CONTACT SET 1 email=nope").status == "ERR INVALID not an e-mail address")
        // The audit keeps no name or address of a contact write.
        #expect(try db.query("SELECT count(*) FROM audit WHERE command ~* '(wendy|burgemeester@|w\\.wethouder)'")[0].int(0) == 0)

        // MEETING PLAN invites per participant: the wethouder wonen at Enschede, nobody fitting at
        // VWS (its DG holds zorg), nobody known at the province.
        #expect(try client.request("TRAJECTORY ADD cd-wonen-twente \"Woondeal Twente\" kind=codesign lead=GM0153 themes=wonen").status.hasPrefix("OK"))
        let planned = try client.request("MEETING PLAN cd-wonen-twente 2027-01-12T10:00 GM0153 PV23 vws title=\"Woontafel Twente\"")
        #expect(planned.status.hasPrefix("OK id=1 "), "\(planned)")
        let invites = try planned.lines.map(parseRecord).filter { $0.type == "invite" }
        #expect(invites.map { $0.fields["node"] } == ["GM0153", "PV23", "vws"])
        #expect(invites[0].fields["contact"] == "2" && invites[0].fields["name"] == "Wendy Woonwethouder" && invites[0].fields["function"] == "wethouder"
                && invites[0].fields["email"] == "w.wethouder@enschede.nl")
        #expect(invites[1].fields["contact"] == "none" && invites[1].fields["reason"] == "no contact with a portfolio for wonen")
        #expect(invites[2].fields["contact"] == "none" && invites[2].fields["reason"] == "no contact with a portfolio for wonen")

        // The ministry's account manager for the region spans every theme: invited from now on,
        // also in the calendar, where goals with a date are to-dos.
        #expect(try client.request("CONTACT ADD vws \"Aaf Accountmanager\" aaf@minvws.nl function=accountmanager-regio").status == "OK id=5")
        #expect(try client.request("GOAL ADD cd-wonen-twente \"500 woningen voor starters\" indicator=opgeleverd target=500 by=2027-06-30").status
                == "OK id=1")
        let exported = try client.request("EXPORT ics trajectory=cd-wonen-twente")
        #expect(exported.status.hasSuffix("events=1 todos=1"), "\(exported.status)")
        let path = NSTemporaryDirectory() + "verbinder-attendees-\(UUID().uuidString).ics"
        try (exported.lines.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
        import sys, icalendar
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
        for c in cal.walk():
            if c.name == 'VEVENT':
                for a in c.get('ATTENDEE'):
                    print('ATTENDEE', str(a), '|', a.params.get('CN'), '|', a.params.get('X-VERBINDER-NODE', '-'))
            if c.name == 'VTODO':
                print('VTODO', c.get('UID'), c.decoded('DUE').isoformat(), c.get('SUMMARY'), '|', c.get('STATUS'))
        """
        let child = try ChildProcess(["/usr/bin/env", "python3", "-c", script, path])
        #expect(try child.wait() == 0, "\(child.output)")
        let parsed = child.output.split(separator: "\n").map(String.init)
        #expect(parsed == [
            "ATTENDEE mailto:w.wethouder@enschede.nl | Wendy Woonwethouder (Enschede) | GM0153",
            "ATTENDEE urn:verbinder:node:PV23 | Overijssel | -",
            "ATTENDEE mailto:aaf@minvws.nl | Aaf Accountmanager (Ministerie van Volksgezondheid, Welzijn en Sport) | vws",
            "VTODO goal-1@verbinder.vng.nl 2027-06-30 Doel: 500 woningen voor starters | NEEDS-ACTION",
        ], "\(child.output)")

        // The monitoring officer's spreadsheets of goals and contacts hold every row.
        let goals = try runClient(["--port", "\(daemon.port)", "export", "csv", "goals"])
        #expect(goals.code == 0 && goals.stdout.hasPrefix("id,trajectory,text,indicator,target,by,state"), "\(goals.stdout)")
        #expect(goals.stdout.components(separatedBy: "\r\n").count == 3)
        let contacts = try runClient(["--port", "\(daemon.port)", "export", "csv", "contacts", "function=wethouder"])
        #expect(contacts.code == 0 && contacts.stdout.components(separatedBy: "\r\n").count == 3, "\(contacts.stdout)")
        #expect(contacts.stdout.contains("Wendy Woonwethouder") && contacts.stdout.contains("\"wonen,ruimte\""))
        #expect(try daemon.stop() == 0)
    }

    /// CONTACT FORGET leaves no trace of the person's address or name in any table: the whole
    /// database, dumped by pg_dump, is searched for both. Everything else stays.
    @Test func forgettingAPersonLeavesNoTraceInAFullDump() throws {
        let (daemon, client, db) = try freshSeededDaemon("contacts-forget")
        let name = "Anneke Ölmez-Bakker", email = "anneke.olmez@enschede.nl"
        let ok = { (line: String) throws -> String in
            let answer = try client.request(line)
            #expect(answer.status.hasPrefix("OK"), "\(line) -> \(answer)")
            return answer.status
        }
        _ = try ok("CONTACT ADD GM0153 \"\(name)\" \(email) function=wethouder themes=wonen role=\"wethouder, tel. via \(email)\"")
        _ = try ok("CONTACT ADD GM0153 \"Piet Blijft\" piet.blijft@enschede.nl function=beleidsmedewerker themes=wonen")
        _ = try ok("TRAJECTORY ADD t-wonen \"Woondeal met \(name)\" kind=codesign lead=GM0153 themes=wonen goal=\"Afspraken met \(name)\"")
        _ = try ok("SIGNAL ADD GM0153 problem wonen \"Starters vinden niets, meldt \(name) (\(email))\"")
        _ = try ok("MEETING PLAN t-wonen 2026-11-20T10:00 GM0153 vws title=\"Overleg met \(name)\" idem=plan-1")
        _ = try ok("MEETING NOTE 1 \(name.uppercased()) belt terug")
        _ = try ok("SIGNAL RAISE 1 vws meeting=1 note=\"ingebracht door \(name)\"")
        _ = try ok("SIGNAL ANSWER 1 \"Antwoord gestuurd aan \(email)\" by=vws")
        _ = try ok("SIGNAL CLOSE 1 outcome=\"\(name) is tevreden\"")
        _ = try ok("MEETING HELD 1 outcome=\"Afspraak: \(email) stuurt de cijfers\"")
        _ = try ok("MILESTONE ADD t-wonen 2027-02-01 \"Bellen met \(name)\"")
        _ = try ok("GOAL ADD t-wonen \"\(name) trekt de woontafel\" target=\"zie \(email)\"")
        _ = try ok("GOAL PROGRESS 2 gesproken note=\"mail van \(email)\"")
        _ = try ok("MILESTONE MOVE 1 2027-03-01 reason=\"\(name) op vakantie\"")

        let dump = { () throws -> String in
            let child = try ChildProcess([try SharedCluster.cluster.tool("pg_dump"), "--dbname", daemon.conninfo])
            #expect(try child.wait() == 0, "\(child.output)")
            return child.output
        }
        let before = try dump().lowercased()
        #expect(before.contains(name.lowercased()) && before.contains(email), "the person is in the dump before")

        #expect(try client.request("CONTACT FORGET \(email.uppercased())").status == "OK removed=1")
        let after = try dump().lowercased()
        #expect(!after.contains(name.lowercased()), "the name is left in the dump")
        #expect(!after.contains(email), "the address is left in the dump")
        #expect(!after.contains("ölmez"), "part of the name is left in the dump")
        // What happened remains: the other contact, every step, every audit row.
        #expect(after.contains("piet.blijft@enschede.nl"))
        #expect(try db.query("SELECT count(*) FROM signal_steps WHERE signal = 1")[0].int(0) == 4)
        #expect(try db.query("SELECT text FROM signal_steps WHERE status = 'answered'")[0].values == ["Antwoord gestuurd aan <forgotten>"])
        #expect(try db.query("SELECT name FROM trajectories")[0].values == ["Woondeal met <forgotten>"])
        #expect(try client.request("CONTACTS GM0153").status == "OK rows=1 count=1")
        #expect(try daemon.stop() == 0)
    }

    /// Every text column of the schema is either searched by CONTACT FORGET or declared to hold
    /// no free text a person could be named in: a new column must choose.
    @Test func forgetKnowsEveryFreeTextColumn() throws {
        let (daemon, _, db) = try freshSeededDaemon("contacts-columns")
        let structured: Set<String> = [
            "aliases.alias", "aliases.node_key", "aliases.search_alias", "audit.actor", "audit.daemon", "audit.remote", "audit.write_id",
            "audit_mentions.node_key",  // node keys, and the node/from/to of a row's changes: no address or name
            "contacts.email", "contacts.function", "contacts.name", "contacts.node_key", "contacts.themes",
            "goals.state", "goals.trajectory", "idempotency_keys.actor", "idempotency_keys.key", "idempotency_keys.request",
            "meeting_participants.node_key", "meetings.axis", "meetings.status", "meetings.trajectory",
            "milestone_history.change", "milestones.owner_key", "milestones.remind", "milestones.status", "milestones.trajectory",
            "node_last_held.node_key",  // a node key
            "nodes.key", "nodes.kind", "nodes.name", "nodes.province", "nodes.region_type", "nodes.search_name", "nodes.themes", "nodes.tier",
            "relations.from_key", "relations.relation", "relations.themes", "relations.to_key",
            "reminders.lease_holder", "reminders.lease_token", "reminders.leased_by", "reminders.rule", "reminders.state",
            "schema_migrations.name", "signal_steps.node_key", "signal_steps.status", "signals.kind", "signals.node_key",
            "signals.raised_with", "signals.status", "signals.theme", "stakeholders.node_key", "stakeholders.role",
            "stakeholders.trajectory", "themes.key", "themes.label", "themes.synonyms", "tokens.hash", "tokens.name", "tokens.role",
            "trajectories.key", "trajectories.kind", "trajectories.lead_key", "trajectories.region_key", "trajectories.remind",
            "trajectories.status", "trajectories.themes",
        ]
        let searched = Set(ContactStore.freeText.flatMap { table, columns in columns.map { "\(table).\($0)" } }
                           + ContactStore.freeJSON.map { "\($0.table).\($0.column)" } + ContactStore.organisationText.map { "\($0.table).\($0.column)" })
        let columns = try db.query("""
            SELECT table_name || '.' || column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND (data_type IN ('text', 'jsonb', 'json', 'character varying') OR udt_name IN ('_text', '_varchar'))
            ORDER BY 1
            """).all.map { try $0.string(0) }
        #expect(columns.filter { !structured.contains($0) && !searched.contains($0) } == [], "classify these for CONTACT FORGET")
        #expect(searched.subtracting(columns) == [], "these are no columns")
        #expect(try daemon.stop() == 0)
    }

    @Test func theMigrationGivesARoleThatNamesAFunctionThatFunction() throws {
        let (conninfo, db) = try databaseBefore(migration: 13, label: "migrate-0013", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL),
              ('vws', 'ministry', 'VWS', 'vws', 'national', NULL, '{}', '{}', NULL);
            INSERT INTO contacts (node_key, name, email, role, created_at) VALUES
              ('GM0153', 'Wendy', 'w@enschede.nl', ' Wethouder ', '2025-01-01T10:00:00+01'),
              ('vws', 'Daan', 'd@minvws.nl', 'Directeur Generaal', '2025-01-02T10:00:00+01'),
              ('GM0153', 'Pim', 'p@enschede.nl', 'projectleider wonen', '2025-01-03T10:00:00+01'),
              ('GM0153', 'Els', 'e@enschede.nl', NULL, '2025-01-04T10:00:00+01');
            """)
        let rows = "SELECT id, node_key, name, email, role, created_at::text FROM contacts ORDER BY id"
        let before = try db.query(rows).all.map(\.values)
        try migrate(conninfo, recording: 13, on: db)
        #expect(try db.query(rows).all.map(\.values) == before)
        #expect(try db.query("SELECT function, themes::text FROM contacts ORDER BY id").all.map(\.values)
                == [["wethouder", "{}"], ["directeur-generaal", "{}"], ["other", "{}"], ["other", "{}"]])
        #expect(throws: PQError.self) { try db.query("UPDATE contacts SET function = 'koning' WHERE id = 1") }

        let daemon = try Daemon(conninfo: conninfo)
        let client = try daemon.connect()
        _ = try client.readLine()
        #expect(try client.request("CONTACTS function=wethouder").lines.map { try parseRecord($0).fields["name"] } == ["Wendy"])
        #expect(try daemon.stop() == 0)
    }
}
