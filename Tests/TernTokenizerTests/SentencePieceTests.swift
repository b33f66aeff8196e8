import Testing

@testable import TernTokenizer

/// SentencePiece (`tokenizer.ggml.model = "llama"`) on hand-built vocabularies: scores, byte fallback, the space prefix.
@Suite struct SentencePieceTests {
    /// `<unk>`, `<s>`, `</s>`, optionally the 256 `<0xXX>` byte tokens, then `pieces` with their scores.
    private struct Vocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]

        init(_ pieces: [(String, Float)], byteTokens: Bool = true) {
            if byteTokens {
                tokens += (0...255).map { ByteToken.text(UInt8($0)) }
                types += Array(repeating: .byte, count: 256)
                scores += Array(repeating: 0, count: 256)
            }
            tokens += pieces.map(\.0)
            types += pieces.map { _ in .normal }
            scores += pieces.map(\.1)
        }

        func tokenizer(addSpacePrefix: Bool? = nil) throws -> Tokenizer {
            try Tokenizer(
                vocabulary: TokenizerVocabulary(
                    model: "llama", tokens: tokens, tokenTypes: types, merges: [], scores: scores, preTokenizer: nil,
                    addSpacePrefix: addSpacePrefix))
        }

        func id(_ text: String) -> Int32 { Int32(tokens.firstIndex(of: text)!) }
    }

    @Test func theHighestScoredTokenMergesFirst() throws {
        let right = Vocabulary([("a", 0), ("b", 0), ("c", 0), ("ab", 3), ("bc", 5)])
        #expect(try right.tokenizer(addSpacePrefix: false).encode("abc", parseSpecial: false) == [right.id("a"), right.id("bc")])
        let left = Vocabulary([("a", 0), ("b", 0), ("c", 0), ("ab", 5), ("bc", 3)])
        #expect(try left.tokenizer(addSpacePrefix: false).encode("abc", parseSpecial: false) == [left.id("ab"), left.id("c")])
    }

    @Test func equalScoresMergeLeftmostFirstAndMergesChain() throws {
        let vocabulary = Vocabulary([("a", 0), ("aa", 1), ("aaaa", 2)])
        let tokenizer = try vocabulary.tokenizer(addSpacePrefix: false)
        #expect(tokenizer.encode("aaa", parseSpecial: false) == [vocabulary.id("aa"), vocabulary.id("a")])
        #expect(tokenizer.encode("aaaaa", parseSpecial: false) == [vocabulary.id("aaaa"), vocabulary.id("a")])
    }

    @Test func charactersWithoutATokenFallBackToByteTokens() throws {
        let vocabulary = Vocabulary([("a", 0), ("é", 0)])
        let tokenizer = try vocabulary.tokenizer(addSpacePrefix: false)
        let ids = tokenizer.encode("aé€", parseSpecial: false)
        #expect(ids == [vocabulary.id("a"), vocabulary.id("é"), vocabulary.id("<0xE2>"), vocabulary.id("<0x82>"), vocabulary.id("<0xAC>")])
        #expect(tokenizer.decode(ids) == "aé€")
        #expect(tokenizer.tokenBytes(vocabulary.id("<0x0A>")) == [0x0A])
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(ids.map { detokenizer.append($0) } == ["a", "é", "", "", "€"])
        // Without byte tokens, such a character becomes one unknown token.
        let bare = Vocabulary([("a", 0)], byteTokens: false)
        #expect(try bare.tokenizer(addSpacePrefix: false).encode("a€a", parseSpecial: false) == [bare.id("a"), 0, bare.id("a")])
    }

    @Test func spacesAreEscapedAndTextIsPrefixedWithOne() throws {
        let vocabulary = Vocabulary([("a", 0), ("b", 0), ("▁", 0), ("▁a", 1)])
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.addSpacePrefix)
        let ids = tokenizer.encode("a b", parseSpecial: false)
        #expect(ids == [vocabulary.id("▁a"), vocabulary.id("▁"), vocabulary.id("b")])
        #expect(tokenizer.decode(ids) == "a b")
        // After a special token, text is prefixed again.
        #expect(tokenizer.encode("<s>a", parseSpecial: true) == [1, vocabulary.id("▁a")])
        let unprefixed = try vocabulary.tokenizer(addSpacePrefix: false)
        #expect(unprefixed.encode("a b", parseSpecial: false) == [vocabulary.id("a"), vocabulary.id("▁"), vocabulary.id("b")])
        #expect(unprefixed.decode([vocabulary.id("▁a")]) == " a")
    }

    @Test func specialTokenDefaultsAreLlamaCpps() throws {
        let tokenizer = try Vocabulary([("a", 0)]).tokenizer()
        #expect((tokenizer.bosTokenID, tokenizer.eosTokenID, tokenizer.addBOS, tokenizer.addEOS) == (1, 2, true, false))
        #expect(tokenizer.isEndOfGeneration(2))
    }
}
