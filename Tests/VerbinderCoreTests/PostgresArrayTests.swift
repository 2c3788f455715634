import PQ
import Testing

/// PostgreSQL's text form of arrays, read back: the quick split for arrays that quote nothing
/// and the full reader for the rest give what PostgreSQL wrote.
struct PostgresArrayTests {
    @Test func arraysThatQuoteNothingAreSplitOnCommas() {
        #expect(PostgresArray.parse("{}") == [])
        #expect(PostgresArray.parse("{GM0153}") == ["GM0153"])
        #expect(PostgresArray.parse("{GM0153,bzk,PV23}") == ["GM0153", "bzk", "PV23"])
        #expect(PostgresArray.parse("{wonen,NULL,zorg}") == ["wonen", "zorg"])
        #expect(PostgresArray.parse("{Súdwest-Fryslân,Wûnseradiel}") == ["Súdwest-Fryslân", "Wûnseradiel"])
    }

    @Test func quotedElementsKeepTheirCommasQuotesAndBackslashes() {
        #expect(PostgresArray.parse(#"{"a,b",c}"#) == ["a,b", "c"])
        #expect(PostgresArray.parse(#"{"zeg \"ja\"","back\\slash"}"#) == [#"zeg "ja""#, #"back\slash"#])
        #expect(PostgresArray.parse(#"{"NULL",NULL}"#) == ["NULL"])
        #expect(PostgresArray.parse(#"{"met spatie"}"#) == ["met spatie"])
    }

    @Test func whatIsNoArrayIsNil() {
        #expect(PostgresArray.parse("") == nil)
        #expect(PostgresArray.parse("GM0153") == nil)
        #expect(PostgresArray.parse("{") == nil)
        #expect(PostgresArray.parse(#"{"open}"#) == nil)
    }

    @Test func arraysWrittenForPostgreSQLReadBack() {
        for items in [["a"], ["GM0153", "bzk"], ["a,b", #"c"d"#, #"e\f"#, "g h", "NULL", ""]] {
            #expect(PostgresArray.parse(PostgresArray.literal(items)) == items, "\(items)")
        }
    }
}
