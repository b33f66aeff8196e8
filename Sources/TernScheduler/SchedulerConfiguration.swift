public import TernEngine

/// Sizes and limits of a ``Scheduler``.
public struct SchedulerConfiguration: Sendable {
    /// Sequences that run at once, each with its own KV-cache slot.
    public var maxSequences: Int
    /// Tokens of prompt plus completion one sequence may hold.
    public var contextLength: Int
    /// Most tokens in one forward pass: one per decoding sequence, the rest for prompt chunks. Smaller steps keep
    /// running streams flowing while a long prompt is processed; larger ones process prompts a little faster.
    public var maxBatchTokens: Int
    /// Requests that may wait for a free sequence before new ones are refused as overloaded.
    public var maxQueue: Int
    /// Compute threads.
    public var threads: Int
    /// The compute threads to run on, shared with the schedulers of other models; nil for a pool of ``threads`` of
    /// the scheduler's own.
    public var compute: ComputeShare?
    /// Resident bytes the KV cache may occupy; nil means room for every sequence at the full context.
    ///
    /// Must hold at least one sequence of the full context. When running sequences need more, the newest is
    /// preempted and computed again later; idle cached prefixes are evicted first.
    public var kvMemoryBytes: Int?
    /// Whether finished sequences' keys and values are kept and reused by prompts that start the same way.
    public var prefixCache: Bool
    /// Sequences the scheduler holds at most, running and queued: a request that needs more can never be admitted.
    public var capacity: Int { maxSequences + maxQueue }
    /// Page size for memory accounting; tests make it tiny so that memory grows with every token.
    var accountingPageSize: Int?

    /// A configuration.
    public init(
        maxSequences: Int = 4, contextLength: Int, maxBatchTokens: Int = 64, maxQueue: Int = 64, threads: Int, kvMemoryBytes: Int? = nil,
        prefixCache: Bool = true
    ) {
        self.maxSequences = max(1, maxSequences)
        self.contextLength = max(1, contextLength)
        self.maxBatchTokens = max(self.maxSequences, maxBatchTokens)
        self.maxQueue = max(0, maxQueue)
        self.threads = max(1, threads)
        self.kvMemoryBytes = kvMemoryBytes
        self.prefixCache = prefixCache
    }

    /// Resident bytes the KV cache of `config` may occupy: ``kvMemoryBytes``, else room for every sequence at the
    /// full context (the context as long as the model's at most). An encoder keeps no keys and values.
    public func kvMemoryBudget(for config: ModelConfig) -> Int {
        guard config.causal else { return 0 }
        let footprint = KVFootprint(config: config, contextLength: min(contextLength, config.contextLength))
        return kvMemoryBytes ?? maxSequences * footprint.bytes(tokens: footprint.contextLength)
    }

    /// KV-cache slots: the running sequences, and as many again for idle cached prefixes when the cache is on.
    ///
    /// Slots only reserve address space; the memory budget bounds what they occupy.
    var slotCount: Int { prefixCache ? 2 * maxSequences : maxSequences }
}
