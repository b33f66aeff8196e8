import Testing

@testable import TernTokenizer

/// llama.cpp's own tokenizer test vectors (`tests/test-tokenizer-0`), run on its vocabulary files.
@Suite struct VocabularyFileTests {
    /// Vocabularies whose `.inp`/`.out` vectors must all match.
    static let supported = [
        "llama-spm", "phi-3", "gemma-4", "llama-bpe", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder", "falcon", "gpt-2",
        "starcoder", "refact", "command-r", "mpt", "bert-bge",
    ]
    /// Vocabularies of kinds Tern does not implement, and the kind their file names.
    static let unsupported = ["nomic-bert-moe": "t5"]
    /// The supported vocabularies that decode back to the text: WordPiece loses case, accents and spacing
    /// (`WordPieceTests` checks its decoding instead).
    static let lossless = supported.filter { $0 != "bert-bge" }

    private static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(ggufPath: LlamaSources.vocabularyPath(name))
    }

    @Test(arguments: supported)
    func matchesLlamaCppVectors(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let vectors = try LlamaSources.vectors(name)
        #expect(vectors.count >= 45)
        for vector in vectors {
            #expect(tokenizer.encode(vector.text, parseSpecial: false) == vector.ids, "\(name): \(vector.text.debugDescription)")
        }
    }

    /// A new vector file in llama.cpp must be sorted into one list or the other.
    @Test func everyVectorFileIsClassified() throws {
        let known = Set(Self.supported).union(Self.unsupported.keys)
        #expect(try LlamaSources.namesWithVectors().filter { !known.contains($0) } == [])
    }

    @Test(arguments: unsupported.keys.sorted())
    func unsupportedKindsAreRefusedByName(_ name: String) throws {
        let model = try #require(Self.unsupported[name])
        let message = "unsupported tokenizer model '\(model)' (supported: gpt2, llama, gemma4, bert)"
        #expect(throws: TokenizerError(.unsupportedModel, message)) { try Self.tokenizer(name) }
    }

    /// Decoding gives the text back, SentencePiece's space prefix and byte-fallback pieces included.
    @Test(arguments: lossless)
    func decodingRoundTrips(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        for vector in try LlamaSources.vectors(name) {
            #expect(tokenizer.decode(vector.ids) == vector.text, "\(name): \(vector.text.debugDescription)")
        }
    }

    /// Streaming never emits half a character, also when SentencePiece spells a character as `<0xXX>` tokens.
    @Test(arguments: ["llama-spm", "gemma-4", "llama-bpe"])
    func streamingHoldsBackPartialCharacters(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let text = "🦙 and 😶‍🌫️ and កាន់តែ"
        let ids = tokenizer.encode(text, parseSpecial: false)
        #expect(ids.contains { String(validating: tokenizer.tokenBytes($0), as: UTF8.self) == nil })
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var pieces = ids.map { detokenizer.append($0) }
        pieces.append(detokenizer.finish())
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        // Generated text keeps the space a SentencePiece token starts with; only decode() drops the prefix.
        #expect(pieces.joined() == (tokenizer.addSpacePrefix ? " " : "") + text)
    }

    @Test func specialTokenSettingsFollowTheFileAndLlamaCppDefaults() throws {
        let spm = try Self.tokenizer("llama-spm")
        #expect((spm.bosTokenID, spm.eosTokenID, spm.addBOS, spm.addEOS, spm.addSpacePrefix) == (1, 2, true, false, true))
        // Llama 3's file does not say add_bos_token; llama.cpp adds BOS for its pre-tokenizer.
        let llama3 = try Self.tokenizer("llama-bpe")
        #expect((llama3.bosTokenID, llama3.addBOS, llama3.addSpacePrefix) == (128000, true, false))
        let gemma = try Self.tokenizer("gemma-4")
        #expect((gemma.bosTokenID, gemma.eosTokenID, gemma.addBOS, gemma.addSpacePrefix) == (2, 1, true, false))
        #expect(gemma.preTokenizerName == "gemma4")
        // <eos>, <|tool_response>, <turn|> end generation; this file's </s> is an ordinary token.
        #expect(gemma.endOfGenerationTokenIDs == [1, 50, 106])
        #expect((gemma.tokenType(50), gemma.tokenType(212), gemma.tokenText(212)) == (.control, .normal, "</s>"))
        let gpt2 = try Self.tokenizer("gpt-2")
        #expect((gpt2.bosTokenID, gpt2.addBOS) == (50256, false))
    }

    /// SentencePiece puts a space before text that follows a special token, as before the first text.
    @Test func spacePrefixFollowsSpecialTokens() throws {
        let tokenizer = try Self.tokenizer("llama-spm")
        let hello = tokenizer.encode("Hello", parseSpecial: false)
        #expect(tokenizer.tokenText(hello[0]) == "▁Hello")
        #expect(tokenizer.encode("<s>Hello</s>Hello", parseSpecial: true) == [1] + hello + [2] + hello)
        #expect(tokenizer.decode([1] + hello) == " Hello")
    }

    /// llama.cpp makes Phi-3's special tokens swallow the whitespace after them.
    @Test func phi3SpecialTokensStripTheWhitespaceAfterThem() throws {
        let tokenizer = try Self.tokenizer("phi-3")
        let hello = tokenizer.encode("Hello", parseSpecial: false)
        #expect(tokenizer.encode("<|user|>\n Hello", parseSpecial: true) == [32010] + hello)
        let hi = tokenizer.encode("Hi", parseSpecial: false)
        #expect(tokenizer.encode("Hi</s>  \nHello", parseSpecial: true) == hi + [2] + hello)
        // </s> is user-defined in this file, but llama.cpp makes it a control token (it ends generation).
        #expect(tokenizer.tokenType(2) == .control)
        #expect(tokenizer.encode("Hi</s>", parseSpecial: false).count > hi.count + 1)
        // <s> keeps the whitespace.
        #expect(tokenizer.encode("<s>\nHello", parseSpecial: true).count > 1 + hello.count)
    }

    /// Vocabularies without vectors still load the way llama.cpp loads them, and encode reversibly.
    @Test(arguments: ["baichuan", "aquila", "gpt-neox"])
    func vocabulariesWithoutVectorsLoad(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        for vector in try LlamaSources.vectors("llama-spm") {
            #expect(tokenizer.decode(tokenizer.encode(vector.text, parseSpecial: false)) == vector.text, "\(name)")
        }
    }
}
