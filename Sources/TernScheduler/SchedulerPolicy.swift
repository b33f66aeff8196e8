public import TernEngine

/// The scheduler's decisions, without threads, clocks or a model: which sequences run in which KV-cache slot, which
/// tokens go into the next forward pass, what the prefix cache reuses and what is evicted or preempted.
///
/// The ``Scheduler`` thread drives it: ``enqueue(id:prompt:embedding:)`` and ``remove(id:)`` as requests come and go,
/// then per step ``schedule(actions:batch:owners:embeddings:)`` (apply the cache actions, run the batch), ``completeStep()``, and
/// ``append(id:token:)`` for every sampled token. Tests drive it the same way with made-up tokens.
///
/// - Slots: a slot is empty, running one sequence, or idle — keeping the keys and values of a finished sequence so
///   that a later prompt with the same beginning (a system prompt, the next turn of a conversation) starts from them.
/// - Admission, oldest first: a sequence takes the idle slot sharing the longest prefix with it, or copies that prefix
///   from a running slot into a free one; at least its last token is always computed so that logits exist.
/// - Memory: every slot's resident bytes (``KVFootprint``) count against ``Limits/memoryBudget``. Least recently used
///   idle slots are evicted first; when running sequences outgrow the budget, the newest is preempted — its keys and
///   values dropped, its prompt and generated tokens queued to be computed again, invisibly to its client.
/// - Batch: one token of every decoding sequence first, then prompt chunks, oldest first, up to
///   ``Limits/maxBatchTokens``.
public struct SchedulerPolicy: Sendable {
    /// Sizes and switches.
    public struct Limits: Sendable {
        /// Sequences running at once.
        public var maxSequences: Int
        /// KV-cache slots: running sequences plus idle cached ones.
        public var slotCount: Int
        /// Tokens in one forward pass.
        public var maxBatchTokens: Int
        /// Resident bytes all slots together may occupy.
        public var memoryBudget: Int
        /// Bytes of a slot by token count.
        public var footprint: KVFootprint
        /// Whether finished sequences' keys and values are kept for reuse.
        public var prefixCache: Bool
        /// Whether a prompt must go into one batch whole (an encoder attends to all of it at once); prompts then never
        /// exceed ``maxBatchTokens``.
        public var wholePrompts: Bool

        /// Limits; `slotCount` is raised to `maxSequences` at least.
        public init(
            maxSequences: Int, slotCount: Int, maxBatchTokens: Int, memoryBudget: Int, footprint: KVFootprint, prefixCache: Bool,
            wholePrompts: Bool = false
        ) {
            self.maxSequences = max(1, maxSequences)
            self.slotCount = max(self.maxSequences, slotCount)
            self.maxBatchTokens = max(1, maxBatchTokens)
            self.memoryBudget = memoryBudget
            self.footprint = footprint
            self.prefixCache = prefixCache
            self.wholePrompts = wholePrompts
        }
    }

    /// Something to do to the KV cache before the batch runs.
    public enum CacheAction: Sendable, Equatable {
        /// Copy the first `count` positions of slot `from` into slot `to`.
        case copy(from: Int, to: Int, count: Int)
        /// Hand the pages of `slot` back to the system.
        case release(slot: Int)
        /// Hand back the pages of `slot` past its first `keeping` positions: what an earlier, longer sequence left there.
        case truncate(slot: Int, keeping: Int)
    }

    /// A request's progress.
    public struct Sequence: Sendable, Equatable {
        /// The caller's id; larger ids arrived later.
        public let id: Int
        /// Prompt, then every generated token.
        public internal(set) var tokens: [Int32]
        /// Tokens of the prompt.
        public let promptCount: Int
        /// Whether the hidden state of every prompt token is wanted (an embedding) rather than a continuation: nothing
        /// is reused from the cache for it, and it ends with its prompt.
        public let embedding: Bool
        /// Leading tokens whose keys and values are in the slot.
        public internal(set) var processed = 0
        /// The slot while running, else -1.
        public internal(set) var slot = -1
        /// Prompt tokens taken from the cache at first admission.
        public internal(set) var cachedPromptTokens = 0
        /// How often it was preempted.
        public internal(set) var preemptions = 0
        /// Tokens placed in the batch being built.
        var fed = 0
        var admittedOnce = false
    }

