import Foundation
public import Logging
public import TernEngine
public import TernGrammar

/// Runs many generation requests at once on one model: continuous batching on a thread of its own.
///
/// Each step asks the ``SchedulerPolicy`` for one batch — the next token of each decoding sequence first, then chunks
/// of waiting prompts up to the token budget, after admitting waiting requests (reusing cached prefixes) and keeping
/// the KV cache within its memory budget — runs one forward pass, samples each sequence and yields its events.
/// Compute never runs on Swift's cooperative pool or on an event loop.
///
/// ```swift
/// let scheduler = Scheduler(model: model, configuration: SchedulerConfiguration(contextLength: 2048, threads: 2))
/// for try await event in try scheduler.submit(request) { … }
/// ```
public final class Scheduler: @unchecked Sendable {
    /// The model being served.
    public let model: LoadedModel
    /// Sizes and limits.
    public let configuration: SchedulerConfiguration
    /// Resident bytes the KV cache may occupy.
    public let kvMemoryBudget: Int
    private let vocabulary: GrammarVocabularyOnce

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var inbox: [ScheduledSequence] = []
    private var cancelled: Set<Int> = []
    private var queued = 0
    private var nextID = 0
    private var stopping = false
    private var thread: Thread?
    private var finished = false
    private var published = SchedulerMetrics()
    private var rejected = 0

    // Owned by the step thread:
    private var policy: SchedulerPolicy
    private var sequences: [Int: ScheduledSequence] = [:]
    private let cache: KVCache
    private let state: ForwardState
    private let compute: ComputeShare
    /// This scheduler's number in ``compute``.
    private let member: Int
    private var batch: ForwardBatch
    private var actions: [SchedulerPolicy.CacheAction] = []
    /// For each logit row of the last batch, the id of the sequence it belongs to.
    private var logitOwners: [Int] = []
    /// The rows of the last batch that embedding sequences asked for.
    private var embeddingRows: [SchedulerPolicy.EmbeddingRows] = []
    private var counters = SchedulerMetrics()
    /// Sequences in the last forward pass.
    private var lastPassSequences = 0
    /// Tokens and seconds of the last forward pass, for the compute share.
    private var lastStep: (tokens: Int, seconds: Double)?
    private let logger: Logger

    /// Prepares a scheduler; call ``start()`` to begin serving.
    ///
    /// - Parameter logger: where preemptions are reported (the KV memory budget is too small for the load).
    /// - Throws: `invalidConfiguration` when the KV memory budget cannot hold one sequence of the full context.
    public init(
        model: LoadedModel, configuration: SchedulerConfiguration, logger: Logger = Logger(label: "tern.scheduler")
    ) throws(SchedulerError) {
        self.model = model
        self.logger = logger
        vocabulary = GrammarVocabularyOnce(model: model)
        var configuration = configuration
        configuration.contextLength = min(configuration.contextLength, model.config.contextLength)
        if !model.config.causal {
            // An encoder computes each text whole in one pass, so a batch must hold the longest; nothing is cached.
            configuration.maxBatchTokens = max(configuration.maxBatchTokens, configuration.contextLength)
            configuration.prefixCache = false
            // Its texts use no KV memory, so a batch may hold as many as fit: a request with many short inputs fills it.
            configuration.maxSequences = max(configuration.maxSequences, Self.encoderSequences)
        }
        self.configuration = configuration
        var footprint = KVFootprint(config: model.config, contextLength: configuration.contextLength)
        if let pageSize = configuration.accountingPageSize { footprint.pageSize = pageSize }
        let fullContext = footprint.bytes(tokens: configuration.contextLength)
        kvMemoryBudget = configuration.kvMemoryBytes ?? configuration.maxSequences * fullContext
        guard kvMemoryBudget >= fullContext else {
            throw SchedulerError(
                .invalidConfiguration,
                "The KV memory budget of \(Self.mebibytes(kvMemoryBudget, rule: .down)) cannot hold one sequence of the full context "
                    + "(\(configuration.contextLength) tokens need \(Self.mebibytes(fullContext, rule: .up)) for this model). "
                    + "Raise the KV memory to at least \(Self.mebibytes(fullContext, rule: .up)) or lower the context length.")
        }
        policy = SchedulerPolicy(
            limits: SchedulerPolicy.Limits(
                maxSequences: configuration.maxSequences, slotCount: configuration.slotCount, maxBatchTokens: configuration.maxBatchTokens,
                memoryBudget: kvMemoryBudget, footprint: footprint, prefixCache: configuration.prefixCache,
                wholePrompts: !model.config.causal))
        cache = KVCache(config: model.config, slotCount: configuration.slotCount, contextLength: configuration.contextLength)
        compute = configuration.compute ?? ComputeShare(threads: configuration.threads)
        member = compute.join(fullStepTokens: configuration.maxBatchTokens)
        state = ForwardState(
            config: model.config, maxTokens: configuration.maxBatchTokens, contextLength: configuration.contextLength, pool: compute.pool)
        batch = ForwardBatch(capacity: configuration.maxBatchTokens)
        counters.kvBytesBudget = kvMemoryBudget
        published = counters
    }

