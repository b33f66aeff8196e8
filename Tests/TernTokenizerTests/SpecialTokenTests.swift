import Testing

@testable import TernTokenizer

/// Special-token matching and end-of-generation detection on hand-built vocabularies.
@Suite struct SpecialTokenTests {
    private let vocabulary = TinyVocabulary(
        extra: ["<ctl>", "<user>", "ab", "bcd", "<|im_end|>"], extraTypes: [.control, .userDefined, .userDefined, .userDefined, .normal],
        merges: [])

    @Test func controlTokensNeedParseSpecialUserDefinedDoNot() throws {
        let tokenizer = try vocabulary.tokenizer()
        let text = "x<ctl>y<user>"
        let plain = tokenizer.encode(text, parseSpecial: false)
        #expect(!plain.contains(vocabulary.id("<ctl>")))
        #expect(plain.last == vocabulary.id("<user>"))
        #expect(tokenizer.decode(plain) == text)
        let parsed = tokenizer.encode(text, parseSpecial: true)
        #expect(parsed == [TinyVocabulary.byte("x"), vocabulary.id("<ctl>"), TinyVocabulary.byte("y"), vocabulary.id("<user>")])
        #expect(tokenizer.decode(parsed) == "xy<user>")
        #expect(tokenizer.decode(parsed, renderSpecial: true) == text)
    }

    @Test func longerSpecialTokensClaimTextFirst() throws {
        // As in llama.cpp: "bcd" is longer, so it wins over the "ab" that starts earlier.
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.encode("abcd", parseSpecial: false) == [TinyVocabulary.byte("a"), vocabulary.id("bcd")])
        #expect(tokenizer.encode("abab", parseSpecial: false) == [vocabulary.id("ab"), vocabulary.id("ab")])
    }

    @Test func endOfGenerationByTextAndByID() throws {
        var data = TokenizerVocabulary(
            model: "gpt2", tokens: vocabulary.tokens, tokenTypes: Array(repeating: .normal, count: 256) + vocabulary.extraTypes,
            merges: [], preTokenizer: "smollm", bosTokenID: vocabulary.id("<ctl>"), eosTokenID: vocabulary.id("<user>"))
        data.addBOS = true
        let tokenizer = try Tokenizer(vocabulary: data)
        let imEnd = vocabulary.id("<|im_end|>")
        #expect(tokenizer.endOfGenerationTokenIDs == [vocabulary.id("<user>"), imEnd])
        #expect(!tokenizer.isEndOfGeneration(vocabulary.id("<ctl>")))
        #expect(tokenizer.addBOS)
        #expect(tokenizer.bosTokenID == vocabulary.id("<ctl>"))
        // llama.cpp makes a recognised end-of-generation token a control token.
        #expect(tokenizer.tokenType(imEnd) == .control)
        #expect(tokenizer.encode("<|im_end|>", parseSpecial: true) == [imEnd])
    }

    @Test func unsupportedPreTokenizerAndModelAreNamed() {
        let tokens = TinyVocabulary(extra: [], merges: []).tokens
        let types = [TokenType](repeating: .normal, count: tokens.count)
        #expect(throws: TokenizerError(.unsupportedPreTokenizer, "unsupported pre-tokenizer 'falcon'")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "falcon"))
        }
        #expect(throws: TokenizerError(.unsupportedModel, "unsupported tokenizer model 'bert' (supported: gpt2)")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "bert", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "gpt-2"))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: [], merges: [], preTokenizer: "gpt-2"))
        }
    }
}
