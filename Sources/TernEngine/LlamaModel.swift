import TernGGUF
import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The llama family: RMSNorm, RoPE, grouped-query attention with a KV cache, SwiGLU feed-forward.
///
/// SmolLM, Llama 2/3, Mistral and many others are stored under `general.architecture = llama`.
final class LlamaModel: LanguageModel, @unchecked Sendable {
    let config: ModelConfig
    let weights: LlamaWeights
    /// [ropeTableLength][ropeDimensionCount / 2] cosines and sines of each position and frequency.
    private let ropeCos: [Float]
    private let ropeSin: [Float]
    private let ropeTableLength: Int

    init(file: GGUFFile, config: ModelConfig) throws(EngineError) {
        self.config = config
        weights = try LlamaWeights(file: file, config: config)
        // Tabulated once: RoPE rotates pair i of a head by position · base^(-2i/d). The angles are formed as the
        // reference engine forms them, by repeated f32 multiplication, so that both rotate by the same floats.
        let pairs = config.ropeDimensionCount / 2
        ropeTableLength = config.contextLength
        var cosines = [Float](repeating: 0, count: ropeTableLength * pairs)
        var sines = cosines
        let step = powf(config.ropeFrequencyBase, -2 / Float(config.ropeDimensionCount))
        for position in 0..<ropeTableLength {
            var angle = Float(position)
            for pair in 0..<pairs {
                cosines[position * pairs + pair] = cosf(angle)
                sines[position * pairs + pair] = sinf(angle)
                angle *= step
            }
        }
        ropeCos = cosines
        ropeSin = sines
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) -> Int {
        try validate(batch, cache: cache, state: state)
        let n = batch.count
        let dim = config.embeddingLength
        let kvDim = config.kvDimension
        let ff = config.feedForwardLength

        for i in 0..<n { weights.tokenEmbedding.dequantizeRow(Int(batch.tokens[i]), into: state.x + i * dim) }
        let blocks = weights.blocks
        // Each pass over the token rows also converts its output into the activation format of the product that follows
        // (MatMul.prepare), and a layer's last residual add runs with the next layer's first norm: fewer hand-offs.
        if let first = blocks.first { eachToken(n, state) { i, _ in normalizeForAttention(row: i, block: first, state: state) } }
        for (layer, block) in blocks.enumerated() {
            MatMul.compute(
                .init(block.query, output: state.q), .init(block.key, output: state.k), .init(block.value, output: state.v), input: state.xb,
                tokens: n, workspace: state.workspace, pool: state.pool, prepared: block.query.type)
            batch.positions.withUnsafeBufferPointer { positions in
                batch.slots.withUnsafeBufferPointer { slots in
                    eachToken(n, state) { i, _ in
                        rotate(state.q + i * dim, heads: config.headCount, position: positions[i])
                        rotate(state.k + i * kvDim, heads: config.headCountKV, position: positions[i])
                        store(token: i, position: positions[i], layer: layer, slot: slots[i], cache: cache, state: state)
                    }
                }
            }
            attend(layer: layer, batch: batch, cache: cache, state: state)
            matmul(block.attentionOutput, state.attention, n, state.projected, state)
            eachToken(n, state) { i, _ in
                add(state.projected + i * dim, into: state.x + i * dim, count: dim)
                FloatOps.rmsNorm(
                    state.x + i * dim, weight: block.feedForwardNorm, epsilon: config.rmsNormEpsilon, output: state.xb + i * dim,
                    count: dim)
                MatMul.prepare(state.xb + i * dim, row: i, columns: dim, for: block.gate.type, workspace: state.workspace)
            }
            MatMul.compute(
                .init(block.gate, output: state.gate), .init(block.up, output: state.up), input: state.xb, tokens: n, workspace: state.workspace,
                pool: state.pool, prepared: block.gate.type)
            eachToken(n, state) { i, _ in
                VectorMath.swiglu(gate: state.gate + i * ff, up: state.up + i * ff, count: ff)
                MatMul.prepare(state.gate + i * ff, row: i, columns: ff, for: block.down.type, workspace: state.workspace)
            }
            MatMul.compute(
                block.down, input: state.gate, tokens: n, output: state.projected, workspace: state.workspace, pool: state.pool,
                prepared: block.down.type)
            let next = layer + 1 < blocks.count ? blocks[layer + 1] : nil
            eachToken(n, state) { i, _ in
                add(state.projected + i * dim, into: state.x + i * dim, count: dim)
                if let next { normalizeForAttention(row: i, block: next, state: state) }
            }
        }

        // Only the rows that want logits go through the final norm and the (large) output projection.
        var rows = 0
        for i in 0..<n where batch.wantsLogits[i] {
            FloatOps.rmsNorm(
                state.x + i * dim, weight: weights.outputNorm, epsilon: config.rmsNormEpsilon, output: state.xb + rows * dim, count: dim)
            rows += 1
        }
        if rows > 0 {
            matmul(weights.output, state.xb, rows, state.logits, state)
        }
        return rows
    }

