import Testing
@testable import verbinder

/// The CSV `verbinder export csv` writes (issue 18, point 4): columns in first-seen order,
/// RFC 4180 quoting, CRLF, formulas kept as text.
@Suite("Spreadsheet export")
struct SpreadsheetExportTests {
    @Test func columnsAreEveryFieldInFirstSeenOrder() {
        let text = SpreadsheetExport.csv([[("id", "1"), ("node", "GM1900")], [("id", "2"), ("raised_with", "vws"), ("node", "GM0183")]], separator: ";")
        #expect(text == "id;node;raised_with\r\n1;GM1900;\r\n2;GM0183;vws\r\n")
    }

    @Test func fieldsAreQuotedWhenTheyMustBe() {
        #expect(SpreadsheetExport.field("Súdwest-Fryslân", separator: ";") == "Súdwest-Fryslân")
        #expect(SpreadsheetExport.field("zorg; wonen", separator: ";") == "\"zorg; wonen\"")
        #expect(SpreadsheetExport.field("zorg, wonen", separator: ";") == "zorg, wonen")
        #expect(SpreadsheetExport.field("zorg, wonen", separator: ",") == "\"zorg, wonen\"")
        #expect(SpreadsheetExport.field("de \"regio\"", separator: ",") == "\"de \"\"regio\"\"\"")
        #expect(SpreadsheetExport.field("twee\nregels", separator: ",") == "\"twee\nregels\"")
        #expect(SpreadsheetExport.field("=HYPERLINK(\"x\")", separator: ",") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(SpreadsheetExport.field("-4", separator: ",") == "-4")
        #expect(SpreadsheetExport.field("", separator: ",") == "")
    }
}
