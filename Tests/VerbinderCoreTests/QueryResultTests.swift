import PQ
import Testing

/// Values decoded from the result PostgreSQL sent, as PostgreSQL wrote them: integers at the
/// edges of `Int`, NULL, booleans, text in any script, and rows that outlive the connection.
struct QueryResultTests {
    @Test func integersAreReadAsIntReadsTheirText() throws {
        let connection = try Connection(try CoreCluster.freshDatabase("queryresult"))
        defer { connection.close() }
        let texts = ["0", "-0", "7", "-7", "+7", "00042", String(Int.max), String(Int.min), "9223372036854775808",
                     "-9223372036854775809", "12a", "", "-", "+", " 1", "1.5", "٣"]
        let result = try connection.query("SELECT t, t::text IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
                                          [PostgresArray.literal(texts)])
        #expect(result.count == texts.count)
        for (row, text) in texts.enumerated() {
            let decoded = try? result[row].int(0)
            #expect(decoded == Int(text), "\(text)")
            // Never NULL here: optionalInt gives the value or throws, as int does.
            var optional: Int? = nil
            do { optional = try result[row].optionalInt(0) } catch { optional = nil }
            #expect(optional == Int(text), "\(text)")
        }
        let bigint = try connection.query("SELECT $1::bigint, $2::bigint, NULL::bigint", [String(Int.min), String(Int.max)])
        #expect(try bigint[0].int(0) == Int.min && bigint[0].int(1) == Int.max)
        #expect(try bigint[0].optionalInt(2) == nil)
        #expect(throws: PQError.self) { try bigint[0].int(2) }
    }

    @Test func textNullAndBooleansKeepWhatPostgresSent() throws {
        let connection = try Connection(try CoreCluster.freshDatabase("queryresult"))
        let result = try connection.query("SELECT 'Súdwest-Fryslân', '', NULL::text, true, false, NULL::boolean, '{wonen,\"a b\"}'::text[] UNION ALL SELECT 'x', 'y', 'z', false, true, true, '{}'")
        connection.close()  // the rows stay readable: the result is kept, not the connection
        #expect(result.columns.count == 7 && result.count == 2)
        let first = result[0]
        #expect(try first.string(0) == "Súdwest-Fryslân" && first.string(1) == "" && first.optionalString(2) == nil)
        #expect(try first.bool(3) == true && first.bool(4) == false)
        #expect(throws: PQError.self) { try first.bool(5) }
        #expect(throws: PQError.self) { try first.string(2) }
        #expect(try first.textArray(6) == ["wonen", "a b"])
        #expect(first.values == ["Súdwest-Fryslân", "", nil, "t", "f", nil, "{wonen,\"a b\"}"])
        #expect(result.all.map { $0.optionalString(2) } == [nil, "z"])
        #expect(try result[1].textArray(6) == [] && result[1].bool(5))
    }
}
