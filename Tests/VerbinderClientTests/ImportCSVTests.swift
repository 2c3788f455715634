import Foundation
import Testing
@testable import verbinder

/// What `verbinder import` makes of the CSV files spreadsheets write: Dutch Excel's `;` and
/// Windows-1252, rows of only separators, and every bad row named at once.
@Suite("Import CSV")
struct ImportCSVTests {
    /// "Súdwest-Fryslân ‘t “Hof” €" as Windows-1252 writes it.
    static let windows1252Name: [UInt8] = Array("S".utf8) + [0xFA] + Array("dwest-Frysl".utf8) + [0xE2] + Array("n ".utf8)
        + [0x91] + Array("t ".utf8) + [0x93] + Array("Hof".utf8) + [0x94, 0x20, 0x80]

    @Test func theSeparatorIsFoundInTheHeader() {
        #expect(CSV.parse("kind;name;province\r\npartner;Stichting A, B en C;PV21\r\n").rows
                == [CSVRow(line: 1, fields: ["kind", "name", "province"]), CSVRow(line: 2, fields: ["partner", "Stichting A, B en C", "PV21"])])
        #expect(CSV.parse("kind,name\npartner,\"A; B\"\n").separator == ",")
        // A separator inside quotes does not count.
        #expect(CSV.parse("\"kind;x\",name\npartner,A\n").separator == ",")
        #expect(CSV.parse("kind\tname\npartner\tA\n").separator == "\t")
        // Excel's `sep=` line names it, and is no row; line numbers still count it.
        let hinted = CSV.parse("sep=;\r\nkind;name\r\npartner;A\r\n")
        #expect(hinted.separator == ";")
        #expect(hinted.rows == [CSVRow(line: 2, fields: ["kind", "name"]), CSVRow(line: 3, fields: ["partner", "A"])])
    }

    @Test func windows1252IsDetectedAndConverted() throws {
        let bytes = Array("kind;name\r\npartner;".utf8) + ImportCSVTests.windows1252Name + [0x0D, 0x0A]
        let decoded = try CSVDecoder.decode(bytes)
        #expect(decoded.encoding == .windows1252)
        #expect(decoded.text == "kind;name\r\npartner;Súdwest-Fryslân ‘t “Hof” €\r\n")
        // Every defined byte of 0x80–0x9F.
        let high = try CSVDecoder.decode(Array(0x80...0x9F).filter { ![0x81, 0x8D, 0x8F, 0x90, 0x9D].contains($0) })
        #expect(high.text == "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ")
    }

    @Test func utf8IsTakenAsItIsAndItsByteOrderMarkSkipped() throws {
        let plain = try CSVDecoder.decode(Array("kind,name\npartner,Súdwest-Fryslân\n".utf8))
        #expect(plain.encoding == .utf8 && plain.text == "kind,name\npartner,Súdwest-Fryslân\n")
        let marked = try CSVDecoder.decode([0xEF, 0xBB, 0xBF] + Array("kind,name\n".utf8))
        #expect(marked.encoding == .utf8 && marked.text == "kind,name\n")
        #expect(CSV.parse(marked.text).rows.first?.fields == ["kind", "name"])
    }

    @Test func bytesOfNeitherEncodingAreNamedWithTheirLine() {
        // 0x81 is defined in neither UTF-8 (alone) nor Windows-1252.
        #expect(throws: CSVError.self) { try CSVDecoder.decode(Array("kind,name\npartner,A\npartner,".utf8) + [0x81]) }
        do throws(CSVError) {
            _ = try CSVDecoder.decode(Array("kind,name\npartner,A\npartner,".utf8) + [0x81])
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("0x81"))
        }
        // After a UTF-8 byte-order mark a bad byte is damage, not Windows-1252.
        #expect(throws: CSVError.self) { try CSVDecoder.decode([0xEF, 0xBB, 0xBF] + Array("kind,name\nx,".utf8) + [0xE9]) }
    }

    @Test func emptyRowsAndRowsOfOnlySeparatorsAreSkipped() {
        let table = CSV.parse("kind,name,key\npartner,A,a\n,,\n\n  ,  ,\npartner,B,b\n;;\n")
        // `;;` is data in a `,` file: one field, blank but for the semicolons.
        #expect(table.rows.map(\.line) == [1, 2, 6, 7])
        let dutch = CSV.parse("kind;name;key\r\npartner;A;a\r\n;;\r\n;;\r\n")
        #expect(dutch.rows.map(\.line) == [1, 2])
        let checked = try? ImportKind.nodes.check(dutch)
        #expect(checked?.requests.map(\.line) == ["ADD partner A key=a"])
        #expect(checked?.errors == [])
    }

    @Test func everyBadRowIsReportedWithItsLineAndColumn() throws {
        let text = "kind;name;province\n"
            + "partner;Goed;PV21\n"               // 2: fine
            + "partner;;PV21\n"                   // 3: no name
            + "partner;Te veel;PV21;x\n"          // 4: a field too many
            + "partner;Stray \"quote;PV21\n"      // 5: a quote inside an unquoted field
            + ";Zonder soort;\n"                  // 6: no kind
            + "partner;\"Met \"\"quotes\"\"\";PV21\n" // 7: fine
        let table = CSV.parse(text)
        let checked = try ImportKind.nodes.check(table)
        let errors = (table.errors + checked.errors).sorted { $0.line < $1.line }
        #expect(errors.map(\.line) == [3, 4, 5, 6])
        #expect(errors[0].text(file: "regios.csv") == "regios.csv:3: column \"name\": empty, but required")
        #expect(errors[3].column == "kind")
        #expect(checked.requests.map(\.number) == [2, 7])
        #expect(checked.requests.last?.line == #"ADD partner "Met \"quotes\"" province=PV21"#)
    }

    @Test func aRowTwiceInTheFileNamesTheFirstLine() throws {
        let nodes = try ImportKind.nodes.check(CSV.parse("kind,name,key\npartner,A,dup\npartner,B,other\npartner,C,DUP\n"))
        #expect(nodes.errors == [CSVError(line: 4, column: "key", message: "DUP is also on line 2")])
        #expect(nodes.requests.count == 2)
        let links = try ImportKind.links.check(CSV.parse("from,relation,to\nGM0153,works_with,GM0158\ngm0153,works_with,gm0158\n"))
        #expect(links.errors.map(\.line) == [3])
    }

    @Test func aBadHeaderIsEveryFaultOfIt() {
        do throws(CSVErrors) {
            _ = try ImportKind.nodes.check(CSV.parse("kind;naam;kind\npartner;A;partner\n"))
            Issue.record("a bad header was accepted")
        } catch {
            #expect(error.errors.map(\.message) == ["unknown column \"naam\" (columns: kind,name required, key,tier,province,themes,valid_from,valid_to,note optional)",
                                                    "column \"kind\" appears twice", "missing required column \"name\""])
        }
        #expect(throws: CSVErrors.self) { try ImportKind.nodes.check(CSV.parse("\n,,\n")) }
    }

    @Test func anUnclosedQuoteIsAnErrorNotACrash() {
        let table = CSV.parse("kind,name\npartner,\"never closed\npartner,B\n")
        #expect(table.errors == [CSVError(line: 2, message: "a quoted field is not closed (it runs to the end of the file)")])
        #expect(table.rows.count == 1)
        // Odd bytes anywhere never crash the reader.
        for text in ["\"", "\r", "\r\n\r\n", ",", "\"\"\"", "a\"b\nc", "sep=", "sep=;", "\u{FEFF}"] {
            _ = CSV.parse(text)
        }
    }
}
