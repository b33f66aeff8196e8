/// Sizes and limits of a ``Scheduler``.
public struct SchedulerConfiguration: Sendable {
    /// Sequences that run at once, each with its own KV-cache slot.
    public var maxSequences: Int
    /// Tokens of prompt plus completion one sequence may hold.
    public var contextLength: Int
    /// Most tokens in one forward pass: one per decoding sequence, the rest for prompt chunks.
    public var maxBatchTokens: Int
    /// Requests that may wait for a free sequence before new ones are refused as overloaded.
    public var maxQueue: Int
    /// Compute threads.
    public var threads: Int

    /// A configuration; `contextLength` nil means the model's own.
    public init(maxSequences: Int = 4, contextLength: Int, maxBatchTokens: Int = 256, maxQueue: Int = 64, threads: Int) {
        self.maxSequences = max(1, maxSequences)
        self.contextLength = max(1, contextLength)
        self.maxBatchTokens = max(self.maxSequences, maxBatchTokens)
        self.maxQueue = max(0, maxQueue)
        self.threads = max(1, threads)
    }
}
