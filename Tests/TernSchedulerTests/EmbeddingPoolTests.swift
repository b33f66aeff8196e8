import TernEngine
import Testing

@testable import TernScheduler

/// Pooling of hidden states that arrive in chunks, as a decoder's prompt does.
struct EmbeddingPoolTests {
    /// Hidden state of position p: [p, 10·p].
    static func pooled(_ pooling: ModelConfig.Pooling, chunks: [Range<Int>], count: Int) -> [Float] {
        let (stream, continuation) = AsyncThrowingStream<Embedding, any Error>.makeStream()
        _ = stream
        let pool = EmbeddingPool(pooling: pooling, width: 2, continuation: continuation)
        for chunk in chunks {
            let rows = chunk.flatMap { [Float($0), Float(10 * $0)] }
            rows.withUnsafeBufferPointer { rows in
                pool.take(positions: chunk, promptCount: count) { offset in UnsafeBufferPointer(rebasing: rows[(2 * offset)..<(2 * offset + 2)]) }
            }
        }
        return pool.result(count: count)
    }

    @Test func meanClsAndLastOverChunks() {
        let chunks = [0..<3, 3..<4, 4..<6]
        #expect(Self.pooled(.mean, chunks: chunks, count: 6) == [2.5, 25])
        #expect(Self.pooled(.none, chunks: chunks, count: 6) == [2.5, 25])
        #expect(Self.pooled(.cls, chunks: chunks, count: 6) == [0, 0])
        #expect(Self.pooled(.last, chunks: chunks, count: 6) == [5, 50])
        #expect(Self.pooled(.last, chunks: [0..<1], count: 1) == [0, 0])
    }

    /// A sequence preempted for memory is fed again from its start (``SchedulerPolicy`` drops its keys and values):
    /// what was summed before counts once.
    @Test func aPromptFedAgainFromItsStartIsPooledOnce() {
        #expect(Self.pooled(.mean, chunks: [0..<3, 0..<3, 3..<6], count: 6) == [2.5, 25])
        #expect(Self.pooled(.mean, chunks: [0..<4, 0..<2, 2..<6], count: 6) == [2.5, 25])
    }
}
