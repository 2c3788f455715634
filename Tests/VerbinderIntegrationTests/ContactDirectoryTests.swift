import Foundation
import PQ
import Testing
import VerbinderStore

/// The contacts a calendar invites from are kept in memory (ContactDirectory) and read again
/// when `contacts_version` moves (migration 18): every kind of write to `contacts`, by the
/// daemon or by anyone else, shows in the next calendar.
@Suite struct ContactDirectoryTests {
    /// The `mailto:` addresses of a calendar's ATTENDEE lines, unfolded.
    func invited(_ lines: [String]) -> [String] {
        var unfolded: [String] = []
        for line in lines {
            if line.hasPrefix(" "), !unfolded.isEmpty { unfolded[unfolded.count - 1] += line.dropFirst() } else { unfolded.append(line) }
        }
        return unfolded.filter { $0.hasPrefix("ATTENDEE") }.compactMap { line in line.range(of: ":mailto:").map { String(line[$0.upperBound...]) } }
    }

    @Test func everyWriteToContactsShowsInTheNextCalendar() throws {
        let (daemon, client, db) = try freshSeededDaemon("contact-directory")
        let version = { try db.query("SELECT version FROM contacts_version")[0].int(0) }
        let calendar = { self.invited(try client.request("EXPORT ics trajectory=cd-wonen").lines) }
        #expect(try client.request("TRAJECTORY ADD cd-wonen \"Woondeal\" kind=codesign lead=GM0153 themes=wonen").status.hasPrefix("OK"))
        #expect(try client.request("MEETING PLAN cd-wonen 2027-01-12T10:00 GM0153 vws").status.hasPrefix("OK"))
        #expect(try calendar() == [])

        // Through the daemon: add, change, remove.
        var seen = try version()
        #expect(try client.request("CONTACT ADD GM0153 \"Wendy W\" w@enschede.nl function=wethouder themes=wonen").status == "OK id=1")
        #expect(try version() > seen)
        #expect(try calendar() == ["w@enschede.nl"])
        seen = try version()
        #expect(try client.request("CONTACT SET 1 email=wendy@enschede.nl").status == "OK id=1")
        #expect(try version() > seen)
        #expect(try calendar() == ["wendy@enschede.nl"])

        // Written by someone else (another daemon, psql, a bulk load): the next calendar has it.
        seen = try version()
        try db.executeScript("INSERT INTO contacts (node_key, name, email, function, themes) VALUES ('vws', 'Daan', 'dg@minvws.nl', 'directeur-generaal', '{wonen}')")
        #expect(try version() > seen)
        #expect(try calendar() == ["wendy@enschede.nl", "dg@minvws.nl"])
        try db.executeScript("UPDATE contacts SET themes = '{zorg}' WHERE email = 'dg@minvws.nl'")
        #expect(try calendar() == ["wendy@enschede.nl"])

        // A write that is rolled back leaves the calendar and the number as they were.
        seen = try version()
        try db.executeScript("BEGIN; UPDATE contacts SET themes = '{wonen}' WHERE email = 'dg@minvws.nl'; ROLLBACK;")
        #expect(try version() == seen)
        #expect(try calendar() == ["wendy@enschede.nl"])

        #expect(try client.request("CONTACT FORGET wendy@enschede.nl").status == "OK removed=1")
        #expect(try calendar() == [])
        #expect(try client.request("CONTACT ADD GM0153 \"Bas\" bas@enschede.nl function=beleidsmedewerker themes=wonen").status.hasPrefix("OK id="))
        #expect(try calendar() == ["bas@enschede.nl"])
        try db.executeScript("TRUNCATE contacts")
        #expect(try calendar() == [])
        #expect(try daemon.stop() == 0)
    }

    @Test func migrationEighteenKeepsTheContactsAndStartsTheNumber() throws {
        let (conninfo, db) = try databaseBefore(migration: 18, label: "migrate-0018", rows: """
            INSERT INTO nodes (key, kind, name, search_name, tier, province, themes, attributes, region_type) VALUES
              ('GM0153', 'municipality', 'Enschede', 'enschede', 'local', NULL, '{}', '{}', NULL);
            INSERT INTO contacts (node_key, name, email, function, themes) VALUES
              ('GM0153', 'Wendy', 'w@enschede.nl', 'wethouder', '{wonen}'), ('GM0153', 'Bas', 'b@enschede.nl', 'beleidsmedewerker', '{}');
            INSERT INTO trajectories (key, name, kind, lead_key) VALUES ('cd-wonen', 'Woondeal', 'codesign', 'GM0153');
            """)
        let rows = "SELECT id, node_key, name, email, function, themes::text FROM contacts ORDER BY id"
        let before = try db.query(rows).all.map(\.values)
        try migrate(conninfo, recording: 18, on: db)
        #expect(try db.query(rows).all.map(\.values) == before)
        #expect(try db.query("SELECT version FROM contacts_version")[0].int(0) == 1)
        #expect(try db.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'trajectories_lead'")[0].int(0) == 1)
        let directory = ContactDirectory()
        let first = try directory.snapshot(db)
        #expect(first.contacts(of: "GM0153").map(\.email) == ["w@enschede.nl", "b@enschede.nl"])
        try db.executeScript("DELETE FROM contacts WHERE name = 'Bas'")
        #expect(try directory.snapshot(db).contacts(of: "GM0153").map(\.email) == ["w@enschede.nl"])
        // Only one row: the number cannot be split.
        #expect(throws: PQError.self) { try db.query("INSERT INTO contacts_version (only_row, version) VALUES (false, 5)") }
    }
}
