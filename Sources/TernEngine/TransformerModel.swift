import TernGGUF
import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one forward pass of every family: a decoder-only transformer as its ``ModelConfig`` describes it.
///
/// Per block: an RMS norm, query/key/value projections (with biases, per-head norms and RoPE as described), attention
/// over the KV cache (causal, windowed on sliding layers), the output projection (normalized again where the family
/// says so) added to the residual stream; then the same shape around a gated feed-forward network. The optional parts
/// are the optional fields of ``TransformerBlockWeights`` and the choices of ``ModelConfig``.
final class TransformerModel: LanguageModel, @unchecked Sendable {
    let config: ModelConfig
    let weights: TransformerWeights
    private let rope: RotaryEmbedding
    /// [blockCount] the RoPE frequency set of each layer
    private let ropeSet: [Int]

    init(file: GGUFFile, config: ModelConfig, family: ModelFamily) throws(EngineError) {
        self.config = config
        weights = try TransformerWeights(file: file, config: config, names: family.tensors)
        rope = RotaryEmbedding(config: config, factors: weights.ropeFrequencyFactors, longRoPE: weights.longRoPEFactors)
        let sets = config.ropeFrequencies
        ropeSet = config.layers.map { layer in sets.firstIndex(of: layer.rope)! }
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) -> Int {
        try validate(batch, cache: cache, state: state)
        let n = batch.count
        let dim = config.embeddingLength
        let ff = config.feedForwardLength
        let blocks = weights.blocks
        // The layers' products take the batch's rows in order; the output projection and the experts' do not.
        let prompt = state.markPromptTokens(batch.decoding)

        // Each pass over the token rows also converts its output into the activation format of the product that follows
        // (MatMul.prepare), and a layer's last residual add runs with the next layer's first norm: fewer hand-offs.
        batch.tokens.withUnsafeBufferPointer { tokens in
            batch.positions.withUnsafeBufferPointer { positions in
                state.eachRow(n) { i, _ in
                    embed(token: tokens[i], row: i, state: state)
                    for set in 0..<rope.setCount {
                        let at = i * state.ropeStride + set * rope.pairs
                        rope.angles(
                            position: positions[i], set: set, contextLength: cache.contextLength, cosines: state.ropeCos + at,
                            sines: state.ropeSin + at)
                    }
                    if let first = blocks.first { normalizeForAttention(row: i, block: first, state: state) }
                }
            }
        }
        for (layer, block) in blocks.enumerated() {
            // Attention: queries, keys and values, made ready and the keys and values cached; then the weighted values.
            MatMul.compute(
                .init(block.query, output: state.q), .init(block.key, output: state.k), .init(block.value, output: state.v), input: state.xb,
                tokens: n, workspace: state.workspace, pool: state.pool, prepared: block.query.type, promptTokens: prompt)
            batch.positions.withUnsafeBufferPointer { positions in
                batch.slots.withUnsafeBufferPointer { slots in
                    state.eachRow(n) { i, _ in
                        prepareQueryAndKey(row: i, block: block, ropeSet: ropeSet[layer], state: state)
                        store(token: i, position: positions[i], layer: layer, slot: slots[i], cache: cache, state: state)
                    }
                }
            }
            attend(layer: layer, batch: batch, cache: cache, state: state)
            MatMul.compute(
                block.attentionOutput, input: state.attention, tokens: n, output: state.projected, workspace: state.workspace,
                pool: state.pool, promptTokens: prompt)
            // Residual add, then the feed-forward norm.
            state.eachRow(n) { i, _ in
                addToResidual(row: i, bias: block.attentionOutputBias, postNorm: block.postAttentionNorm, state: state)
                FloatOps.rmsNorm(
                    state.x + i * dim, weight: block.feedForwardNorm, epsilon: config.normEpsilon, output: state.xb + i * dim,
                    count: dim)
                MatMul.prepare(state.xb + i * dim, row: i, columns: dim, for: block.feedForward.inputType, workspace: state.workspace)
            }
            switch block.feedForward {
            case .dense(let gate, let up, let down):
                feedForward(
                    gate: gate, up: up, down: down, input: state.xb, tokens: n, width: ff, prepared: true, promptTokens: prompt, state: state)
            case .experts(let experts):
                mixExperts(experts, tokens: n, state: state)
            }
            let next = layer + 1 < blocks.count ? blocks[layer + 1] : nil
            state.eachRow(n) { i, _ in
                addToResidual(row: i, bias: nil, postNorm: block.postFeedForwardNorm, state: state)
                if let next { normalizeForAttention(row: i, block: next, state: state) }
            }
        }

        for i in 0..<n where batch.wantsHidden[i] {
            FloatOps.rmsNorm(state.x + i * dim, weight: weights.outputNorm, epsilon: config.normEpsilon, output: state.hidden + i * dim, count: dim)
        }
        // Only the rows that want logits go through the final norm and the (large) output projection.
        var rows = 0
        for i in 0..<n where batch.wantsLogits[i] {
            FloatOps.rmsNorm(
                state.x + i * dim, weight: weights.outputNorm, epsilon: config.normEpsilon, output: state.xb + rows * dim, count: dim)
            rows += 1
        }
        if rows > 0 {
            matmul(weights.output, state.xb, rows, state.logits, state)
            if let cap = config.finalLogitSoftcap { FloatOps.softcap(state.logits, count: rows * config.vocabularySize, cap: cap) }
        }
        return rows
    }

