import TernEngine
import Testing

@testable import TernScheduler

/// Embedding sequences in the policy: every prompt row asks for its hidden state, nothing is reused from the prefix
/// cache, and an encoder's prompts go into one batch whole.
struct SchedulerPolicyEmbeddingTests {
    static func schedule(_ policy: inout SchedulerPolicy) -> (ForwardBatch, [Int], [SchedulerPolicy.EmbeddingRows]) {
        var (actions, batch, owners, rows) = ([SchedulerPolicy.CacheAction](), ForwardBatch(), [Int](), [SchedulerPolicy.EmbeddingRows]())
        policy.schedule(actions: &actions, batch: &batch, owners: &owners, embeddings: &rows)
        policy.completeStep()
        return (batch, owners, rows)
    }

    @Test func embeddingRowsWantHiddenStatesAndNeverReuseAPrefix() {
        var policy = SchedulerPolicyTests.policy(batchTokens: 8)
        policy.enqueue(id: 1, prompt: [1, 2, 3, 4])
        var (batch, owners, _) = Self.schedule(&policy)
        #expect(owners == [1])
        policy.remove(id: 1)
        #expect(policy.cachedPrefixes == [[1, 2, 3, 4]])
        // The same beginning, but an embedding needs every token's hidden state: computed from position 0, in chunks.
        policy.enqueue(id: 2, prompt: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], embedding: true)
        var rows: [SchedulerPolicy.EmbeddingRows]
        (batch, owners, rows) = Self.schedule(&policy)
        #expect(batch.positions == Array(0..<8) && batch.wantsHidden.allSatisfy { $0 } && !batch.wantsLogits.contains(true))
        #expect(owners.isEmpty && rows == [SchedulerPolicy.EmbeddingRows(id: 2, rows: 0..<8, completes: false)])
        #expect(policy.sequence(id: 2)?.cachedPromptTokens == 0)
        (batch, owners, rows) = Self.schedule(&policy)
        #expect(batch.positions == [8, 9] && rows == [SchedulerPolicy.EmbeddingRows(id: 2, rows: 0..<2, completes: true)])
    }

    @Test func wholePromptsAreNeverCut() {
        let footprint = SchedulerPolicyTests.footprint
        var policy = SchedulerPolicy(
            limits: SchedulerPolicy.Limits(
                maxSequences: 4, slotCount: 4, maxBatchTokens: 8, memoryBudget: footprint.bytes(tokens: 1024), footprint: footprint,
                prefixCache: false, wholePrompts: true))
        policy.enqueue(id: 1, prompt: [1, 2, 3, 4, 5], embedding: true)
        policy.enqueue(id: 2, prompt: [6, 7, 8, 9, 10, 11], embedding: true)
        policy.enqueue(id: 3, prompt: [12, 13], embedding: true)
        // 5 + 6 would pass the 8-token budget: the second waits, and the third, which fits, goes along.
        var (batch, _, rows) = Self.schedule(&policy)
        #expect(batch.tokens == [1, 2, 3, 4, 5, 12, 13])
        #expect(rows.map(\.id) == [1, 3] && rows.allSatisfy(\.completes))
        policy.remove(id: 1)
        policy.remove(id: 3)
        (batch, _, rows) = Self.schedule(&policy)
        #expect(batch.tokens == [6, 7, 8, 9, 10, 11] && batch.positions == Array(0..<6))
        #expect(rows == [SchedulerPolicy.EmbeddingRows(id: 2, rows: 0..<6, completes: true)])
    }
}
