public import TernTensors

/// Scratch memory for forward passes of up to `maxTokens` tokens, allocated once so that a step allocates nothing.
public final class ForwardState: @unchecked Sendable {
    /// Most tokens one forward pass may carry.
    public let maxTokens: Int
    let pool: ComputePool
    let workspace: MatMulWorkspace
    /// [maxTokens][embedding] residual stream
    let x: UnsafeMutablePointer<Float>
    /// [maxTokens][embedding] normalized input of a sub-layer
    let xb: UnsafeMutablePointer<Float>
    /// [maxTokens][queryDimension] queries
    let q: UnsafeMutablePointer<Float>
    /// [maxTokens][kvDimension] keys of this batch
    let k: UnsafeMutablePointer<Float>
    /// [maxTokens][kvDimension] values of this batch
    let v: UnsafeMutablePointer<Float>
    /// [maxTokens][queryDimension] attention output before the output projection
    let attention: UnsafeMutablePointer<Float>
    /// [maxTokens][embedding] output of a projection, added to the residual stream
    let projected: UnsafeMutablePointer<Float>
    /// [maxTokens][feedForward] gate activations
    let gate: UnsafeMutablePointer<Float>
    /// [maxTokens][feedForward] up activations
    let up: UnsafeMutablePointer<Float>
    /// [maxTokens][ropeSets][ropePairs] cosines of each token's RoPE angles, for each set of frequencies
    let ropeCos: UnsafeMutablePointer<Float>
    /// [maxTokens][ropeSets][ropePairs] sines, laid out as ``ropeCos``
    let ropeSin: UnsafeMutablePointer<Float>
    /// Floats between one token's RoPE angles and the next token's.
    let ropeStride: Int
    /// [threads][group][contextLength] attention scores of the query heads that share one key/value head
    let scores: UnsafeMutablePointer<Float>
    /// Floats between two heads' scores.
    let scoresStride: Int
    /// Floats between two threads' scores.
    let scoresThreadStride: Int
    /// [threads][max(contextLength, kvDimension, feedForward)] f16 copies of a query, attention weights or gate row
    let halfScratch: UnsafeMutablePointer<UInt16>
    let halfScratchStride: Int
    /// [threads][group · max(contextLength, headDimension)] queries or attention weights rounded to f16
    let roundedScratch: UnsafeMutablePointer<Float>
    let roundedScratchStride: Int
    /// [maxTokens][experts] the router's logits, then probabilities (mixtures of experts only)
    let routerLogits: UnsafeMutablePointer<Float>
    /// [maxTokens][used] the experts each token goes through, most probable first
    let expertChoice: UnsafeMutablePointer<Int32>
    /// [maxTokens][used] the weight of each chosen expert
    let expertWeight: UnsafeMutablePointer<Float>
    /// [maxTokens · used] which (token, choice) each row of ``expertInput`` is
    let expertRows: UnsafeMutablePointer<Int32>
    /// [maxTokens][embedding] the input rows of the tokens routed to one expert
    let expertInput: UnsafeMutablePointer<Float>
    /// [maxTokens][used][embedding] each chosen expert's output for each token
    let expertOutput: UnsafeMutablePointer<Float>
    /// [maxTokens][vocabulary] logits of the rows that asked for them (none for an encoder)
    let logits: UnsafeMutablePointer<Float>
    /// [maxTokens][embedding] the final hidden state of each batch row that asked for it, at that row
    let hidden: UnsafeMutablePointer<Float>
    /// [maxTokens][2] the first and past-the-last batch row of each row's sequence (an encoder's attention span)
    let spans: UnsafeMutablePointer<Int>
    /// [maxTokens] 1 for a batch row of a prompt, 0 for a token decoded alone (``markPromptTokens(_:)``)
    let promptFlags: UnsafeMutablePointer<UInt8>
    let embeddingLength: Int
    let vocabularySize: Int

