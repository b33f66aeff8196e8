public import TernGGUF

extension ModelConfig {
    /// Reads the description of the model in `file`: the keys every family shares, then those of its family.
    ///
    /// - Throws: ``EngineError`` with ``EngineError/Code/unsupportedArchitecture`` for a family Tern cannot run (the
    ///   message lists those it can), ``EngineError/Code/invalidMetadata`` for a missing or impossible value or a
    ///   feature Tern does not implement, naming the key.
    public init(file: GGUFFile) throws(EngineError) {
        if file.metadata["general.architecture"]?.string == Self.encoderArchitecture {
            try self.init(encoderFile: file)
            return
        }
        let family = try ModelFamily.of(file)
        try self.init(file: file, family: family)
    }

    /// Reads the description of the model in `file` as `family` describes it.
    init(file: GGUFFile, family: ModelFamily) throws(EngineError) {
        let metadata = ModelMetadata(architecture: family.name, values: file.metadata)
        let embedding = try metadata.int("embedding_length")
        let heads = try metadata.int("attention.head_count")
        let headSize = try metadata.int("attention.key_length", default: embedding / heads)
        guard try metadata.int("attention.value_length", default: embedding / heads) == headSize else {
            throw EngineError(
                .invalidMetadata, "\(family.name).attention.key_length and value_length differ; Tern needs keys and values of one size")
        }
        guard let tokenEmbedding = file.tensor(named: family.tensors.tokenEmbedding + ".weight"), tokenEmbedding.dimensions.count == 2 else {
            throw EngineError(.invalidTensor, "\(family.tensors.tokenEmbedding).weight is missing or not a matrix")
        }
        let blocks = try metadata.int("block_count")
        let (scale, yarn) = try Self.ropeScaling(metadata)
        let rope = RoPEFrequencies(base: try metadata.float("rope.freq_base", default: 10000), scale: scale, yarn: yarn)
        self.init(
            architecture: family.name, embeddingLength: embedding, blockCount: blocks, headCount: heads,
            headCountKV: try metadata.int("attention.head_count_kv", default: heads), headDimension: headSize,
            feedForwardLength: try metadata.int("feed_forward_length"), contextLength: try metadata.int("context_length"),
            normEpsilon: try metadata.float("attention.layer_norm_rms_epsilon"), vocabularySize: tokenEmbedding.dimensions[1],
            ropeDimensionCount: try metadata.int("rope.dimension_count", default: headSize),
            layers: Array(repeating: Layer(rope: rope), count: blocks), attentionScale: 1 / Float(headSize).squareRoot())
        ropeAttentionFactor = yarn == nil ? try metadata.optionalFloat("rope.scaling.attn_factor") ?? 1 : 1
        ropeOriginalContext = try metadata.int("rope.scaling.original_context_length", default: contextLength)
        experts = try Self.experts(metadata, feedForwardLength: feedForwardLength)
        // A decoder serves chat whatever its pooling says; one Tern cannot pool embeds by the mean.
        pooling = (try? Self.pooling(metadata)) ?? .none
        try family.describe(&self, metadata)
        try validate()
    }

    /// RoPE scaling: 1 / `rope.scaling.factor`, linear or with YaRN's corrections; LongRoPE scales by its factor
    /// tensors alone; other kinds are refused.
    private static func ropeScaling(_ metadata: ModelMetadata) throws(EngineError) -> (scale: Float, yarn: YaRN?) {
        let kind = metadata.string("rope.scaling.type") ?? "linear"
        guard ["linear", "none", "yarn", "longrope"].contains(kind) else {
            throw EngineError(
                .invalidMetadata,
                "\(metadata.architecture).rope.scaling.type is '\(kind)'; Tern implements linear and YaRN RoPE scaling, Llama 3's "
                    + "rope_freqs and LongRoPE, not \(kind) yet")
        }
        guard kind != "none", kind != "longrope" else { return (1, nil) }
        // The older key rope.scale_linear holds the same factor.
        let factor = try metadata.optionalFloat("rope.scaling.factor")
        let legacy = kind == "linear" ? try metadata.optionalFloat("rope.scale_linear") : nil
        let scale = (factor ?? legacy).flatMap { $0 == 0 ? nil : 1 / $0 } ?? 1
        guard kind == "yarn" else { return (scale, nil) }
        // llama.cpp reads neither the betas nor YaRN's own factors from the file for these families: its defaults hold.
        let yarn = YaRN(
            originalContext: try metadata.int("rope.scaling.original_context_length", default: try metadata.int("context_length")),
            attentionFactor: try metadata.optionalFloat("rope.scaling.attn_factor") ?? 1)
        return (scale, yarn)
    }

    /// The mixture of experts the file describes (`expert_count` above 0), or nil.
    private static func experts(_ metadata: ModelMetadata, feedForwardLength: Int) throws(EngineError) -> Experts? {
        guard let count = metadata.value("expert_count")?.int, count > 0 else { return nil }
        guard count <= 512 else { throw EngineError(.invalidMetadata, "\(metadata.architecture).expert_count = \(count) is out of range") }
        let used = try metadata.int("expert_used_count")
        guard used <= count else {
            throw EngineError(
                .invalidMetadata, "\(metadata.architecture).expert_used_count = \(used) is more than the \(count) experts")
        }
        return Experts(
            count: count, used: used, feedForwardLength: try metadata.int("expert_feed_forward_length", default: feedForwardLength),
            weightsScale: try metadata.optionalFloat("expert_weights_scale").flatMap { $0 == 1 ? nil : $0 })
    }

    /// The pooling `pooling_type` names; rankers' pooling (4) is refused, as Tern has no reranking.
    static func pooling(_ metadata: ModelMetadata) throws(EngineError) -> Pooling {
        guard let raw = metadata.value("pooling_type")?.int else { return .none }
        guard raw >= 0, let pooling = Pooling(rawValue: raw) else {
            throw EngineError(
                .invalidMetadata, "\(metadata.architecture).pooling_type = \(raw) is not mean (1), CLS (2) or last (3): Tern cannot pool it")
        }
        return pooling
    }

    /// Checks that the description can run.
    private func validate() throws(EngineError) {
        guard headCount % headCountKV == 0 else {
            throw EngineError(.invalidMetadata, "\(headCount) query heads cannot share \(headCountKV) key/value heads evenly")
        }
        guard ropeDimensionCount <= headDimension, ropeDimensionCount % 2 == 0 else {
            throw EngineError(.invalidMetadata, "\(architecture).rope.dimension_count = \(ropeDimensionCount) does not fit a head")
        }
        guard layers.count == blockCount, layers.allSatisfy({ ($0.slidingWindow ?? 1) > 0 && $0.rope.base > 0 && $0.rope.scale > 0 }) else {
            throw EngineError(.invalidMetadata, "the layers of this \(architecture) model are not described one by one")
        }
    }
}
