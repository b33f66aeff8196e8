import Testing

@testable import TernTokenizer

/// Merge order on hand-built vocabularies, no model needed.
@Suite struct BytePairMergeTests {
    @Test func lowerRankMergesFirstWhereverItIs() throws {
        let vocabulary = TinyVocabulary(extra: ["ab", "bc"], merges: ["b c", "a b"])
        let tokenizer = try vocabulary.tokenizer()
        // "b c" outranks "a b", so the right pair merges and "a" is left alone.
        #expect(tokenizer.encode("abc", parseSpecial: false) == [TinyVocabulary.byte("a"), vocabulary.id("bc")])

        let swapped = TinyVocabulary(extra: ["ab", "bc"], merges: ["a b", "b c"])
        #expect(try swapped.tokenizer().encode("abc", parseSpecial: false) == [swapped.id("ab"), TinyVocabulary.byte("c")])
    }

    @Test func equalPairsMergeLeftmostFirst() throws {
        let vocabulary = TinyVocabulary(extra: ["aa"], merges: ["a a"])
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.encode("aaa", parseSpecial: false) == [vocabulary.id("aa"), TinyVocabulary.byte("a")])
        #expect(tokenizer.encode("aaaa", parseSpecial: false) == [vocabulary.id("aa"), vocabulary.id("aa")])
    }

    @Test func mergesContinueOnNewNeighbours() throws {
        let vocabulary = TinyVocabulary(extra: ["ab", "abab", "ababab"], merges: ["a b", "ab ab", "abab ab"])
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.encode("abab", parseSpecial: false) == [vocabulary.id("abab")])
        #expect(tokenizer.encode("ababab", parseSpecial: false) == [vocabulary.id("ababab")])
        #expect(tokenizer.encode("ababa", parseSpecial: false) == [vocabulary.id("abab"), TinyVocabulary.byte("a")])
    }

    @Test func intermediateThatIsNotATokenStillMerges() throws {
        // "xy" is only a merge step; the final "xyz" is a token.
        let vocabulary = TinyVocabulary(extra: ["xyz"], merges: ["x y", "xy z"])
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.encode("xyz", parseSpecial: false) == [vocabulary.id("xyz")])
        // A final symbol that is not a token falls back to its one-byte tokens.
        #expect(tokenizer.encode("xy", parseSpecial: false) == [TinyVocabulary.byte("x"), TinyVocabulary.byte("y")])
    }

    @Test func spaceIsEncodedInByteLevelForm() throws {
        let vocabulary = TinyVocabulary(extra: ["Ġa", "Ġab"], merges: ["Ġ a", "Ġa b"])
        let tokenizer = try vocabulary.tokenizer()
        let ids = tokenizer.encode("b ab", parseSpecial: false)
        #expect(ids == [TinyVocabulary.byte("b"), vocabulary.id("Ġab")])
        #expect(tokenizer.decode(ids) == "b ab")
        #expect(tokenizer.tokenBytes(vocabulary.id("Ġab")) == Array(" ab".utf8))
    }

    @Test func everyByteRoundTrips() throws {
        let tokenizer = try TinyVocabulary(extra: [], merges: []).tokenizer()
        let text = "tab\there, nbsp\u{A0}, soft\u{AD}hyphen, DEL\u{7F}, NUL\u{0}, é, 🙂"
        let ids = tokenizer.encode(text, parseSpecial: false)
        #expect(ids == Array(text.utf8).map(Int32.init))
        #expect(tokenizer.decode(ids) == text)
    }

    @Test func malformedMergeIsAnError() throws {
        let vocabulary = TinyVocabulary(extra: [], merges: ["ab"])
        #expect(throws: TokenizerError(.invalidVocabulary, "merge 0 'ab' is not 'left right'")) { try vocabulary.tokenizer() }
    }
}