    struct Slot: Sendable {
        /// While idle: the tokens whose keys and values it holds.
        var tokens: [Int32] = []
        /// Whether a running sequence owns it.
        var running = false
        /// Positions that may have backed pages.
        var highWater = 0
        /// Step of last use, for least-recently-used eviction.
        var lastUse = 0
    }

    /// The limits.
    public let limits: Limits
    /// Sequences waiting for a slot, in admission order (preempted ones first).
    public private(set) var waiting: [Sequence] = []
    /// Running sequences, oldest first.
    public private(set) var running: [Sequence] = []
    var slots: [Slot]
    /// Preemptions so far.
    public private(set) var preemptionCount = 0
    /// The most prompt tokens the next steps may carry, below ``Limits/maxBatchTokens``; nil for no cap. Set while
    /// another model's scheduler shares the compute threads, so that a step of this model takes no longer than one of
    /// the quickest model's (decode tokens are never held back).
    public var promptTokenCap: Int?
    private var clock = 0
    private var pending: [CacheAction] = []

    /// A policy with every slot empty.
    public init(limits: Limits) {
        self.limits = limits
        slots = Array(repeating: Slot(), count: limits.slotCount)
    }

    /// Whether nothing is waiting or running.
    public var isIdle: Bool { waiting.isEmpty && running.isEmpty }

    /// The sequence `id`, waiting or running.
    public func sequence(id: Int) -> Sequence? {
        running.first { $0.id == id } ?? waiting.first { $0.id == id }
    }

    /// Tokens held by idle slots, for inspection.
    public var cachedPrefixes: [[Int32]] { slots.filter { !$0.running && !$0.tokens.isEmpty }.map(\.tokens) }

    /// Resident bytes the slots occupy now.
    public var memoryInUse: Int { usage() }

    /// Queues a new sequence; `embedding`: one that wants the hidden states of its prompt, not a continuation.
    public mutating func enqueue(id: Int, prompt: [Int32], embedding: Bool = false) {
        precondition(!prompt.isEmpty && (!limits.wholePrompts || prompt.count <= limits.maxBatchTokens))
        waiting.append(Sequence(id: id, tokens: prompt, promptCount: prompt.count, embedding: embedding))
    }

    /// Records the token sampled for `id` after the last step.
    public mutating func append(id: Int, token: Int32) {
        guard let index = running.firstIndex(where: { $0.id == id }) else { preconditionFailure("sequence \(id) is not running") }
        running[index].tokens.append(token)
    }