    /// Texts an encoder computes at once, at least.
    static let encoderSequences = 64

    /// `bytes` in MiB for a message, to a tenth below 10 MiB. A size the user must reach is rounded `.up` (passing the
    /// figure shown is enough) and one that falls short `.down`, so that the two never show the same figure.
    static func mebibytes(_ bytes: Int, rule: FloatingPointRoundingRule) -> String {
        let value = Double(bytes) / 1_048_576
        return value < 10 ? "\((value * 10).rounded(rule) / 10) MiB" : "\(Int(value.rounded(rule))) MiB"
    }

    /// The model's vocabulary indexed for grammars (structured output): built when first asked for, on a thread of its
    /// own, and kept.
    public func grammarVocabulary() async -> TokenVocabulary {
        await vocabulary.value()
    }

    /// Starts the step thread.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "tern-scheduler"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops taking requests, lets running and queued ones finish, then stops the thread and returns.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil && !finished { condition.wait() }
        condition.unlock()
        compute.leave(member)
    }

    /// Queues `request` and returns its events; ending the iteration early (or cancelling the task) cancels the sequence.
    public func submit(_ request: GenerationRequest) throws(SchedulerError) -> AsyncThrowingStream<GenerationEvent, any Error> {
        guard model.config.causal else {
            throw SchedulerError(.invalidRequest, "this model is an embedding model (\(model.config.architecture)): it cannot generate text")
        }
        guard !request.prompt.isEmpty else { throw SchedulerError(.invalidRequest, "the prompt is empty") }
        guard request.maxTokens > 0 else { throw SchedulerError(.invalidRequest, "max_tokens must be at least 1") }
        let limit = configuration.contextLength
        guard request.prompt.count + request.maxTokens <= limit else {
            throw SchedulerError(
                .contextLengthExceeded(prompt: request.prompt.count, requested: request.maxTokens, limit: limit),
                "This model's maximum context length is \(limit) tokens. However, you requested "
                    + "\(request.prompt.count + request.maxTokens) tokens (\(request.prompt.count) in the prompt, "
                    + "\(request.maxTokens) in the completion). Please reduce the length of the prompt or the completion.")
        }
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        try enqueue { id in
            continuation.onTermination = { [weak self] termination in
                if case .cancelled = termination { self?.cancel(id) }
            }
            return ScheduledSequence(id: id, request: request, continuation: continuation, vocabularySize: model.config.vocabularySize)
        }
        return stream
    }

    /// Queues `request` and returns its result, one ``Embedding``; ending the iteration early cancels it.
    ///
    /// Embeddings share the batches, the queue and its limit with generation; a decoder computes the prompt as it would
    /// for generation (never reusing a cached prefix, since every token's hidden state is needed), an encoder computes
    /// each text whole in one pass.
    public func submit(_ request: EmbeddingRequest) throws(SchedulerError) -> AsyncThrowingStream<Embedding, any Error> {
        guard !request.tokens.isEmpty else { throw SchedulerError(.invalidRequest, "the input is empty") }
        guard request.tokens.allSatisfy({ $0 >= 0 && Int($0) < model.config.vocabularySize }) else {
            throw SchedulerError(.invalidRequest, "a token id is outside the vocabulary of \(model.config.vocabularySize)")
        }
        let limit = configuration.contextLength
        guard request.tokens.count <= limit else {
            throw SchedulerError(
                .contextLengthExceeded(prompt: request.tokens.count, requested: 0, limit: limit),
                "This model's maximum context length is \(limit) tokens, however you requested \(request.tokens.count) tokens in "
                    + "the input. Please reduce the length of the input.")
        }
        let (stream, continuation) = AsyncThrowingStream<Embedding, any Error>.makeStream()
        let generation = GenerationRequest(prompt: request.tokens, sampling: SamplingParameters(temperature: 0), maxTokens: 0)
        try enqueue { id in
            continuation.onTermination = { [weak self] termination in
                if case .cancelled = termination { self?.cancel(id) }
            }
            let pool = EmbeddingPool(pooling: request.pooling, width: model.config.embeddingLength, continuation: continuation)
            return ScheduledSequence(id: id, request: generation, embedding: pool, vocabularySize: model.config.vocabularySize)
        }
        return stream
    }

    /// Admits a new sequence to the inbox, made by `make` with its id, unless the queue is full or the scheduler stopping.
    private func enqueue(_ make: (Int) -> ScheduledSequence) throws(SchedulerError) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw SchedulerError(.shuttingDown, "the server is shutting down") }
        guard queued < configuration.capacity else {
            rejected += 1
            throw SchedulerError(.overloaded, "The server is overloaded with requests; retry shortly.")
        }
        let id = nextID
        nextID += 1
        queued += 1
        inbox.append(make(id))
        condition.signal()
    }

    /// Requests queued or running right now.
    public var load: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    /// Load, KV memory and counters, as of the last step or the last sequence that ended.
    public var metrics: SchedulerMetrics {
        condition.lock()
        defer { condition.unlock() }
        var metrics = published
        metrics.waiting += inbox.count
        metrics.requestsRejected = rejected
        return metrics
    }

    private func cancel(_ id: Int) {
        condition.lock()
        cancelled.insert(id)
        condition.signal()
        condition.unlock()
    }

    // MARK: - Step thread

    private func loop() {
        var arrived: [ScheduledSequence] = []
        var cancelledNow: Set<Int> = []
        while true {
            // The last step's counters are published under the lock the loop takes anyway.
            measureLoad()
            if policy.isIdle {
                _ = compute.report(member, busy: false, step: lastStep)
                lastStep = nil
            }
            condition.lock()
            published = counters
            while inbox.isEmpty && cancelled.isEmpty && policy.isIdle && !stopping {
                compute.waitsForWork(member)
                condition.wait()
            }
            gatherForEncoder()
            if stopping && inbox.isEmpty && policy.isIdle {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&arrived, &inbox)
            swap(&cancelledNow, &cancelled)
            condition.unlock()

            for sequence in arrived {
                for token in sequence.request.prompt { sequence.sampler.accept(token, isPrompt: true) }
                sequences[sequence.id] = sequence
                policy.enqueue(id: sequence.id, prompt: sequence.request.prompt, embedding: sequence.embedding != nil)
            }
            arrived.removeAll(keepingCapacity: true)
            for id in cancelledNow {
                if let sequence = sequences[id] { finish(sequence, reason: nil) }
            }
            cancelledNow.removeAll(keepingCapacity: true)
            // With the arrivals in: whether this model has work, and how much of it the step may take.
            policy.promptTokenCap = compute.report(member, busy: !policy.isIdle, step: lastStep)
            lastStep = nil
            step()
        }
    }

    /// An encoder finishes every text of a step in that step, and its clients send their next texts out of phase: the
    /// first to arrive would start a pass alone while the others wait for the next. When nothing runs, wait up to
    /// ``gatherWindow`` for as many texts as the last pass had. Called with the lock held.
    private func gatherForEncoder() {
        guard !model.model.config.causal, policy.isIdle, !stopping, !inbox.isEmpty, inbox.count < lastPassSequences else { return }
        let deadline = Date(timeIntervalSinceNow: Self.gatherWindow)
        compute.waitsForWork(member)
        while inbox.count < lastPassSequences && !stopping && condition.wait(until: deadline) {}
    }

    /// The longest an idle encoder waits for more texts before a pass.
    static let gatherWindow: TimeInterval = 0.002

    private func step() {
        policy.schedule(actions: &actions, batch: &batch, owners: &logitOwners, embeddings: &embeddingRows)
        let now = ContinuousClock.now
        for entry in policy.running {
            guard let sequence = sequences[entry.id], sequence.isQueued else { continue }
            sequence.isQueued = false
            counters.queueTime.observe((now - sequence.submitted).seconds)
        }
        if policy.preemptionCount != counters.preemptions {
            let new = policy.preemptionCount - counters.preemptions
            counters.preemptions = policy.preemptionCount
            let message =
                "KV memory full: preempted \(new) running sequence(s), to be computed again when memory frees up; a larger KV memory "
                + "budget or fewer sequences at once avoids the recomputation"
            logger.warning(
                "\(message)",
                metadata: ["preemptions.total": "\(counters.preemptions)", "kv.budget.bytes": "\(kvMemoryBudget)"])
        }
        for action in actions {
            switch action {
            case .copy(let from, let to, let count): cache.copyPrefix(from: from, to: to, count: count)
            case .release(let slot): cache.release(slot: slot)
            case .truncate(let slot, let keeping): cache.release(slot: slot, keeping: keeping)
            }
        }
        guard batch.count > 0 else { return }
        lastPassSequences = policy.running.count
        let seconds: Double
        do {
            // Timed within the turn: the wait for another model's step is not this step's cost.
            seconds = try compute.turn {
                let started = ContinuousClock.now
                _ = try model.model.forward(batch, cache: cache, state: state)
                return (ContinuousClock.now - started).seconds
            }
        } catch {
            for sequence in policy.running.compactMap({ sequences[$0.id] }) { fail(sequence, error) }
            return
        }
        counters.steps += 1
        counters.stepTokens += batch.count
        counters.stepSeconds += seconds
        lastStep = (batch.count, seconds)
        policy.completeStep()
        for (row, id) in logitOwners.enumerated() {
            guard let sequence = sequences[id] else { continue }
            sample(sequence, logits: state.logits(row: row))
        }
        for entry in embeddingRows {
            guard let sequence = sequences[entry.id], let pool = sequence.embedding else { continue }
            let first = batch.positions[entry.rows.lowerBound]
            pool.take(positions: first..<first + entry.rows.count, promptCount: sequence.request.prompt.count) { offset in
                state.hidden(row: entry.rows.lowerBound + offset)
            }
            if entry.completes {
                counters.promptTokens += sequence.request.prompt.count
                finish(sequence, reason: .stop)
            }
        }
    }

    private func sample(_ sequence: ScheduledSequence, logits: UnsafeMutableBufferPointer<Float>) {
        if sequence.generated == 0 {
            counters.promptTokens += sequence.request.prompt.count
            counters.cachedPromptTokens += policy.sequence(id: sequence.id)?.cachedPromptTokens ?? 0
            counters.timeToFirstToken.observe((ContinuousClock.now - sequence.submitted).seconds)
        }
        // The grammar removes what it does not allow before the sampler sees the logits (log-probabilities included).
        sequence.grammar?.constrain(logits)
        let sampled = sequence.sampler.sample(logits: logits, topLogprobs: sequence.request.topLogprobs)
        sequence.sampler.accept(sampled.token, isPrompt: false)
        sequence.grammar?.accept(sampled.token)
        if model.tokenizer.isEndOfGeneration(sampled.token) {
            finish(sequence, reason: .stop)
            return
        }
        if sequence.generated == 0 {
            sequence.continuation?.yield(.started(cachedPromptTokens: policy.sequence(id: sequence.id)?.cachedPromptTokens ?? 0))
        }
        let now = ContinuousClock.now
        if let last = sequence.lastTokenAt { counters.interTokenLatency.observe((now - last).seconds) }
        sequence.lastTokenAt = now
        sequence.generated += 1
        counters.generatedTokens += 1
        policy.append(id: sequence.id, token: sampled.token)
        sequence.continuation?.yield(.token(sampled))
        // The next step would store the new token; the one after it would have no position left.
        if sequence.generated >= sequence.request.maxTokens || sequence.request.prompt.count + sequence.generated >= configuration.contextLength {
            finish(sequence, reason: .length)
        }
    }

    /// Ends `sequence`: with a summary when `reason` is given, silently when it was cancelled.
    private func finish(_ sequence: ScheduledSequence, reason: FinishReason?) {
        if reason == nil {
            counters.requestsCancelled += 1
        } else {
            counters.requestsFinished += 1
            counters.endToEndLatency.observe((ContinuousClock.now - sequence.submitted).seconds)
        }
        let summary = reason.map { reason in
            GenerationSummary(
                finishReason: reason, promptTokens: sequence.request.prompt.count,
                cachedPromptTokens: policy.sequence(id: sequence.id)?.cachedPromptTokens ?? 0, completionTokens: sequence.generated)
        }
        // Released (and the metrics published) before the client can see the end.
        release(sequence)
        if let pool = sequence.embedding {
            if reason != nil {
                pool.continuation.yield(
                    Embedding(vector: pool.result(count: sequence.request.prompt.count), promptTokens: sequence.request.prompt.count))
            }
            pool.continuation.finish()
            return
        }
        if let summary { sequence.continuation?.yield(.finished(summary)) }
        sequence.continuation?.finish()
    }

    private func fail(_ sequence: ScheduledSequence, _ error: any Error) {
        counters.requestsFailed += 1
        release(sequence)
        sequence.continuation?.finish(throwing: error)
        sequence.embedding?.continuation.finish(throwing: error)
    }

    /// Sets the gauges of ``counters`` from the policy.
    private func measureLoad() {
        counters.running = policy.running.count
        counters.waiting = policy.waiting.count
        counters.kvBytesInUse = policy.memoryInUse
    }

    /// Frees the sequence (its slot keeps the keys and values for the prefix cache) before its stream ends, so that
    /// a client that has seen the end finds its place free and the metrics counting it.
    private func release(_ sequence: ScheduledSequence) {
        policy.remove(id: sequence.id)
        sequences[sequence.id] = nil
        measureLoad()
        condition.lock()
        published = counters
        queued -= 1
        condition.unlock()
    }
}

/// A request's client-side state on the step thread; its tokens and cache position live in the ``SchedulerPolicy``.
final class ScheduledSequence {
    let id: Int
    let request: GenerationRequest
    /// Where a generation's events go; nil for an embedding.
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation?
    /// The pooled hidden states of an embedding, nil for a generation.
    let embedding: EmbeddingPool?
    let sampler: Sampler
    /// Where the generated text stands in the request's grammar, when it has one.
    var grammar: TokenMatcher?
    /// Tokens generated so far.
    var generated = 0
    /// When it was submitted, for the time to its first token.
    let submitted = ContinuousClock.now
    /// Whether it has yet to enter the batch for the first time.
    var isQueued = true
    /// When its last token was generated, for the time between tokens.
    var lastTokenAt: ContinuousClock.Instant?

    init(
        id: Int, request: GenerationRequest, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation? = nil,
        embedding: EmbeddingPool? = nil, vocabularySize: Int
    ) {
        self.id = id
        self.request = request
        self.continuation = continuation
        self.embedding = embedding
        sampler = Sampler(parameters: request.sampling, vocabularySize: vocabularySize)
        grammar = request.grammar.map(TokenMatcher.init)
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
