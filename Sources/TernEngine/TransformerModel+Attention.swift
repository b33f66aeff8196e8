import TernTensors

extension TransformerModel {
    /// Writes the key and value of batch row `token` into the cache, rounded to f16.
    func store(token: Int, position: Int, layer: Int, slot: Int, cache: KVCache, state: ForwardState) {
        let kvDim = config.kvDimension
        let at = cache.offset(layer: layer, slot: slot) + position * kvDim
        VectorMath.convert(state.k + token * kvDim, toHalf: cache.keys + at, count: kvDim)
        VectorMath.convert(state.v + token * kvDim, toHalf: cache.values + at, count: kvDim)
    }

    /// Causal attention of every token's query heads against its slot's cached keys and values at positions ≤ its own
    /// (and, on a sliding layer, within the window), one work item per token and key/value head (the query heads that
    /// share it read its cache once).
    ///
    /// As in the reference engine, the query and the attention weights are rounded to f16 to meet the f16 cache.
    func attend(layer: Int, batch: ForwardBatch, cache: KVCache, state: ForwardState) {
        let headSize = config.headDimension
        let queries = config.queryDimension
        let kvDim = config.kvDimension
        let kvHeads = config.headCountKV
        let group = config.headCount / kvHeads
        let scale: Float = config.scalesQueries ? 1 : config.attentionScale
        let softcap = config.attentionLogitSoftcap
        let window = config.layers[layer].slidingWindow
        let work = batch.count * kvHeads
        batch.positions.withUnsafeBufferPointer { positions in
            batch.slots.withUnsafeBufferPointer { slots in
                batch.decoding.withUnsafeBufferPointer { decoding in
                    state.pool.forEach(work) { items, thread in
                        let scores = state.scores + thread * state.scoresThreadStride
                        let half = state.halfScratch + thread * state.halfScratchStride
                        let rounded = state.roundedScratch + thread * state.roundedScratchStride
                        for index in items {
                            // Later tokens attend to more positions: handing them out first balances the threads.
                            let item = work - 1 - index
                            let token = item / kvHeads
                            let kvHead = item % kvHeads
                            // The query heads [kvHead·group, (kvHead + 1)·group) share this key/value head: one read serves them all.
                            let queryOffset = token * queries + kvHead * group * headSize
                            let order: HalfDotOrder = decoding[token] ? .oneToken : .batched
                            // Keys at positions p0 with position − p0 ≥ window are masked on a sliding layer. The reference
                            // sums every row from position 0, masked positions as zeros, in lanes and groups of 16 (64 for
                            // one token); the row starts at a multiple of that so each position keeps its lane, and the
                            // masked ones before the window are zeros here too.
                            let inWindow = window.map { max(0, positions[token] - $0 + 1) } ?? 0
                            let lanes = order == .oneToken ? 64 : 16
                            let first = inWindow - inWindow % lanes
                            let masked = inWindow - first
                            let length = positions[token] + 1 - first
                            let base = cache.offset(layer: layer, slot: slots[token]) + first * kvDim + kvHead * headSize
                            VectorMath.halfRowsDot(
                                cache.keys + base, rowStride: kvDim, rowCount: length, columns: headSize, x: state.q + queryOffset,
                                xStride: headSize, xCount: group, scratch: rounded, halfScratch: half, order: order, output: scores,
                                outputStride: state.scoresStride)
                            for head in 0..<group {
                                let headScores = scores + head * state.scoresStride
                                if scale != 1 { VectorMath.scale(headScores, by: scale, count: length) }
                                if let softcap { FloatOps.softcap(headScores, count: length, cap: softcap) }
                                for index in 0..<masked { headScores[index] = -.infinity }
                                VectorMath.softmax(headScores, count: length)
                            }
                            VectorMath.halfColumnsDot(
                                cache.values + base, rowStride: kvDim, rowCount: length, columns: headSize, x: scores,
                                xStride: state.scoresStride, xCount: group, scratch: rounded, halfScratch: half, order: order,
                                output: state.attention + queryOffset, outputStride: headSize)
                        }
                    }
                }
            }
        }
    }
}
