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
    /// Seconds between two generated tokens of one sequence.
    public var interTokenLatency = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5])
    /// Seconds from submission to the end, of requests that ended with a summary (not cancelled or failed).
    public var endToEndLatency = Histogram(bounds: [0.3, 0.5, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 60, 120, 300])
    /// Seconds from submission until a request first entered the batch.
    public var queueTime = Histogram(bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])

    /// Nothing done yet and no budget.
    public init() {}

    /// Counts of observed values at or below each bound, as Prometheus histograms are exported.
    ///
    /// The counts live inline, so that observing on the step thread after the metrics were published (a copy) never
    /// allocates.
    public struct Histogram: Sendable, Equatable {
        /// The most buckets a histogram has, the one above every bound included.
        public static let maxBuckets = 16
        /// Upper bounds of the buckets, ascending; one more bucket holds larger values.
        public let bounds: [Double]
        private var storage = InlineArray<16, Int>(repeating: 0)
        /// The sum of the observed values.
        public private(set) var sum = 0.0

        /// An empty histogram with these bucket bounds (at most ``maxBuckets`` − 1).
        public init(bounds: [Double]) {
            precondition(bounds.count < Self.maxBuckets, "a histogram has at most \(Self.maxBuckets - 1) bounds")
            self.bounds = bounds
        }

        /// Observations in each bucket (not cumulative); the last one is above every bound.
        public var counts: [Int] { (0...bounds.count).map { storage[$0] } }
        /// Observations made.
        public var count: Int { counts.reduce(0, +) }

        /// Records `value`.
        public mutating func observe(_ value: Double) {
            var bucket = bounds.count
            for (index, bound) in bounds.enumerated() where value <= bound {
                bucket = index
                break
            }
            storage[bucket] += 1
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

        public static func == (lhs: Histogram, rhs: Histogram) -> Bool {
            lhs.bounds == rhs.bounds && lhs.counts == rhs.counts && lhs.sum == rhs.sum
        }
    }
}
