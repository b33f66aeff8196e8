import TernTensors

/// The tensors of one transformer block: views into the mapped file, the quantized matrices packed. Optional ones
/// are those some families have and others not.
struct TransformerBlockWeights: @unchecked Sendable {
    /// [embedding] f32
    let attentionNorm: UnsafePointer<Float>
    /// [embedding] → [queryDimension]
    let query: WeightMatrix
    /// [embedding] → [kvDimension]
    let key: WeightMatrix
    /// [embedding] → [kvDimension]
    let value: WeightMatrix
    /// [queryDimension] f32, added to the queries (Qwen 2)
    let queryBias: UnsafePointer<Float>?
    /// [kvDimension] f32
    let keyBias: UnsafePointer<Float>?
    /// [kvDimension] f32
    let valueBias: UnsafePointer<Float>?
    /// [headDimension] f32, RMS norm of each query head (Gemma 3, Qwen 3)
    let queryNorm: UnsafePointer<Float>?
    /// [headDimension] f32, RMS norm of each key head
    let keyNorm: UnsafePointer<Float>?
    /// [queryDimension] → [embedding]
    let attentionOutput: WeightMatrix
    /// [embedding] f32
    let attentionOutputBias: UnsafePointer<Float>?
    /// [embedding] f32, norm of the attention output before the residual add (Gemma)
    let postAttentionNorm: UnsafePointer<Float>?
    /// [embedding] f32
    let feedForwardNorm: UnsafePointer<Float>
    /// The gated feed-forward network, or the mixture of experts that replaces it.
    let feedForward: FeedForwardWeights
    /// [embedding] f32, norm of the feed-forward output before the residual add (Gemma)
    let postFeedForwardNorm: UnsafePointer<Float>?

    /// Loads block `index` as `names` name its tensors, shaped as `config` says.
    init(_ loader: WeightLoader, index: Int, config: ModelConfig, names: TensorNames) throws(EngineError) {
        let prefix = "blk.\(index)."
        func weight(_ name: String) -> String { prefix + name + ".weight" }
        func bias(_ name: String) -> String { prefix + name + ".bias" }
        func norm(_ name: String?, count: Int) throws(EngineError) -> UnsafePointer<Float>? {
            guard let name else { return nil }
            return try loader.vector(weight(name), count: count)
        }
        let embedding = config.embeddingLength
        let (queries, kv, ff) = (config.queryDimension, config.kvDimension, config.feedForwardLength)

        attentionNorm = try loader.vector(weight(names.attentionNorm), count: embedding)
        if let fused = names.fusedQueryKeyValue, loader.has(weight(fused)) {
            let parts = try loader.matrices(weight(fused), columns: embedding, rows: [queries, kv, kv])
            (query, key, value) = (parts[0], parts[1], parts[2])
            let biases = try loader.optionalVector(bias(fused), count: queries + 2 * kv)
            (queryBias, keyBias, valueBias) = (biases, biases.map { $0 + queries }, biases.map { $0 + queries + kv })
        } else {
            query = try loader.matrix(weight(names.query), columns: embedding, rows: queries)
            key = try loader.matrix(weight(names.key), columns: embedding, rows: kv)
            value = try loader.matrix(weight(names.value), columns: embedding, rows: kv)
            queryBias = try loader.optionalVector(bias(names.query), count: queries)
            keyBias = try loader.optionalVector(bias(names.key), count: kv)
            valueBias = try loader.optionalVector(bias(names.value), count: kv)
        }
        queryNorm = try norm(names.queryNorm, count: config.headDimension)
        keyNorm = try norm(names.keyNorm, count: config.headDimension)
        attentionOutput = try loader.matrix(weight(names.attentionOutput), columns: queries, rows: embedding)
        attentionOutputBias = try loader.optionalVector(bias(names.attentionOutput), count: embedding)
        postAttentionNorm = try norm(names.postAttentionNorm, count: embedding)

        feedForwardNorm = try loader.vector(weight(names.feedForwardNorm), count: embedding)
        if let experts = config.experts {
            feedForward = .experts(try ExpertWeights(loader, prefix: prefix, experts: experts, embedding: embedding, names: names))
        } else if let gateName = names.gate {
            feedForward = .dense(
                gate: try loader.matrix(weight(gateName), columns: embedding, rows: ff),
                up: try loader.matrix(weight(names.up), columns: embedding, rows: ff),
                down: try loader.matrix(weight(names.down), columns: ff, rows: embedding))
        } else {
            let parts = try loader.matrices(weight(names.up), columns: embedding, rows: [ff, ff])
            feedForward = .dense(gate: parts[0], up: parts[1], down: try loader.matrix(weight(names.down), columns: ff, rows: embedding))
        }
        postFeedForwardNorm = try norm(names.postFeedForwardNorm, count: embedding)
    }
}
