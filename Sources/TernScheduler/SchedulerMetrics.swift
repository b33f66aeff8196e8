/// What a ``Scheduler`` has done and holds, at one moment: gauges of its load and counters since it started.
///
/// Counters only grow; a monitoring system derives rates from them (tokens per second, preemptions per minute).
public struct SchedulerMetrics: Sendable, Equatable {
    /// Sequences in the batch: decoding, or processing their prompt.
    public var running = 0
    /// Requests accepted and waiting for a place in the batch, including preempted ones.
    public var waiting = 0
    /// Resident bytes of keys and values: running sequences and cached prefixes.
    public var kvBytesInUse = 0
    /// The most resident bytes the KV cache may occupy.
    public var kvBytesBudget = 0

    /// Requests that ended with an end-of-generation token (`stop`) or at their token limit (`length`).
    public var requestsFinished = 0
    /// Requests whose client went away before they ended.
    public var requestsCancelled = 0
    /// Requests ended by an error of the engine.
    public var requestsFailed = 0
    /// Requests refused because the queue was full.
    public var requestsRejected = 0
    /// Prompt tokens of requests whose prompt has been processed.
    public var promptTokens = 0
    /// Of ``promptTokens``, those reused from the prefix cache instead of computed.
    public var cachedPromptTokens = 0
    /// Tokens generated, including those of requests cancelled later.
    public var generatedTokens = 0
    /// Sequences whose keys and values were dropped to stay within the KV budget, to be computed again.
    public var preemptions = 0
    /// Forward passes run.
    public var steps = 0
    /// Tokens fed to those passes: prompt tokens computed plus one per decoding sequence per step.
    public var stepTokens = 0
    /// Seconds spent in forward passes; its rate is the share of time the engine is busy.
    public var stepSeconds = 0.0
    /// Seconds from submission to the first generated token (queueing and prompt processing).
    public var timeToFirstToken = Histogram(bounds: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])

    /// Nothing done yet and no budget.
    public init() {}

    /// Counts of observed values at or below each bound, as Prometheus histograms are exported.
    public struct Histogram: Sendable, Equatable {
        /// Upper bounds of the buckets, ascending; one more bucket holds larger values.
        public let bounds: [Double]
        /// Observations in each bucket (not cumulative); the last one is above every bound.
        public private(set) var counts: [Int]
        /// The sum of the observed values.
        public private(set) var sum = 0.0
        /// Observations made.
        public var count: Int { counts.reduce(0, +) }

        /// An empty histogram with these bucket bounds.
        public init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count + 1)
        }

        /// Records `value`.
        public mutating func observe(_ value: Double) {
            counts[bounds.firstIndex { value <= $0 } ?? bounds.count] += 1
            sum += value
        }

        /// Observations at or below each bound, then the total (the `+Inf` bucket).
        public var cumulativeCounts: [Int] {
            var total = 0
            return counts.map {
                total += $0
                return total
            }
        }
    }
}
