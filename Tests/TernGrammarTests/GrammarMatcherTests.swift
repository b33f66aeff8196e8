import Testing

@testable import TernGrammar

@Suite struct GrammarMatcherTests {
    @Test func repetitionDoesNotGrowTheStacks() throws {
        var builder = GrammarBuilder()
        let list = builder.declareRule()
        builder.define(list, as: .choice([.sequence([.literal("ab"), .rule(list)]), .empty]))
        let grammar = try builder.build(root: .rule(list))
        #expect(grammar.accepts(Array("".utf8)))
        #expect(grammar.accepts(Array("abab".utf8)))
        #expect(!grammar.accepts(Array("aba".utf8)))
        var matcher = GrammarMatcher(grammar: grammar)
        for _ in 0..<10_000 { #expect(matcher.advance(UInt8(ascii: "a")) && matcher.advance(UInt8(ascii: "b"))) }
        #expect(matcher.arena.count < 5000)
    }
}