    /// Allocates scratch for `config`, batches of at most `maxTokens`, contexts of at most `contextLength`, on `pool`.
    public init(config: ModelConfig, maxTokens: Int, contextLength: Int, pool: ComputePool) {
        precondition(maxTokens > 0)
        self.maxTokens = maxTokens
        self.pool = pool
        let embedding = config.embeddingLength
        // Room for a dense network's hidden rows and for an expert's.
        let ff = max(config.feedForwardLength, config.experts?.feedForwardLength ?? 0)
        let queries = config.queryDimension
        workspace = MatMulWorkspace(maxTokens: maxTokens, maxColumns: max(embedding, ff, queries), threads: pool.threadCount)
        x = .allocate(capacity: maxTokens * embedding)
        xb = .allocate(capacity: maxTokens * embedding)
        q = .allocate(capacity: maxTokens * queries)
        k = .allocate(capacity: maxTokens * config.kvDimension)
        v = .allocate(capacity: maxTokens * config.kvDimension)
        attention = .allocate(capacity: maxTokens * queries)
        projected = .allocate(capacity: maxTokens * embedding)
        gate = .allocate(capacity: maxTokens * ff)
        up = .allocate(capacity: maxTokens * ff)
        ropeStride = config.ropeFrequencies.count * config.ropeDimensionCount / 2
        ropeCos = .allocate(capacity: max(1, maxTokens * ropeStride))
        ropeSin = .allocate(capacity: max(1, maxTokens * ropeStride))
        let group = config.headCount / config.headCountKV
        scoresStride = contextLength
        scoresThreadStride = group * contextLength
        scores = .allocate(capacity: pool.threadCount * scoresThreadStride)
        halfScratchStride = max(contextLength, config.kvDimension, ff)
        halfScratch = .allocate(capacity: pool.threadCount * halfScratchStride)
        roundedScratchStride = group * max(contextLength, config.headDimension)
        roundedScratch = .allocate(capacity: pool.threadCount * roundedScratchStride)
        let (experts, used) = (config.experts?.count ?? 0, config.experts?.used ?? 0)
        routerLogits = .allocate(capacity: max(1, maxTokens * experts))
        expertChoice = .allocate(capacity: max(1, maxTokens * used))
        expertWeight = .allocate(capacity: max(1, maxTokens * used))
        expertRows = .allocate(capacity: max(1, maxTokens * used))
        expertInput = .allocate(capacity: used > 0 ? maxTokens * embedding : 1)
        expertOutput = .allocate(capacity: max(1, maxTokens * used * embedding))
        vocabularySize = config.vocabularySize
        logits = .allocate(capacity: config.causal ? maxTokens * config.vocabularySize : 1)
        hidden = .allocate(capacity: maxTokens * embedding)
        spans = .allocate(capacity: 2 * maxTokens)
        promptFlags = .allocate(capacity: maxTokens)
        embeddingLength = embedding
    }

    /// Allocates scratch as above, with a new pool of `threads` compute threads.
    public convenience init(config: ModelConfig, maxTokens: Int, contextLength: Int, threads: Int) {
        self.init(config: config, maxTokens: maxTokens, contextLength: contextLength, pool: ComputePool(threadCount: threads))
    }

    deinit {
        for buffer in [x, xb, q, k, v, attention, projected, gate, up, ropeCos, ropeSin, scores, roundedScratch, logits, hidden] {
            buffer.deallocate()
        }
        for buffer in [routerLogits, expertWeight, expertInput, expertOutput] { buffer.deallocate() }
        expertChoice.deallocate()
        expertRows.deallocate()
        halfScratch.deallocate()
        spans.deallocate()
        promptFlags.deallocate()
    }

    /// Marks which rows of a batch belong to a prompt (`decoding[row]` false) for the products that take them in batch
    /// order: llama.cpp multiplies some formats (IQ4_NL) in another order for a prompt batch than for a token decoded
    /// alone, and Tern follows each row's kind, so that a row's result never depends on the rest of its batch.
    func markPromptTokens(_ decoding: [Bool]) -> UnsafePointer<UInt8> {
        for (row, alone) in decoding.enumerated() { promptFlags[row] = alone ? 0 : 1 }
        return UnsafePointer(promptFlags)
    }

    /// The logits of the `row`-th token that asked for them in the last forward pass.
    public func logits(row: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: logits + row * vocabularySize, count: vocabularySize)
    }

    /// Runs `body(row, thread)` for every one of `count` token rows, the rows shared among the pool's threads.
    @inline(__always)
    func eachRow(_ count: Int, _ body: (_ row: Int, _ thread: Int) -> Void) {
        pool.forEach(count) { rows, thread in
            for row in rows { body(row, thread) }
        }
    }

    /// The final hidden state of batch row `row` of the last forward pass, if it asked for it.
    public func hidden(row: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: hidden + row * embeddingLength, count: embeddingLength)
    }
}
