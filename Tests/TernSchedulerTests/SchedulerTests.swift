import Foundation
import TernEngine
import TernGrammar
import TernJSON
import TernScheduler
import Testing

/// The scheduler on the real default model: batching must not change what a sequence generates.
@Suite(.serialized)
struct SchedulerTests {
    static let model: Result<LoadedModel, any Error> = Result {
        guard let path = ProcessInfo.processInfo.environment["TERN_TEST_MODEL"], !path.isEmpty else {
            throw SchedulerTestError("TERN_TEST_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh sets it)")
        }
        return try LoadedModel(path: path)
    }

    static let prompts = [
        "The capital of France is",
        "List three colors:\n1.",
        "def fibonacci(n):",
        "Once upon a time, in a small village,",
        "Q: What is 2+2?\nA:",
    ]

    func collect(
        _ scheduler: Scheduler, _ prompt: String, model: LoadedModel, maxTokens: Int = 24, grammar: TokenGrammar? = nil
    ) async throws -> ([Int32], GenerationSummary?) {
        let request = GenerationRequest(
            prompt: model.tokenizer.encode(prompt, parseSpecial: false), sampling: .greedy, maxTokens: maxTokens, grammar: grammar)
        var tokens: [Int32] = []
        var summary: GenerationSummary?
        for try await event in try scheduler.submit(request) {
            switch event {
            case .token(let sampled): tokens.append(sampled.token)
            case .finished(let done): summary = done
            case .started: break
            }
        }
        return (tokens, summary)
    }

