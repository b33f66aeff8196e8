import Foundation
public import TernEngine

/// Runs many generation requests at once on one model: continuous batching on a thread of its own.
///
/// Each step builds one batch from every running sequence — the next token of each decoding sequence first, then
/// chunks of waiting prompts up to the token budget — runs one forward pass, samples each sequence and yields its
/// events. Compute never runs on Swift's cooperative pool or on an event loop.
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

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var inbox: [ScheduledSequence] = []
    private var cancelled: Set<Int> = []
    private var queued = 0
    private var nextID = 0
    private var stopping = false
    private var thread: Thread?
    private var finished = false

    // Owned by the step thread:
    private var waiting: [ScheduledSequence] = []
    private var running: [ScheduledSequence] = []
    private var freeSlots: [Int]
    private let cache: KVCache
    private let state: ForwardState
    private var batch: ForwardBatch
    /// For each logit row of the last batch, the sequence it belongs to.
    private var logitOwners: [ScheduledSequence] = []

    /// Prepares a scheduler; call ``start()`` to begin serving.
    public init(model: LoadedModel, configuration: SchedulerConfiguration) {
        self.model = model
        var configuration = configuration
        configuration.contextLength = min(configuration.contextLength, model.config.contextLength)
        self.configuration = configuration
        freeSlots = Array((0..<configuration.maxSequences).reversed())
        cache = KVCache(config: model.config, slotCount: configuration.maxSequences, contextLength: configuration.contextLength)
        state = ForwardState(
            config: model.config, maxTokens: configuration.maxBatchTokens, contextLength: configuration.contextLength,
            threads: configuration.threads)
        batch = ForwardBatch(capacity: configuration.maxBatchTokens)
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
    }

    /// Queues `request` and returns its events; ending the iteration early (or cancelling the task) cancels the sequence.
    public func submit(_ request: GenerationRequest) throws(SchedulerError) -> AsyncThrowingStream<GenerationEvent, any Error> {
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
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw SchedulerError(.shuttingDown, "the server is shutting down") }
        guard queued < configuration.maxQueue + configuration.maxSequences else {
            throw SchedulerError(.overloaded, "The server is overloaded with requests; retry shortly.")
        }
        let id = nextID
        nextID += 1
        queued += 1
        inbox.append(ScheduledSequence(id: id, request: request, continuation: continuation, vocabularySize: model.config.vocabularySize))
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        condition.signal()
        return stream
    }

    /// Requests queued or running right now.
    public var load: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    private func cancel(_ id: Int) {
        condition.lock()
        cancelled.insert(id)
        condition.signal()
        condition.unlock()
    }

    // MARK: - Step thread

    private func loop() {
        while true {
            condition.lock()
            while inbox.isEmpty && cancelled.isEmpty && running.isEmpty && waiting.isEmpty && !stopping { condition.wait() }
            if stopping && inbox.isEmpty && running.isEmpty && waiting.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            waiting.append(contentsOf: inbox)
            inbox.removeAll(keepingCapacity: true)
            let cancelledNow = cancelled
            cancelled.removeAll(keepingCapacity: true)
            condition.unlock()

            if !cancelledNow.isEmpty {
                for sequence in running + waiting where cancelledNow.contains(sequence.id) { finish(sequence, reason: nil) }
            }
            admit()
            guard !running.isEmpty else { continue }
            step()
        }
    }

    private func admit() {
        while !freeSlots.isEmpty, !waiting.isEmpty {
            let sequence = waiting.removeFirst()
            sequence.slot = freeSlots.removeLast()
            for token in sequence.request.prompt { sequence.sampler.accept(token, isPrompt: true) }
            running.append(sequence)
        }
    }

    private func step() {
        batch.removeAll()
        logitOwners.removeAll(keepingCapacity: true)
        var budget = configuration.maxBatchTokens
        // Decoding sequences first, one token each, so that running streams never wait for a long prompt.
        for sequence in running {
            guard let token = sequence.pendingToken else { continue }
            batch.append(token: token, position: sequence.processed, slot: sequence.slot, wantsLogits: true, decoding: true)
            logitOwners.append(sequence)
            budget -= 1
        }
        // Then prompt chunks, oldest first, in what is left of the budget.
        for sequence in running where sequence.pendingToken == nil && budget > 0 {
            let prompt = sequence.request.prompt
            let end = min(prompt.count, sequence.processed + budget)
            for index in sequence.processed..<end {
                let last = index == prompt.count - 1
                batch.append(token: prompt[index], position: index, slot: sequence.slot, wantsLogits: last)
                if last { logitOwners.append(sequence) }
            }
            sequence.chunk = end - sequence.processed
            budget -= sequence.chunk
        }
        do {
            _ = try model.model.forward(batch, cache: cache, state: state)
        } catch {
            for sequence in running { fail(sequence, error) }
            return
        }
        // Advance positions: every token of the batch is now in the cache.
        for sequence in running {
            sequence.processed += sequence.pendingToken != nil ? 1 : sequence.chunk
            sequence.chunk = 0
        }
        for (row, sequence) in logitOwners.enumerated() {
            sample(sequence, logits: state.logits(row: row))
        }
    }

    private func sample(_ sequence: ScheduledSequence, logits: UnsafeMutableBufferPointer<Float>) {
        let sampled = sequence.sampler.sample(logits: logits, topLogprobs: sequence.request.topLogprobs)
        sequence.sampler.accept(sampled.token, isPrompt: false)
        if model.tokenizer.isEndOfGeneration(sampled.token) {
            finish(sequence, reason: .stop)
            return
        }
        sequence.generated += 1
        sequence.pendingToken = sampled.token
        sequence.continuation.yield(.token(sampled))
        if sequence.generated >= sequence.request.maxTokens || sequence.processed + 1 >= configuration.contextLength {
            finish(sequence, reason: .length)
        }
    }

    /// Ends `sequence`: with a summary when `reason` is given, silently when it was cancelled.
    private func finish(_ sequence: ScheduledSequence, reason: FinishReason?) {
        if let reason {
            sequence.continuation.yield(
                .finished(
                    GenerationSummary(
                        finishReason: reason, promptTokens: sequence.request.prompt.count, cachedPromptTokens: 0,
                        completionTokens: sequence.generated)))
        }
        sequence.continuation.finish()
        release(sequence)
    }

    private func fail(_ sequence: ScheduledSequence, _ error: any Error) {
        sequence.continuation.finish(throwing: error)
        release(sequence)
    }

    private func release(_ sequence: ScheduledSequence) {
        if let index = running.firstIndex(where: { $0 === sequence }) {
            running.remove(at: index)
            freeSlots.append(sequence.slot)
        } else if let index = waiting.firstIndex(where: { $0 === sequence }) {
            waiting.remove(at: index)
        }
        condition.lock()
        queued -= 1
        condition.unlock()
    }
}

/// A request's state on the step thread.
final class ScheduledSequence {
    let id: Int
    let request: GenerationRequest
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    let sampler: Sampler
    /// KV-cache slot while running.
    var slot = -1
    /// Tokens whose keys and values are in the cache.
    var processed = 0
    /// Tokens generated so far.
    var generated = 0
    /// The last sampled token, to be fed in the next step; nil while the prompt is being processed.
    var pendingToken: Int32?
    /// Prompt tokens placed in the batch being run.
    var chunk = 0

    init(id: Int, request: GenerationRequest, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation, vocabularySize: Int) {
        self.id = id
        self.request = request
        self.continuation = continuation
        sampler = Sampler(parameters: request.sampling, vocabularySize: vocabularySize)
    }
}
