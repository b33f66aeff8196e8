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

    /// Mistral's tool call markers stay control tokens (matched only as special tokens) but are always rendered: the
    /// server reads calls from the answer's text.
    @Test func toolCallMarkersAreRenderedThoughControl() throws {
        let mistral = TinyVocabulary(extra: ["[TOOL_CALLS]", "[ARGS]", "[INST]"], extraTypes: [.control, .control, .control], merges: [])
        let tokenizer = try mistral.tokenizer()
        #expect(!tokenizer.encode("[TOOL_CALLS]", parseSpecial: false).contains(mistral.id("[TOOL_CALLS]")))
        let ids = [mistral.id("[INST]"), mistral.id("[TOOL_CALLS]"), TinyVocabulary.byte("f"), mistral.id("[ARGS]"), TinyVocabulary.byte("1")]
        #expect(tokenizer.encode("[INST][TOOL_CALLS]f[ARGS]1", parseSpecial: true) == ids)
        #expect(tokenizer.decode(ids) == "[TOOL_CALLS]f[ARGS]1")
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

    /// llama.cpp's adjustments by token text: harmony's <|end|> ends a message only; gpt-oss's <|channel|> is always matched.
    @Test func endOfGenerationFollowsLlamaCppRulesByText() {
        let tokens = ["<|return|>", "<|call|>", "<|end|>", "<|channel|>", "<|im_end|>", "<|eot_id|>", "x"]
        var types = [TokenType](repeating: .control, count: 6) + [.normal]
        let ids = EndOfGeneration.resolve(tokens: tokens, types: &types, eos: nil, eot: nil, eom: nil)
        #expect(ids == [0, 1, 4, 5])
        #expect((types[2], types[3]) == (.userDefined, .userDefined))
        // Ids the file gives count whatever their text; a recognised text becomes a control token.
        var plain = [TokenType](repeating: .normal, count: 3)
        #expect(EndOfGeneration.resolve(tokens: ["a", "<|im_end|>", "b"], types: &plain, eos: 2, eot: nil, eom: nil) == [1, 2])
        #expect(plain == [.normal, .control, .normal])
    }

    @Test func unsupportedPreTokenizerAndModelAreNamed() throws {
        let tokens = TinyVocabulary(extra: [], merges: []).tokens
        let types = [TokenType](repeating: .normal, count: tokens.count)
        let error = #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "xyz"))
        }
        #expect(error?.code == .unsupportedPreTokenizer)
        #expect(error?.message.hasPrefix("unsupported pre-tokenizer 'xyz' (supported: ") == true)
        for name in ["llama-bpe", "qwen2", "deepseek-coder", "falcon", "smollm", "default"] {
            #expect(error?.message.contains(" \(name),") == true, "\(name)")
        }
        #expect(throws: TokenizerError(.unsupportedModel, "unsupported tokenizer model 't5' (supported: gpt2, llama, gemma4, bert)")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "t5", tokens: tokens, tokenTypes: types, merges: [], preTokenizer: "gpt-2"))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: tokens, tokenTypes: [], merges: [], preTokenizer: "gpt-2"))
        }
    }

    /// Stripping whitespace beside special tokens, which llama.cpp does for some models.
    @Test func strippingTokensClaimTheWhitespaceBesideThem() {
        let tokens = ["a", "<r>", "<l>", " "]
        let types: [TokenType] = [.normal, .userDefined, .userDefined, .normal]
        let matcher = SpecialTokenMatcher(tokens: tokens, types: types) { $0 == "<r>" ? .right : $0 == "<l>" ? .left : [] }
        let text = Array("a <r> \n a \t<l>a".utf8)
        let fragments = text.withUnsafeBufferPointer { matcher.partition($0, parseSpecial: false) }
        #expect(fragments == [.text(0..<2), .token(1), .text(8..<9), .token(2), .text(14..<15)])
        #expect(SpecialTokenMatcher.stripRule(modelName: "Phi3", preTokenizer: "default")("<|end|>") == .right)
        #expect(SpecialTokenMatcher.stripRule(modelName: "Phi3", preTokenizer: "default")("<s>") == [])
        #expect(SpecialTokenMatcher.stripRule(modelName: "Llama", preTokenizer: "default")("<|end|>") == [])
    }
}