    @Test func concurrentGreedyEqualsAlone() async throws {
        let model = try Self.model.get()
        // Small batches force prompts to be split into chunks and mixed with decode steps.
        let scheduler = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 3, contextLength: 256, maxBatchTokens: 8, maxQueue: 16, threads: 2))
        scheduler.start()
        defer { scheduler.shutdown() }
        var alone: [[Int32]] = []
        for prompt in Self.prompts {
            let (tokens, summary) = try await collect(scheduler, prompt, model: model)
            #expect(summary != nil)
            #expect(summary?.completionTokens == tokens.count)
            alone.append(tokens)
        }
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, prompt) in Self.prompts.enumerated() {
                group.addTask { (index, try await collect(scheduler, prompt, model: model).0) }
            }
            var results = [[Int32]](repeating: [], count: Self.prompts.count)
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
        #expect(together == alone)
        #expect(alone.allSatisfy { !$0.isEmpty })
    }

    @Test func constrainedSequencesInABatchEqualAlone() async throws {
        let model = try Self.model.get()
        let scheduler = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 3, contextLength: 256, maxBatchTokens: 8, maxQueue: 16, threads: 2))
        scheduler.start()
        defer { scheduler.shutdown() }
        let schema = try JSONValue.parse(
            Array(#"{"type":"object","properties":{"answer":{"type":"string","maxLength":8},"n":{"type":"integer"}},"required":["answer","n"]}"#.utf8)
        )
        let grammar = TokenGrammar(grammar: try JSONSchemaCompiler.grammar(for: schema), vocabulary: await scheduler.grammarVocabulary())
        // Every other prompt constrained: masked and free rows share the batches.
        func constrained(_ index: Int) -> TokenGrammar? { index.isMultiple(of: 2) ? grammar : nil }
        var alone: [[Int32]] = []
        for (index, prompt) in Self.prompts.enumerated() {
            alone.append(try await collect(scheduler, prompt, model: model, maxTokens: 40, grammar: constrained(index)).0)
        }
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, prompt) in Self.prompts.enumerated() {
                group.addTask { (index, try await collect(scheduler, prompt, model: model, maxTokens: 40, grammar: constrained(index)).0) }
            }
            var results = [[Int32]](repeating: [], count: Self.prompts.count)
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
        #expect(together == alone)
        for index in Self.prompts.indices where constrained(index) != nil {
            // Constrained text is always a prefix of a valid document; the whole document when it ended within the limit.
            var matcher = GrammarMatcher(grammar: grammar.grammar)
            let bytes = alone[index].flatMap { model.tokenizer.tokenBytes($0) }
            let follows = matcher.advance(bytes)
            #expect(follows, "\(String(decoding: bytes, as: UTF8.self))")
            if alone[index].count < 40 { #expect(matcher.isAccepting) }
        }
    }

    @Test func lengthLimitAndUsage() async throws {
        let model = try Self.model.get()
        let scheduler = try Scheduler(model: model, configuration: SchedulerConfiguration(contextLength: 128, threads: 2))
        scheduler.start()
        defer { scheduler.shutdown() }
        let (tokens, summary) = try await collect(scheduler, "The meaning of life is", model: model, maxTokens: 5)
        #expect(tokens.count == 5)
        #expect(summary?.finishReason == .length)
        #expect(summary?.promptTokens == model.tokenizer.encode("The meaning of life is", parseSpecial: false).count)
    }

    @Test func contextLimitIsRefusedWithNumbers() throws {
        let model = try Self.model.get()
        let scheduler = try Scheduler(model: model, configuration: SchedulerConfiguration(contextLength: 16, threads: 1))
        let request = GenerationRequest(prompt: Array(repeating: 42, count: 10), sampling: .greedy, maxTokens: 10)
        #expect(throws: SchedulerError.self) { try scheduler.submit(request) }
        do {
            _ = try scheduler.submit(request)
        } catch {
            #expect(error.code == .contextLengthExceeded(prompt: 10, requested: 10, limit: 16))
        }
    }

    @Test func cancellingFreesTheSequence() async throws {
        let model = try Self.model.get()
        let scheduler = try Scheduler(model: model, configuration: SchedulerConfiguration(maxSequences: 1, contextLength: 256, threads: 2))
        scheduler.start()
        defer { scheduler.shutdown() }
        let story = model.tokenizer.encode("Once upon a time, in a small village,", parseSpecial: false)
        var received = 0
        for try await event in try scheduler.submit(GenerationRequest(prompt: story, sampling: .greedy, maxTokens: 200)) {
            if case .token = event { received += 1 }
            if received == 2 { break }
        }
        #expect(received == 2)
        // The next request gets the only slot once the cancelled one is released.
        let (tokens, _) = try await collect(scheduler, "The capital of France is", model: model, maxTokens: 3)
        #expect(tokens.count == 3)
        var polls = 0
        while scheduler.load > 0 && polls < 1000 {
            try await Task.sleep(for: .milliseconds(5))
            polls += 1
        }
        #expect(scheduler.load == 0)
        let metrics = scheduler.metrics
        #expect(metrics.requestsCancelled == 1)
        #expect(metrics.requestsFinished == 1)
        #expect(metrics.generatedTokens >= 2 + 3)
    }

    /// The metrics add up to what the requests report: prompt, cached and generated tokens, requests ended, a time to
    /// first token each, and the tokens fed to the engine (each prompt's uncached part, and every generated token but
    /// the last of a sequence cut at its limit).
    @Test func metricsAddUpToTheRequests() async throws {
        let model = try Self.model.get()
        let scheduler = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 2, contextLength: 256, maxBatchTokens: 16, threads: 2))
        var untouched = SchedulerMetrics()
        untouched.kvBytesBudget = scheduler.kvMemoryBudget
        #expect(scheduler.metrics == untouched)
        scheduler.start()
        defer { scheduler.shutdown() }
        var summaries = try await withThrowingTaskGroup(of: GenerationSummary?.self) { group in
            for prompt in Self.prompts { group.addTask { try await collect(scheduler, prompt, model: model, maxTokens: 12).1 } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Asked twice in a row, a prompt reuses its cached keys and values the second time.
        for _ in 0..<2 { summaries.append(try await collect(scheduler, Self.prompts[0], model: model, maxTokens: 12).1) }
        let done = summaries.compactMap { $0 }
        #expect(done.count == Self.prompts.count + 2)

        let metrics = scheduler.metrics
        #expect(metrics.requestsFinished == done.count)
        #expect(metrics.requestsCancelled == 0 && metrics.requestsFailed == 0 && metrics.requestsRejected == 0)
        #expect(metrics.running == 0 && metrics.waiting == 0)
        #expect(metrics.promptTokens == done.map(\.promptTokens).reduce(0, +))
        #expect(metrics.cachedPromptTokens == done.map(\.cachedPromptTokens).reduce(0, +))
        #expect(metrics.cachedPromptTokens > 0)
        #expect(metrics.generatedTokens == done.map(\.completionTokens).reduce(0, +))
        let fed = done.map { $0.promptTokens - $0.cachedPromptTokens + $0.completionTokens - ($0.finishReason == .length ? 1 : 0) }
        #expect(metrics.stepTokens == fed.reduce(0, +))
        #expect(metrics.steps > 0 && metrics.steps <= metrics.stepTokens && metrics.stepSeconds > 0)
        #expect(metrics.timeToFirstToken.count == done.count)
        #expect(metrics.timeToFirstToken.sum > 0)
        #expect(metrics.timeToFirstToken.cumulativeCounts.last == done.count)
        // Every generated token after a sequence's first has a gap before it; every request queued once and ended once.
        #expect(metrics.interTokenLatency.count == done.map { $0.completionTokens - 1 }.reduce(0, +))
        #expect(metrics.endToEndLatency.count == done.count && metrics.queueTime.count == done.count)
        #expect(metrics.endToEndLatency.sum >= metrics.timeToFirstToken.sum)
        #expect(metrics.kvBytesInUse > 0 && metrics.kvBytesInUse <= metrics.kvBytesBudget)
        #expect(metrics.preemptions == 0)
    }

    @Test func histogramBucketsHoldValuesAtOrBelowTheirBound() {
        var histogram = SchedulerMetrics.Histogram(bounds: [0.1, 1])
        for value in [0.05, 0.1, 0.5, 1, 7] { histogram.observe(value) }
        #expect(histogram.counts == [2, 2, 1])
        #expect(histogram.cumulativeCounts == [2, 4, 5])
        #expect(histogram.count == 5)
        #expect(abs(histogram.sum - 8.65) < 1e-9)
    }
}

struct SchedulerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
