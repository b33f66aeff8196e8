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
    /// [maxTokens][embedding] queries
    let q: UnsafeMutablePointer<Float>
    /// [maxTokens][kvDimension] keys of this batch
    let k: UnsafeMutablePointer<Float>
    /// [maxTokens][kvDimension] values of this batch
    let v: UnsafeMutablePointer<Float>
    /// [maxTokens][embedding] attention output before the output projection
    let attention: UnsafeMutablePointer<Float>
    /// [maxTokens][embedding] output of a projection, added to the residual stream
    let projected: UnsafeMutablePointer<Float>
    /// [maxTokens][feedForward] gate activations
    let gate: UnsafeMutablePointer<Float>
    /// [maxTokens][feedForward] up activations
    let up: UnsafeMutablePointer<Float>
    /// [threads][group][contextLength] attention scores of the query heads that share one key/value head
    let scores: UnsafeMutablePointer<Float>
    /// Floats between two heads' scores.
    let scoresStride: Int
    /// Floats between two threads' scores.
    let scoresThreadStride: Int
    /// [threads][max(contextLength, kvDimension)] f16 copies of a query or of attention weights
    let halfScratch: UnsafeMutablePointer<UInt16>
    let halfScratchStride: Int
    /// [threads][group · max(contextLength, headDimension)] queries or attention weights rounded to f16
    let roundedScratch: UnsafeMutablePointer<Float>
    let roundedScratchStride: Int
    /// [maxTokens][vocabulary] logits of the rows that asked for them
    let logits: UnsafeMutablePointer<Float>
    let vocabularySize: Int

    /// Allocates scratch for `config`, batches of at most `maxTokens`, contexts of at most `contextLength`, on `pool`.
    public init(config: ModelConfig, maxTokens: Int, contextLength: Int, pool: ComputePool) {
        precondition(maxTokens > 0)
        self.maxTokens = maxTokens
        self.pool = pool
        let embedding = config.embeddingLength
        let ff = config.feedForwardLength
        workspace = MatMulWorkspace(maxTokens: maxTokens, maxColumns: max(embedding, ff), threads: pool.threadCount)
        x = .allocate(capacity: maxTokens * embedding)
        xb = .allocate(capacity: maxTokens * embedding)
        q = .allocate(capacity: maxTokens * embedding)
        k = .allocate(capacity: maxTokens * config.kvDimension)
        v = .allocate(capacity: maxTokens * config.kvDimension)
        attention = .allocate(capacity: maxTokens * embedding)
        projected = .allocate(capacity: maxTokens * embedding)
        gate = .allocate(capacity: maxTokens * ff)
        up = .allocate(capacity: maxTokens * ff)
        let group = config.headCount / config.headCountKV
        scoresStride = contextLength
        scoresThreadStride = group * contextLength
        scores = .allocate(capacity: pool.threadCount * scoresThreadStride)
        halfScratchStride = max(contextLength, config.kvDimension)
        halfScratch = .allocate(capacity: pool.threadCount * halfScratchStride)
        roundedScratchStride = group * max(contextLength, config.headDimension)
        roundedScratch = .allocate(capacity: pool.threadCount * roundedScratchStride)
        vocabularySize = config.vocabularySize
        logits = .allocate(capacity: maxTokens * config.vocabularySize)
    }

    /// Allocates scratch as above, with a new pool of `threads` compute threads.
    public convenience init(config: ModelConfig, maxTokens: Int, contextLength: Int, threads: Int) {
        self.init(config: config, maxTokens: maxTokens, contextLength: contextLength, pool: ComputePool(threadCount: threads))
    }

    deinit {
        for buffer in [x, xb, q, k, v, attention, projected, gate, up, scores, roundedScratch, logits] { buffer.deallocate() }
        halfScratch.deallocate()
    }

    /// The logits of the `row`-th token that asked for them in the last forward pass.
    public func logits(row: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: logits + row * vocabularySize, count: vocabularySize)
    }
}
