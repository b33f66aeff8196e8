import TernEngine
import TernScheduler
import Testing

/// The scheduling policy on its own: no model, no threads; tokens are made up and "sampling" is a rule.
struct SchedulerPolicyTests {
    /// One byte per position for keys and one for values: memory is 4 bytes per token (pages of 2 bytes).
    static let footprint = KVFootprint(layers: 1, kvDimension: 1, contextLength: 1024, pageSize: 2)

    static func policy(
        maxSequences: Int = 2, slots: Int? = nil, batchTokens: Int = 16, budgetTokens: Int = 1024, prefixCache: Bool = true
    ) -> SchedulerPolicy {
        SchedulerPolicy(
            limits: SchedulerPolicy.Limits(
                maxSequences: maxSequences, slotCount: slots ?? 2 * maxSequences, maxBatchTokens: batchTokens,
                memoryBudget: footprint.bytes(tokens: budgetTokens), footprint: footprint, prefixCache: prefixCache))
    }

    /// Everything one step does, as the scheduler does it.
    struct Step {
        var actions: [SchedulerPolicy.CacheAction] = []
        var batch = ForwardBatch()
        var owners: [Int] = []
    }

    /// Schedules one step, "runs" it and gives every logit row the token `id * 100 + length`; a sequence that has
    /// generated `finishAfter[id]` tokens is removed instead.
    @discardableResult
    static func step(_ policy: inout SchedulerPolicy, finishAfter generated: [Int: Int] = [:]) -> Step {
        var step = Step()
        policy.schedule(actions: &step.actions, batch: &step.batch, owners: &step.owners)
        policy.completeStep()
        for id in step.owners {
            guard let sequence = policy.sequence(id: id) else { continue }
            if let limit = generated[id], sequence.tokens.count - sequence.promptCount >= limit {
                policy.remove(id: id)
            } else {
                policy.append(id: id, token: Int32(id * 100 + sequence.tokens.count))
            }
        }
        return step
    }

    static func prompt(_ range: Range<Int32>) -> [Int32] { Array(range) }

    @Test func decodeTokensComeFirstAndPromptsAreChunked() {
        var policy = Self.policy(batchTokens: 8)
        policy.enqueue(id: 1, prompt: Self.prompt(0..<3))
        let first = Self.step(&policy)
        #expect(first.batch.positions == [0, 1, 2])
        #expect(first.batch.wantsLogits == [false, false, true])
        #expect(first.owners == [1])
        policy.enqueue(id: 2, prompt: Self.prompt(10..<30))
        // Sequence 1 decodes one token; sequence 2 gets the other 7 of the budget.
        let second = Self.step(&policy)
        #expect(second.batch.count == 8)
        #expect(second.batch.tokens.first == 103)
        #expect(second.batch.positions == [3, 0, 1, 2, 3, 4, 5, 6])
        #expect(second.owners == [1])
        Self.step(&policy)
        let fourth = Self.step(&policy)
        // 7 + 7 + 6 prompt tokens: the chunk that ends the prompt asks for logits.
        #expect(fourth.batch.count == 7)
        #expect(fourth.owners == [1, 2])
        #expect(policy.sequence(id: 2)?.processed == 20)
    }

    @Test func anIdleSlotIsReusedAndTheLastTokenRecomputed() {
        var policy = Self.policy()
        let system = Self.prompt(0..<40)
        policy.enqueue(id: 1, prompt: system + [500, 501])
        while policy.sequence(id: 1) != nil { Self.step(&policy, finishAfter: [1: 3]) }
        #expect(policy.cachedPrefixes.count == 1)
        #expect(policy.cachedPrefixes.first?.count == 42)  // the prompt; generated tokens are not offered for reuse

        policy.enqueue(id: 2, prompt: system + [600, 601, 602])
        let step = Self.step(&policy)
        #expect(policy.sequence(id: 2)?.cachedPromptTokens == 40)
        #expect(step.batch.positions == [40, 41, 42])
        // Nothing to copy; only the pages past the new prompt and its next token (45 > 44 positions) are handed back.
        #expect(step.actions == [.truncate(slot: 0, keeping: 44)])

        while policy.sequence(id: 2) != nil { Self.step(&policy, finishAfter: [2: 1]) }

        // The same prompt again: everything but its last token is reused.
        policy.enqueue(id: 3, prompt: system + [600, 601, 602])
        let again = Self.step(&policy)
        #expect(policy.sequence(id: 3)?.cachedPromptTokens == 42)
        #expect(again.batch.tokens == [602])
        #expect(again.batch.positions == [42])
    }

    @Test func aRunningPrefixIsCopiedIntoAFreeSlot() {
        var policy = Self.policy(batchTokens: 64)
        let system = Self.prompt(0..<30)
        policy.enqueue(id: 1, prompt: system + [7])
        Self.step(&policy)
        policy.enqueue(id: 2, prompt: system + [8, 9])
        let step = Self.step(&policy)
        let source = try! #require(policy.sequence(id: 1)?.slot)
        let target = try! #require(policy.sequence(id: 2)?.slot)
        #expect(source != target)
        #expect(step.actions == [.copy(from: source, to: target, count: 30)])
        #expect(policy.sequence(id: 2)?.cachedPromptTokens == 30)
    }

    @Test func aSharedPrefixBeingComputedIsWaitedForThenCopied() {
        var policy = Self.policy(batchTokens: 16)
        let system = Self.prompt(0..<100)
        policy.enqueue(id: 1, prompt: system + [1])
        policy.enqueue(id: 2, prompt: system + [2])
        Self.step(&policy)
        #expect(policy.running.map(\.id) == [1])
        #expect(policy.waiting.map(\.id) == [2])
        var copied: [SchedulerPolicy.CacheAction] = []
        while policy.sequence(id: 2)?.slot == -1 { copied += Self.step(&policy).actions }
        #expect(copied.count == 1)
        #expect(policy.sequence(id: 2)!.cachedPromptTokens >= 68)
    }