    private func validate(_ batch: ForwardBatch, cache: KVCache, state: ForwardState) throws(EngineError) {
        guard batch.count > 0, batch.count <= state.maxTokens else {
            throw EngineError(.invalidInput, "a batch holds \(batch.count) tokens; this state allows 1 to \(state.maxTokens)")
        }
        let limit = min(cache.contextLength, ropeTableLength, state.scoresStride)
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

    /// Runs `body(row, thread)` for every token row of the batch, the rows shared among the pool's threads.
    @inline(__always)
    private func eachToken(_ count: Int, _ state: ForwardState, _ body: (_ row: Int, _ thread: Int) -> Void) {
        state.pool.forEach(count) { rows, thread in
            for row in rows { body(row, thread) }
        }
    }

    /// The attention norm of row `row` into `xb`, converted for the block's query, key and value products.
    private func normalizeForAttention(row: Int, block: LlamaBlockWeights, state: ForwardState) {
        let dim = config.embeddingLength
        FloatOps.rmsNorm(state.x + row * dim, weight: block.attentionNorm, epsilon: config.rmsNormEpsilon, output: state.xb + row * dim, count: dim)
        MatMul.prepare(state.xb + row * dim, row: row, columns: dim, for: block.query.type, workspace: state.workspace)
    }

    private func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] += source[i] }
    }

    /// Rotates adjacent pairs (2i, 2i+1) of the first `ropeDimensionCount` values of each head (GGUF llama layout).
    private func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let pairs = config.ropeDimensionCount / 2
        ropeCos.withUnsafeBufferPointer { cosines in
            ropeSin.withUnsafeBufferPointer { sines in
                VectorMath.rotate(
                    vector, heads: heads, headSize: config.headDimension, pairs: pairs, cosines: cosines.baseAddress! + position * pairs,
                    sines: sines.baseAddress! + position * pairs)
            }
        }
    }

    /// Writes the key and value of batch row `token` into the cache, rounded to f16.
    private func store(token: Int, position: Int, layer: Int, slot: Int, cache: KVCache, state: ForwardState) {
        let kvDim = config.kvDimension
        let at = cache.offset(layer: layer, slot: slot) + position * kvDim
        VectorMath.convert(state.k + token * kvDim, toHalf: cache.keys + at, count: kvDim)
        VectorMath.convert(state.v + token * kvDim, toHalf: cache.values + at, count: kvDim)
    }

    /// Causal attention of every token's query heads against its slot's cached keys and values at positions ≤ its own,
    /// one work item per token and key/value head (the query heads that share it read its cache once).
    ///
    /// As in the reference engine, the query and the attention weights are rounded to f16 to meet the f16 cache.
    private func attend(layer: Int, batch: ForwardBatch, cache: KVCache, state: ForwardState) {
        let headSize = config.headDimension
        let dim = config.embeddingLength
        let kvDim = config.kvDimension
        let group = config.headCount / config.headCountKV
        let scale = 1 / Float(headSize).squareRoot()
        let work = batch.count * config.headCountKV
        let pool = state.pool
        batch.positions.withUnsafeBufferPointer { positions in
            batch.slots.withUnsafeBufferPointer { slots in
                batch.decoding.withUnsafeBufferPointer { decoding in
                    pool.forEach(work) { items, thread in
                        let scores = state.scores + thread * state.scoresThreadStride
                        let half = state.halfScratch + thread * state.halfScratchStride
                        let rounded = state.roundedScratch + thread * state.roundedScratchStride
                        for index in items {
                            // Later tokens attend to more positions: handing them out first balances the threads.
                            let item = work - 1 - index
                            let token = item / config.headCountKV
                            let kvHead = item % config.headCountKV
                            // The query heads [kvHead·group, (kvHead + 1)·group) share this key/value head: one read serves them all.
                            let kvOffset = kvHead * headSize
                            let queries = token * dim + kvHead * group * headSize
                            let length = positions[token] + 1
                            let base = cache.offset(layer: layer, slot: slots[token])
                            let order: HalfDotOrder = decoding[token] ? .oneToken : .batched
                            VectorMath.halfRowsDot(
                                cache.keys + base + kvOffset, rowStride: kvDim, rowCount: length, columns: headSize, x: state.q + queries,
                                xStride: headSize, xCount: group, scratch: rounded, halfScratch: half, order: order, output: scores,
                                outputStride: state.scoresStride)
                            for head in 0..<group {
                                let headScores = scores + head * state.scoresStride
                                VectorMath.scale(headScores, by: scale, count: length)
                                VectorMath.softmax(headScores, count: length)
                            }
                            VectorMath.halfColumnsDot(
                                cache.values + base + kvOffset, rowStride: kvDim, rowCount: length, columns: headSize, x: scores,
                                xStride: state.scoresStride, xCount: group, scratch: rounded, halfScratch: half, order: order,
                                output: state.attention + queries, outputStride: headSize)
                        }
                    }
                }
            }
        }
    }
}