    private func validate(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) {
        guard batch.count > 0, batch.count <= state.maxTokens else {
            throw EngineError(.invalidInput, "a batch holds \(batch.count) tokens; this state allows 1 to \(state.maxTokens)")
        }
        let limit = min(cache.contextLength, state.scoresStride)
        for i in 0..<batch.count {
            guard batch.tokens[i] >= 0, Int(batch.tokens[i]) < config.vocabularySize else {
                throw EngineError(.invalidInput, "token id \(batch.tokens[i]) is outside the vocabulary of \(config.vocabularySize)")
            }
            guard batch.positions[i] >= 0, batch.positions[i] < limit else {
                throw EngineError(.invalidInput, "position \(batch.positions[i]) is past the context of \(limit) tokens")
            }
            guard batch.slots[i] >= 0, batch.slots[i] < cache.slotCount else {
                throw EngineError(.invalidInput, "slot \(batch.slots[i]) does not exist; the cache has \(cache.slotCount)")
            }
        }
    }

    @inline(__always)
    private func matmul(
        _ weight: WeightMatrix, _ input: UnsafeMutablePointer<Float>, _ tokens: Int, _ output: UnsafeMutablePointer<Float>,
        _ state: ForwardState
    ) {
        MatMul.compute(weight, input: input, tokens: tokens, output: output, workspace: state.workspace, pool: state.pool)
    }

    /// The embedding of `token` into row `row` of the residual stream, scaled where the family scales it.
    private func embed(token: Int32, row: Int, state: ForwardState) {
        let x = state.x + row * config.embeddingLength
        weights.tokenEmbedding.dequantizeRow(Int(token), into: x)
        if let scale = config.embeddingScale { VectorMath.scale(x, by: scale, count: config.embeddingLength) }
    }

    /// The attention norm of row `row` into `xb`, converted for the block's query, key and value products.
    private func normalizeForAttention(row: Int, block: TransformerBlockWeights, state: ForwardState) {
        let dim = config.embeddingLength
        FloatOps.rmsNorm(state.x + row * dim, weight: block.attentionNorm, epsilon: config.normEpsilon, output: state.xb + row * dim, count: dim)
        MatMul.prepare(state.xb + row * dim, row: row, columns: dim, for: block.query.type, workspace: state.workspace)
    }