    @Test func theLeastRecentlyUsedIdleSlotIsEvicted() {
        var policy = Self.policy(maxSequences: 1, slots: 2)
        for (id, start) in [(1, Int32(0)), (2, 1000), (3, 2000)] {
            policy.enqueue(id: id, prompt: Self.prompt(start..<start + 20))
            while policy.sequence(id: id) != nil { Self.step(&policy, finishAfter: [id: 2]) }
        }
        // Two slots: sequence 3 took the slot of sequence 1, the oldest.
        #expect(policy.cachedPrefixes.map(\.first) == [2000, 1000] || policy.cachedPrefixes.map(\.first) == [1000, 2000])
        policy.enqueue(id: 4, prompt: Self.prompt(0..<20))
        Self.step(&policy)
        #expect(policy.sequence(id: 4)?.cachedPromptTokens == 0)
    }

    @Test func idleSlotsAreReleasedWhenMemoryIsShort() {
        var policy = Self.policy(maxSequences: 1, slots: 3, budgetTokens: 50)
        policy.enqueue(id: 1, prompt: Self.prompt(0..<20))
        while policy.sequence(id: 1) != nil { Self.step(&policy, finishAfter: [1: 2]) }
        policy.enqueue(id: 2, prompt: Self.prompt(100..<140))
        let step = Self.step(&policy)
        // 22 cached tokens + 41 for the new sequence exceed 50: the idle slot goes first.
        #expect(step.actions.count == 1)
        guard case .release = step.actions.first else { Issue.record("expected a release, got \(step.actions)"); return }
        #expect(policy.cachedPrefixes.isEmpty)
        #expect(policy.memoryInUse <= Self.footprint.bytes(tokens: 50))
    }

    @Test func theNewestSequenceIsPreemptedAndResumedWithItsTokens() {
        var policy = Self.policy(maxSequences: 2, batchTokens: 64, budgetTokens: 40, prefixCache: false)
        policy.enqueue(id: 1, prompt: Self.prompt(0..<10))
        policy.enqueue(id: 2, prompt: Self.prompt(100..<110))
        Self.step(&policy)
        #expect(policy.running.count == 2)
        var preemptedAt: Int?
        var generatedBefore: [Int32] = []
        for round in 0..<30 where policy.sequence(id: 1) != nil {
            let before = policy.sequence(id: 2)
            let step = Self.step(&policy, finishAfter: [1: 25, 2: 25])
            if preemptedAt == nil, policy.waiting.map(\.id) == [2] {
                preemptedAt = round
                generatedBefore = before.map { Array($0.tokens.dropFirst(10)) } ?? []
                #expect(step.actions.contains(.release(slot: before!.slot)))
                #expect(policy.sequence(id: 2)?.processed == 0)
                #expect(policy.sequence(id: 2)?.preemptions == 1)
            }
            #expect(policy.memoryInUse <= Self.footprint.bytes(tokens: 40))
        }
        #expect(preemptedAt != nil)
        // Once the older one is done, the newer one recomputes its prompt and what it generated, then goes on.
        let resumed = Self.step(&policy, finishAfter: [2: 25])
        #expect(Array(resumed.batch.tokens.prefix(10 + generatedBefore.count)) == Self.prompt(100..<110) + generatedBefore)
        #expect(resumed.owners == [2])
        while policy.sequence(id: 2) != nil { Self.step(&policy, finishAfter: [2: 25]) }
        #expect(policy.isIdle)
    }

    /// A slot keeps its pages after its sequence ends; the next sequence in it must not be charged for them, or one long
    /// answer would leave the server running one request at a time under a tight budget.
    @Test(arguments: [true, false])
    func aSlotThatHeldALongSequenceIsTrimmedForShortOnes(prefixCache: Bool) {
        var policy = Self.policy(maxSequences: 4, slots: 4, batchTokens: 64, budgetTokens: 100, prefixCache: prefixCache)
        policy.enqueue(id: 1, prompt: Self.prompt(0..<10))
        while policy.sequence(id: 1) != nil { Self.step(&policy, finishAfter: [1: 80]) }
        for id in 2...5 { policy.enqueue(id: id, prompt: Self.prompt(0..<10) + [Int32(id)]) }
        let step = Self.step(&policy)
        // The long sequence's slot is taken first (its prefix, or the first slot that keeps nothing) and trimmed to
        // the new prompt and its next token; the four run together in 4 × 12 of the 100 tokens.
        #expect(step.actions.first == .truncate(slot: 0, keeping: 12))
        #expect(policy.running.count == 4)
        #expect(policy.memoryInUse <= Self.footprint.bytes(tokens: 100))
        #expect(policy.sequence(id: 3)?.cachedPromptTokens == (prefixCache ? 10 : 0))
    }

    @Test func withoutThePrefixCacheNothingIsReused() {
        var policy = Self.policy(prefixCache: false)
        policy.enqueue(id: 1, prompt: Self.prompt(0..<20))
        while policy.sequence(id: 1) != nil { Self.step(&policy, finishAfter: [1: 2]) }
        policy.enqueue(id: 2, prompt: Self.prompt(0..<20))
        let step = Self.step(&policy)
        #expect(policy.sequence(id: 2)?.cachedPromptTokens == 0)
        #expect(step.batch.count == 16)
        #expect(step.batch.positions.first == 0)
        #expect(policy.cachedPrefixes.isEmpty)
    }
}
