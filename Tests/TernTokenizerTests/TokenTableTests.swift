import Testing

@testable import TernTokenizer

/// Token lookup by exact bytes.
@Suite struct TokenTableTests {
    @Test func canonicallyEquivalentTextsStayApart() {
        var table = TokenTable()
        table.insert("\u{E9}", 1)
        table.insert("e\u{301}", 2)
        #expect("\u{E9}" == "e\u{301}")  // What a [String: Int32] would have merged.
        #expect(table.lookup("\u{E9}") == 1)
        #expect(table.lookup("e\u{301}") == 2)
        #expect(table.lookup("e") == nil)
    }

    @Test func laterDuplicatesWinAndTheTableGrows() {
        var table = TokenTable()
        for id in 0..<1000 { table.insert("token \(id)", Int32(id)) }
        table.insert("token 7", 70)
        #expect(table.count == 1000)
        #expect(table.lookup("token 7") == 70)
        #expect(table.lookup("token 999") == 999)
        #expect(table.lookup("") == nil)
    }
}