    /// Ends `id` (finished or cancelled): a waiting one is dropped; a running one's slot turns idle, keeping its keys and
    /// values for the prefix cache.
    public mutating func remove(id: Int) {
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: index)
            return
        }
        guard let index = running.firstIndex(where: { $0.id == id }) else { return }
        let sequence = running.remove(at: index)
        slots[sequence.slot].running = false
        slots[sequence.slot].lastUse = clock
        // Only prompt tokens are offered for reuse: a later prompt computes its tokens as a prompt, and the engine sums
        // a decode step's attention in another order, so reused generated tokens would not match a fresh computation.
        let reusable = min(sequence.processed, sequence.promptCount)
        // An embedding's text is rarely the start of a chat prompt: it must not push those out of the cache.
        slots[sequence.slot].tokens = limits.prefixCache && !sequence.embedding ? Array(sequence.tokens[0..<reusable]) : []
    }

    /// Admits what fits, keeps memory within the budget and fills `batch` with the next step's tokens.
    ///
    /// - Parameters:
    ///   - actions: receives the cache work to do before the batch runs, in order.
    ///   - batch: receives the tokens (cleared first).
    ///   - owners: receives, for each logit row of the batch, the id of the sequence it belongs to.
    public mutating func schedule(actions: inout [CacheAction], batch: inout ForwardBatch, owners: inout [Int]) {
        var embeddings: [EmbeddingRows] = []
        schedule(actions: &actions, batch: &batch, owners: &owners, embeddings: &embeddings)
    }

    /// The batch rows of one embedding sequence in a step, and whether they end its prompt.
    public struct EmbeddingRows: Sendable, Equatable {
        /// The sequence.
        public var id: Int
        /// Its rows in the batch, consecutive.
        public var rows: Range<Int>
        /// Whether the sequence's prompt ends with these rows.
        public var completes: Bool
    }

    /// ``schedule(actions:batch:owners:)``, also listing in `embeddings` the rows of every embedding sequence.
    public mutating func schedule(
        actions: inout [CacheAction], batch: inout ForwardBatch, owners: inout [Int], embeddings: inout [EmbeddingRows]
    ) {
        embeddings.removeAll(keepingCapacity: true)
        clock += 1
        actions.removeAll(keepingCapacity: true)
        actions.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
        batch.removeAll()
        owners.removeAll(keepingCapacity: true)
        admit(&actions)
        planChunks()
        fitMemory(&actions)
        for sequence in running where sequence.fed > 0 {
            let end = sequence.processed + sequence.fed
            let first = batch.count
            for position in sequence.processed..<end {
                let last = position == sequence.tokens.count - 1
                // Generated tokens are always computed as one-token decode steps, also when a preempted sequence is
                // recomputed, so that their keys and values come out bit for bit the same.
                batch.append(
                    token: sequence.tokens[position], position: position, slot: sequence.slot, wantsLogits: last && !sequence.embedding,
                    wantsHidden: sequence.embedding, decoding: position >= sequence.promptCount)
            }
            if sequence.embedding {
                embeddings.append(EmbeddingRows(id: sequence.id, rows: first..<batch.count, completes: end == sequence.tokens.count))
            } else if end == sequence.tokens.count {
                owners.append(sequence.id)
            }
        }
    }

    /// Marks every token of the last batch as cached.
    public mutating func completeStep() {
        for index in running.indices where running[index].fed > 0 {
            running[index].processed += running[index].fed
            running[index].fed = 0
            let slot = running[index].slot
            slots[slot].highWater = max(slots[slot].highWater, running[index].processed)
            slots[slot].lastUse = clock
        }
    }

    // MARK: - Admission

    private mutating func admit(_ actions: inout [CacheAction]) {
        var index = 0
        while running.count < limits.maxSequences, index < waiting.count {
            if waitsForSharedPrefix(waiting[index]) {
                index += 1
                continue
            }
            guard admit(waiting[index], &actions) else { return }  // no memory: keep the order, wait
            waiting.remove(at: index)
        }
    }

    /// Whether a running sequence is still computing a long prefix that `sequence` shares: wait and copy it afterwards.
    private func waitsForSharedPrefix(_ sequence: Sequence) -> Bool {
        guard limits.prefixCache, !sequence.embedding else { return false }
        return running.contains { other in
            other.processed + 32 < min(commonPrefix(other.tokens, sequence.tokens), sequence.tokens.count - 1)
        }
    }

    /// Places `sequence` in a slot if memory allows; returns false when it must wait.
    private mutating func admit(_ candidate: Sequence, _ actions: inout [CacheAction]) -> Bool {
        var sequence = candidate
        let (source, sourceRunning, reuse) = sequence.embedding ? (nil, false, 0) : bestPrefix(for: sequence.tokens)
        let target: Int
        if let source, !sourceRunning {
            target = source
        } else if let free = slots.indices.first(where: { !slots[$0].running && slots[$0].tokens.isEmpty }) {
            // An empty slot, or one whose pages hold nothing worth keeping.
            target = free
        } else if let idle = leastRecentlyUsedIdle(excluding: nil) {
            target = idle
        } else {
            return false
        }
        // Memory for the whole known sequence plus its next token, with every running sequence one token further: a
        // sequence admitted into the last free bytes would only be preempted again at once. Pages past that, left by a
        // longer sequence before, are handed back rather than counted: a slot that once held a long sequence would
        // otherwise charge its old size to every short one that follows, and keep the others out.
        let keep = sequence.tokens.count + 1
        let stale = slots[target].highWater
        let needed = limits.footprint.bytes(tokens: keep)
        var others = usage(committed: true) - limits.footprint.bytes(tokens: stale)
        while others + needed > limits.memoryBudget {
            guard let victim = leastRecentlyUsedIdle(excluding: target) else { return false }
            others -= limits.footprint.bytes(tokens: slots[victim].highWater)
            evict(victim, &actions)
        }
        if limits.footprint.bytes(tokens: stale) > needed {
            actions.append(.truncate(slot: target, keeping: keep))
        }
        if let source, sourceRunning, reuse > 0 {
            actions.append(.copy(from: source, to: target, count: reuse))
        }
        sequence.processed = reuse
        sequence.slot = target
        if !sequence.admittedOnce {
            sequence.cachedPromptTokens = min(reuse, sequence.promptCount)
            sequence.admittedOnce = true
        }
        slots[target].running = true
        slots[target].tokens = []
        slots[target].highWater = max(min(stale, keep), reuse)
        slots[target].lastUse = clock
        let position = running.firstIndex { $0.id > sequence.id } ?? running.endIndex
        running.insert(sequence, at: position)
        return true
    }

    /// The slot sharing the longest prefix with `tokens` (idle preferred on ties), whether it is running, and how
    /// many positions can be reused — never the last token, whose logits are needed.
    private func bestPrefix(for tokens: [Int32]) -> (slot: Int?, running: Bool, reuse: Int) {
        guard limits.prefixCache else { return (nil, false, 0) }
        var best: (slot: Int?, running: Bool, reuse: Int) = (nil, false, 0)
        for (index, slot) in slots.enumerated() where !slot.running && !slot.tokens.isEmpty {
            let reuse = min(commonPrefix(slot.tokens, tokens), tokens.count - 1)
            if reuse > best.reuse { best = (index, false, reuse) }
        }
        for other in running {
            let reuse = min(commonPrefix(other.tokens, tokens), other.processed, other.promptCount, tokens.count - 1)
            if reuse > best.reuse { best = (other.slot, true, reuse) }
        }
        return best
    }

    private func commonPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        let count = min(a.count, b.count)
        var index = 0
        while index < count && a[index] == b[index] { index += 1 }
        return index
    }

    private func leastRecentlyUsedIdle(excluding excluded: Int?) -> Int? {
        var best: Int?
        for (index, slot) in slots.enumerated() where !slot.running && index != excluded && (slot.highWater > 0 || !slot.tokens.isEmpty) {
            if best == nil || slot.lastUse < slots[best!].lastUse { best = index }
        }
        return best
    }

    private mutating func evict(_ slot: Int, _ actions: inout [CacheAction]) {
        slots[slot] = Slot()
        actions.append(.release(slot: slot))
    }

    // MARK: - Batch and memory

    /// Decide how many tokens each running sequence feeds: one per decoding sequence, then prompt chunks.
    private mutating func planChunks() {
        var budget = limits.maxBatchTokens
        for index in running.indices {
            running[index].fed = 0
            if running[index].tokens.count - running[index].processed == 1, budget > 0 {
                running[index].fed = 1
                budget -= 1
            }
        }
        if let cap = promptTokenCap, !limits.wholePrompts { budget = min(budget, max(1, cap)) }
        for index in running.indices where running[index].fed == 0 && budget > 0 {
            let remaining = running[index].tokens.count - running[index].processed
            // A whole prompt or nothing, when prompts cannot be cut; a later, shorter one may still fit.
            if limits.wholePrompts && remaining > budget { continue }
            running[index].fed = min(remaining, budget)
            budget -= running[index].fed
        }
    }

    /// Evicts idle slots, then preempts the newest running sequences, until the step fits the memory budget.
    private mutating func fitMemory(_ actions: inout [CacheAction]) {
        while usage() > limits.memoryBudget {
            if let idle = leastRecentlyUsedIdle(excluding: nil) {
                evict(idle, &actions)
            } else if running.count > 1 {
                var victim = running.removeLast()
                evict(victim.slot, &actions)
                victim.processed = 0
                victim.fed = 0
                victim.slot = -1
                victim.preemptions += 1
                preemptionCount += 1
                waiting.insert(victim, at: 0)
                planChunks()
            } else {
                // One sequence always fits: the budget holds a full context (checked by the scheduler).
                return
            }
        }
    }

    /// Resident bytes of every slot, counting running ones at their size after the batch being built, or with
    /// `committed`, at every token they know plus the next.
    private func usage(committed: Bool = false) -> Int {
        var total = 0
        for slot in slots where !slot.running { total += limits.footprint.bytes(tokens: slot.highWater) }
        for sequence in running {
            let length = committed ? sequence.tokens.count + 1 : sequence.processed + sequence.fed
            total += limits.footprint.bytes(tokens: max(slots[sequence.slot].highWater, length))
        }
        return total
    }
}
