import TernEngine

/// A running embedding's pooled state, on the scheduler's step thread.
final class EmbeddingPool {
    let pooling: ModelConfig.Pooling
    let continuation: AsyncThrowingStream<Embedding, any Error>.Continuation
    /// The sum of the hidden states so far (mean), or the chosen one (CLS, last).
    var vector: [Float]

    init(pooling: ModelConfig.Pooling, width: Int, continuation: AsyncThrowingStream<Embedding, any Error>.Continuation) {
        self.pooling = pooling
        self.continuation = continuation
        vector = Array(repeating: 0, count: width)
    }

    /// Takes the hidden states of the prompt positions `positions`, one row each from `row(i)`.
    func take(positions: Range<Int>, promptCount: Int, row: (Int) -> UnsafeBufferPointer<Float>) {
        switch pooling {
        case .none, .mean:
            // A preempted sequence is fed again from its start: what it had summed is summed again.
            if positions.lowerBound == 0 { vector = Array(repeating: 0, count: vector.count) }
            vector.withUnsafeMutableBufferPointer { sum in
                for i in positions.indices {
                    let hidden = row(i - positions.lowerBound)
                    for j in sum.indices { sum[j] += hidden[j] }
                }
            }
        case .cls:
            if positions.contains(0) { vector = Array(row(0 - positions.lowerBound)) }
        case .last:
            if positions.contains(promptCount - 1) { vector = Array(row(promptCount - 1 - positions.lowerBound)) }
        }
    }

    /// The pooled vector of a prompt of `count` tokens.
    func result(count: Int) -> [Float] {
        guard pooling == .none || pooling == .mean else { return vector }
        let scale = 1 / Float(count)
        return vector.map { $0 * scale }
    }
}
