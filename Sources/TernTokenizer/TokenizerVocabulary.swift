/// Everything a ``Tokenizer`` is built from, as plain values.
///
/// ``Tokenizer/init(gguf:)`` fills this from the `tokenizer.ggml.*` metadata keys; tests build small ones by hand.
///
/// ```swift
/// let vocabulary = TokenizerVocabulary(
///     model: "gpt2", tokens: ["a", "b", "ab"], tokenTypes: [.normal, .normal, .normal], merges: ["a b"], preTokenizer: "gpt-2")
/// let tokenizer = try Tokenizer(vocabulary: vocabulary)
/// ```
public struct TokenizerVocabulary: Sendable, Equatable {
    /// The tokenizer kind (`tokenizer.ggml.model`): `gpt2` is byte-level BPE, `llama` SentencePiece, `gemma4`
    /// SentencePiece-style BPE, `bert` WordPiece.
    public var model: String
    /// The token strings, indexed by token id (`tokenizer.ggml.tokens`).
    public var tokens: [String]
    /// The type of each token (`tokenizer.ggml.token_type`); same count as ``tokens``.
    public var tokenTypes: [TokenType]
    /// BPE merges as `"left right"` strings, highest priority first (`tokenizer.ggml.merges`).
    public var merges: [String]
    /// Token scores, by id (`tokenizer.ggml.scores`): SentencePiece merges the pair making the highest-scored token
    /// first. Empty means all zero.
    public var scores: [Float]
    /// The pre-tokenizer name (`tokenizer.ggml.pre`); `nil` means llama.cpp's `default`.
    public var preTokenizer: String?
    /// The beginning-of-sequence token (`tokenizer.ggml.bos_token_id`).
    public var bosTokenID: Int32?
    /// The end-of-sequence token (`tokenizer.ggml.eos_token_id`).
    public var eosTokenID: Int32?
    /// The end-of-turn token (`tokenizer.ggml.eot_token_id`).
    public var eotTokenID: Int32?
    /// The end-of-message token (`tokenizer.ggml.eom_token_id`).
    public var eomTokenID: Int32?
    /// The unknown token (`tokenizer.ggml.unknown_token_id`), which SentencePiece uses for a byte it has no token for
    /// and WordPiece for a word it cannot spell.
    public var unknownTokenID: Int32?
    /// The separator token (`tokenizer.ggml.seperator_token_id`, llama.cpp's spelling): BERT's `[SEP]`.
    public var sepTokenID: Int32?
    /// Whether prompts start with BOS (`tokenizer.ggml.add_bos_token`); `nil` takes the model's default.
    public var addBOS: Bool?
    /// Whether prompts end with EOS (`tokenizer.ggml.add_eos_token`); `nil` means no.
    public var addEOS: Bool?
    /// Whether a space goes before the text (`tokenizer.ggml.add_space_prefix`); `nil` takes the model's default (yes
    /// for SentencePiece).
    public var addSpacePrefix: Bool?
    /// The model's name (`general.name`): llama.cpp strips whitespace around Phi-3's special tokens by it.
    public var modelName: String?
    /// Whether WordPiece lowercases the text (`tokenizer.ggml.normalizer.lowercase`); `nil` means yes, as in llama.cpp.
    public var lowercase: Bool?
    /// Whether WordPiece strips accents (`tokenizer.ggml.normalizer.strip_accents`); `nil` follows ``lowercase``.
    public var stripAccents: Bool?

    /// Creates a vocabulary from its parts.
    public init(
        model: String, tokens: [String], tokenTypes: [TokenType], merges: [String], scores: [Float] = [], preTokenizer: String?,
        bosTokenID: Int32? = nil, eosTokenID: Int32? = nil, eotTokenID: Int32? = nil, eomTokenID: Int32? = nil,
        unknownTokenID: Int32? = nil, sepTokenID: Int32? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil,
        modelName: String? = nil, lowercase: Bool? = nil, stripAccents: Bool? = nil
    ) {
        self.model = model
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.scores = scores
        self.preTokenizer = preTokenizer
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.eotTokenID = eotTokenID
        self.eomTokenID = eomTokenID
        self.unknownTokenID = unknownTokenID
        self.sepTokenID = sepTokenID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.modelName = modelName
        self.lowercase = lowercase
        self.stripAccents = stripAccents
    }
}
