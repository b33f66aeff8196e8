public import TernGGUF

/// The hyper-parameters of a transformer, read from a GGUF file's `<architecture>.*` keys.
public struct ModelConfig: Sendable, Equatable {
    /// `general.architecture`, such as `llama`.
    public var architecture: String
    /// Width of the residual stream (`embedding_length`).
    public var embeddingLength: Int
    /// Number of transformer blocks (`block_count`).
    public var blockCount: Int
    /// Query heads (`attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`attention.head_count_kv`); fewer than `headCount` means grouped-query attention.
    public var headCountKV: Int
    /// Hidden width of the feed-forward network (`feed_forward_length`).
    public var feedForwardLength: Int
    /// Longest sequence the model was trained for (`context_length`).
    public var contextLength: Int
    /// Dimensions rotated by RoPE in each head (`rope.dimension_count`, default: the head size).
    public var ropeDimensionCount: Int
    /// RoPE base frequency (`rope.freq_base`, default 10000).
    public var ropeFrequencyBase: Float
    /// Epsilon of RMSNorm (`attention.layer_norm_rms_epsilon`).
    public var rmsNormEpsilon: Float
    /// Number of rows of the token embedding.
    public var vocabularySize: Int

    /// Size of one attention head.
    public var headDimension: Int { embeddingLength / headCount }
    /// Width of the keys and values of one token in one layer.
    public var kvDimension: Int { headDimension * headCountKV }

    /// Reads the hyper-parameters of `file`, checking that they describe a model that can run.
    public init(file: GGUFFile) throws(EngineError) {
        let metadata = file.metadata
        guard let architecture = metadata["general.architecture"]?.string else {
            throw EngineError(.invalidMetadata, "general.architecture is missing: this GGUF file does not say which model family it holds")
        }
        func int(_ key: String, default value: Int? = nil) throws(EngineError) -> Int {
            let name = "\(architecture).\(key)"
            guard let found = metadata[name]?.int ?? value else {
                throw EngineError(.invalidMetadata, "\(name) is missing or not an integer")
            }
            guard found > 0, found < 1 << 24 else {
                throw EngineError(.invalidMetadata, "\(name) = \(found) is out of range")
            }
            return found
        }
        func float(_ key: String, default value: Double? = nil) throws(EngineError) -> Float {
            let name = "\(architecture).\(key)"
            guard let found = metadata[name]?.double ?? value, found.isFinite, found > 0 else {
                throw EngineError(.invalidMetadata, "\(name) is missing or not a positive number")
            }
            return Float(found)
        }
        self.architecture = architecture
        embeddingLength = try int("embedding_length")
        blockCount = try int("block_count")
        headCount = try int("attention.head_count")
        headCountKV = try int("attention.head_count_kv", default: headCount)
        feedForwardLength = try int("feed_forward_length")
        contextLength = try int("context_length")
        rmsNormEpsilon = try float("attention.layer_norm_rms_epsilon")
        ropeFrequencyBase = try float("rope.freq_base", default: 10000)
        guard embeddingLength % headCount == 0, headCount % headCountKV == 0 else {
            throw EngineError(
                .invalidMetadata,
                "\(headCount) heads do not divide the embedding length \(embeddingLength) or the \(headCountKV) key/value heads")
        }
        ropeDimensionCount = try int("rope.dimension_count", default: embeddingLength / headCount)
        guard ropeDimensionCount <= embeddingLength / headCount, ropeDimensionCount % 2 == 0 else {
            throw EngineError(.invalidMetadata, "\(architecture).rope.dimension_count = \(ropeDimensionCount) does not fit a head")
        }
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.dimensions.count == 2 else {
            throw EngineError(.invalidTensor, "token_embd.weight is missing or not a matrix")
        }
        vocabularySize = embedding.dimensions[1]
    }
}
