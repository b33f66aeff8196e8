import TernGGUF
import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The forward pass of a BERT encoder (all-MiniLM, BGE, …): it embeds, it does not generate.
///
/// Token, type-0 and learned position embeddings are summed and normalized; each block adds attention over the whole
/// sequence, then a GELU feed-forward network, each followed by a LayerNorm (post-norm). Every token of a sequence
/// must be in the same batch, its rows consecutive: attention spans the batch rows of one slot, and the KV cache goes
/// unused. The result is each row's final hidden state; there are no logits.
final class EncoderModel: LanguageModel, @unchecked Sendable {
    let config: ModelConfig
    private let weights: EncoderWeights

    /// - Parameter bf16Weights: round the projection matrices to bf16 (when the CPU multiplies bf16 pairs).
    init(file: GGUFFile, bf16Weights: Bool) throws(EngineError) {
        config = try ModelConfig(encoderFile: file)
        weights = try EncoderWeights(file: file, config: config, bf16: bf16Weights)
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) -> Int {
        try validate(batch, state: state)
        let n = batch.count
        let dim = config.embeddingLength
        let ff = config.feedForwardLength
        let epsilon = config.normEpsilon
        batch.tokens.withUnsafeBufferPointer { tokens in
            batch.positions.withUnsafeBufferPointer { positions in
                state.eachRow(n) { i, _ in
                    let x = state.x + i * dim
                    weights.tokenEmbedding.dequantizeRow(Int(tokens[i]), into: x)
                    if let type = weights.tokenType { FloatOps.add(type, into: x, count: dim) }
                    FloatOps.add(weights.positions + positions[i] * dim, into: x, count: dim)
                    FloatOps.layerNorm(
                        x, weight: weights.embeddingNormWeight, bias: weights.embeddingNormBias, epsilon: epsilon, output: x, count: dim)
                }
            }
        }
        for block in weights.blocks {
            MatMul.compute(
                .init(block.query, output: state.q), .init(block.key, output: state.k), .init(block.value, output: state.v), input: state.x,
                tokens: n, workspace: state.workspace, pool: state.pool, prepared: nil)
            state.eachRow(n) { i, _ in
                FloatOps.add(block.queryBias, into: state.q + i * dim, count: dim)
                FloatOps.add(block.keyBias, into: state.k + i * dim, count: dim)
                FloatOps.add(block.valueBias, into: state.v + i * dim, count: dim)
            }
            attend(tokens: n, state: state)
            matmul(block.attentionOutput, state.attention, n, state.projected, state)
            state.eachRow(n) { i, _ in
                addAndNormalize(
                    row: i, bias: block.attentionOutputBias, weight: block.attentionNormWeight, normBias: block.attentionNormBias, state: state)
            }
            matmul(block.up, state.x, n, state.up, state)
            state.eachRow(n) { i, thread in
                let up = state.up + i * ff
                FloatOps.add(block.upBias, into: up, count: ff)
                GELU.exact(up, count: ff, half: state.halfScratch + thread * state.halfScratchStride)
            }
            matmul(block.down, state.up, n, state.projected, state)
            state.eachRow(n) { i, _ in
                addAndNormalize(row: i, bias: block.downBias, weight: block.outputNormWeight, normBias: block.outputNormBias, state: state)
            }
        }
        for i in 0..<n where batch.wantsHidden[i] {
            (state.hidden + i * dim).update(from: state.x + i * dim, count: dim)
        }
        return 0
    }

    /// Checks the batch and records each row's sequence span in `state.spans`.
    private func validate(_ batch: ForwardBatch, state: ForwardState) throws(EngineError) {
        guard batch.count > 0, batch.count <= state.maxTokens else {
            throw EngineError(.invalidInput, "a batch holds \(batch.count) tokens; this state allows 1 to \(state.maxTokens)")
        }
        var start = 0
        for i in 0..<batch.count {
            guard batch.tokens[i] >= 0, Int(batch.tokens[i]) < config.vocabularySize else {
                throw EngineError(.invalidInput, "token id \(batch.tokens[i]) is outside the vocabulary of \(config.vocabularySize)")
            }
            guard !batch.wantsLogits[i] else {
                throw EngineError(.invalidInput, "this model is an embedding model (\(config.architecture)): it has no logits to generate with")
            }
            if i > 0 && batch.slots[i] != batch.slots[i - 1] { start = i }
            // A sequence's rows are consecutive and start at position 0: an encoder sees the whole of it at once.
            guard batch.positions[i] == i - start, batch.positions[i] < min(config.contextLength, state.scoresStride) else {
                throw EngineError(
                    .invalidInput,
                    "row \(i) is at position \(batch.positions[i]); an encoder needs each sequence whole in one batch, "
                        + "at most \(config.contextLength) tokens")
            }
            state.spans[2 * i] = start
        }
        var end = batch.count
        for i in stride(from: batch.count - 1, through: 0, by: -1) {
            if i + 1 < batch.count && batch.slots[i] != batch.slots[i + 1] { end = i + 1 }
            state.spans[2 * i + 1] = end
        }
    }

    /// Attention of every row's heads over all rows of its sequence, in f32, into `state.attention`.
    private func attend(tokens n: Int, state: ForwardState) {
        let dim = config.embeddingLength
        let heads = config.headCount
        let headSize = config.headDimension
        let scale = config.attentionScale
        state.pool.forEach(n * heads) { items, thread in
            let scores = state.scores + thread * state.scoresThreadStride
            for item in items {
                let (token, head) = (item / heads, item % heads)
                let (first, end) = (state.spans[2 * token], state.spans[2 * token + 1])
                let query = state.q + token * dim + head * headSize
                for j in first..<end {
                    scores[j - first] = VectorMath.dot(query, state.k + j * dim + head * headSize, count: headSize) * scale
                }
                VectorMath.softmax(scores, count: end - first)
                let output = state.attention + token * dim + head * headSize
                output.initialize(repeating: 0, count: headSize)
                for j in first..<end {
                    VectorMath.axpy(scores[j - first], state.v + j * dim + head * headSize, output, count: headSize)
                }
            }
        }
    }

    /// `x = LayerNorm(projected + bias + x)` for row `row`.
    private func addAndNormalize(
        row: Int, bias: UnsafePointer<Float>, weight: UnsafePointer<Float>, normBias: UnsafePointer<Float>, state: ForwardState
    ) {
        let dim = config.embeddingLength
        let x = state.x + row * dim
        FloatOps.add(bias, into: x, count: dim)
        FloatOps.add(state.projected + row * dim, into: x, count: dim)
        FloatOps.layerNorm(x, weight: weight, bias: normBias, epsilon: config.normEpsilon, output: x, count: dim)
    }

    private func matmul(
        _ weight: WeightMatrix, _ input: UnsafeMutablePointer<Float>, _ tokens: Int, _ output: UnsafeMutablePointer<Float>,
        _ state: ForwardState
    ) {
        MatMul.compute(weight, input: input, tokens: tokens, output: output, workspace: state.workspace, pool: state.pool)
    }
}
