public import TernGGUF

extension Tokenizer {
    /// Builds the tokenizer of the GGUF file at `path` from its metadata alone, so a vocabulary-only file will do.
    ///
    /// - Throws: `GGUFError` when the file cannot be read, ``TokenizerError`` when its tokenizer is not supported.
    public convenience init(ggufPath path: String) throws {
        try self.init(gguf: GGUFFile(path: path))
    }

    /// Builds the tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata.
    ///
    /// ```swift
    /// let tokenizer = try Tokenizer(gguf: GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf"))
    /// ```
    ///
    /// - Throws: ``TokenizerError`` when a required key is missing or the tokenizer kind is not supported.
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        try self.init(vocabulary: TokenizerVocabulary(gguf: gguf))
    }
}

extension TokenizerVocabulary {
    /// Reads the `tokenizer.ggml.*` metadata of a GGUF file.
    ///
    /// Special-token ids outside the vocabulary are ignored, as llama.cpp does.
    public init(gguf: GGUFFile) throws(TokenizerError) {
        let metadata = gguf.metadata
        func required<T>(_ key: String, _ read: (GGUFValue) -> T?) throws(TokenizerError) -> T {
            guard let value = metadata[key], let result = read(value) else {
                throw TokenizerError(.missingKey, "metadata key '\(key)' is missing or has the wrong type")
            }
            return result
        }
        func tokenID(_ key: String) -> Int32? { metadata[key]?.int.flatMap { Int32(exactly: $0) } }

        let model = try required("tokenizer.ggml.model") { $0.string }
        let tokens = try required("tokenizer.ggml.tokens") { $0.stringArray }
        let rawTypes = metadata["tokenizer.ggml.token_type"]?.array
        var types: [TokenType] = []
        if let rawTypes {
            types.reserveCapacity(rawTypes.count)
            for (index, value) in rawTypes.enumerated() {
                guard let raw = value.int.flatMap({ Int32(exactly: $0) }), let type = TokenType(rawValue: raw) else {
                    throw TokenizerError(.invalidVocabulary, "tokenizer.ggml.token_type[\(index)] is not a token type: \(value)")
                }
                types.append(type)
            }
        } else {
            types = Array(repeating: .normal, count: tokens.count)
        }
        let merges: [String]
        if model == "gpt2" || model == "gemma4" {
            merges = try required("tokenizer.ggml.merges") { $0.stringArray }
        } else {
            merges = metadata["tokenizer.ggml.merges"]?.stringArray ?? []
        }
        var scores: [Float] = []
        if let rawScores = metadata["tokenizer.ggml.scores"]?.array {
            scores.reserveCapacity(rawScores.count)
            for (index, value) in rawScores.enumerated() {
                guard let score = value.double else {
                    throw TokenizerError(.invalidVocabulary, "tokenizer.ggml.scores[\(index)] is not a number: \(value)")
                }
                scores.append(Float(score))
            }
        }
        self.init(
            model: model, tokens: tokens, tokenTypes: types, merges: merges, scores: scores,
            preTokenizer: metadata["tokenizer.ggml.pre"]?.string,
            bosTokenID: tokenID("tokenizer.ggml.bos_token_id"), eosTokenID: tokenID("tokenizer.ggml.eos_token_id"),
            eotTokenID: tokenID("tokenizer.ggml.eot_token_id"), eomTokenID: tokenID("tokenizer.ggml.eom_token_id"),
            unknownTokenID: tokenID("tokenizer.ggml.unknown_token_id"), sepTokenID: tokenID("tokenizer.ggml.seperator_token_id"),
            addBOS: metadata["tokenizer.ggml.add_bos_token"]?.bool, addEOS: metadata["tokenizer.ggml.add_eos_token"]?.bool,
            addSpacePrefix: metadata["tokenizer.ggml.add_space_prefix"]?.bool, modelName: metadata["general.name"]?.string,
            lowercase: metadata["tokenizer.ggml.normalizer.lowercase"]?.bool,
            stripAccents: metadata["tokenizer.ggml.normalizer.strip_accents"]?.bool)
    }
}