    /// Row `row`'s query and key as attention takes them: biases added, each head normalized, rotated by its position,
    /// and the query scaled where the family scales queries; the value gets its bias.
    private func prepareQueryAndKey(row: Int, block: TransformerBlockWeights, ropeSet: Int, state: ForwardState) {
        let (queries, kvDim, headSize) = (config.queryDimension, config.kvDimension, config.headDimension)
        let q = state.q + row * queries
        let k = state.k + row * kvDim
        if let bias = block.queryBias { FloatOps.add(bias, into: q, count: queries) }
        if let bias = block.keyBias { FloatOps.add(bias, into: k, count: kvDim) }
        if let bias = block.valueBias { FloatOps.add(bias, into: state.v + row * kvDim, count: kvDim) }
        if let norm = block.queryNorm {
            FloatOps.rmsNormRows(q, rows: config.headCount, weight: norm, epsilon: config.normEpsilon, count: headSize)
        }
        if let norm = block.keyNorm {
            FloatOps.rmsNormRows(k, rows: config.headCountKV, weight: norm, epsilon: config.normEpsilon, count: headSize)
        }
        let angles = row * state.ropeStride + ropeSet * rope.pairs
        rope.rotate(q, heads: config.headCount, cosines: state.ropeCos + angles, sines: state.ropeSin + angles)
        rope.rotate(k, heads: config.headCountKV, cosines: state.ropeCos + angles, sines: state.ropeSin + angles)
        if config.scalesQueries { VectorMath.scale(q, by: config.attentionScale, count: queries) }
    }

    /// Adds the sub-layer output in `projected` (with its bias, normalized where the family normalizes it) to row `row`
    /// of the residual stream.
    private func addToResidual(row: Int, bias: UnsafePointer<Float>?, postNorm: UnsafePointer<Float>?, state: ForwardState) {
        let dim = config.embeddingLength
        let output = state.projected + row * dim
        if let bias { FloatOps.add(bias, into: output, count: dim) }
        if let postNorm { FloatOps.rmsNorm(output, weight: postNorm, epsilon: config.normEpsilon, output: output, count: dim) }
        FloatOps.add(output, into: state.x + row * dim, count: dim)
    }

    /// `down · (act(gate · h) ⊙ (up · h))` for `tokens` rows of `input` (`[tokens][embedding]`) into `projected`, through
    /// `width` hidden values per row; `prepared`: the input is already in `gate`'s activation format; `promptTokens`: as
    /// for ``MatMul/compute(_:input:tokens:output:workspace:pool:prepared:promptTokens:)``.
    func feedForward(
        gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix, input: UnsafeMutablePointer<Float>, tokens: Int, width: Int, prepared: Bool,
        promptTokens: UnsafePointer<UInt8>? = nil, state: ForwardState
    ) {
        MatMul.compute(
            .init(gate, output: state.gate), .init(up, output: state.up), input: input, tokens: tokens, workspace: state.workspace,
            pool: state.pool, prepared: prepared ? gate.type : nil, promptTokens: promptTokens)
        state.eachRow(tokens) { i, thread in
            activate(row: i, width: width, thread: thread, state: state)
            MatMul.prepare(state.gate + i * width, row: i, columns: width, for: down.type, workspace: state.workspace)
        }
        MatMul.compute(
            down, input: state.gate, tokens: tokens, output: state.projected, workspace: state.workspace, pool: state.pool, prepared: down.type,
            promptTokens: promptTokens)
    }

    /// The gated activation of row `row` (`width` values), into `gate`.
    private func activate(row: Int, width ff: Int, thread: Int, state: ForwardState) {
        switch config.activation {
        case .swiglu:
            VectorMath.swiglu(gate: state.gate + row * ff, up: state.up + row * ff, count: ff)
        case .geglu:
            GELU.geglu(
                gate: state.gate + row * ff, up: state.up + row * ff, count: ff, half: state.halfScratch + thread * state.halfScratchStride)
        }
    }
}
