import Foundation
import TernEngine
import Testing

@testable import TernScheduler

/// The prefix cache and the memory budget on the real model: reuse and preemption must not change a single token.
@Suite(.serialized)
struct SchedulerCacheTests {
    /// Long enough (about 60 tokens) that a request arriving while another computes it waits and copies it.
    static let system =
        String(
            repeating: "You are a helpful assistant who answers in one short sentence, precisely and politely, without lists. ", count: 3) + "\n"
    static let questions = ["Q: What is the capital of Italy?\nA:", "Q: Name a primary color.\nA:", "Q: What is 3 times 4?\nA:"]

    func tokens(_ text: String, _ model: LoadedModel) -> [Int32] { model.tokenizer.encode(text, parseSpecial: false) }

    func run(_ scheduler: Scheduler, _ prompt: [Int32], maxTokens: Int = 12) async throws -> ([Int32], GenerationSummary?) {
        var tokens: [Int32] = []
        var summary: GenerationSummary?
        for try await event in try scheduler.submit(GenerationRequest(prompt: prompt, sampling: .greedy, maxTokens: maxTokens)) {
            switch event {
            case .token(let sampled): tokens.append(sampled.token)
            case .finished(let done): summary = done
            case .started: break
            }
        }
        return (tokens, summary)
    }

    func commonPrefix(_ a: [Int32], _ b: [Int32]) -> Int { zip(a, b).prefix { $0 == $1 }.count }

    @Test func cachedAnswersEqualUncachedOnesAndReportTheReuse() async throws {
        let model = try SchedulerTests.model.get()
        let prompts = Self.questions.map { tokens(Self.system + $0, model) }
        let plain = try Scheduler(
            model: model,
            configuration: SchedulerConfiguration(maxSequences: 2, contextLength: 256, maxBatchTokens: 16, threads: 2, prefixCache: false))
        plain.start()
        defer { plain.shutdown() }
        var expected: [[Int32]] = []
        for prompt in prompts {
            let (tokens, summary) = try await run(plain, prompt)
            #expect(summary?.cachedPromptTokens == 0)
            expected.append(tokens)
        }

        let cached = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 2, contextLength: 256, maxBatchTokens: 16, threads: 2))
        cached.start()
        defer { cached.shutdown() }
        for (index, prompt) in prompts.enumerated() {
            let (tokens, summary) = try await run(cached, prompt)
            #expect(tokens == expected[index])
            let shared = index == 0 ? 0 : commonPrefix(prompts[index - 1], prompt)
            #expect(summary?.cachedPromptTokens == shared)
        }
        #expect(commonPrefix(prompts[0], prompts[1]) >= 15)

        // The next turn of a conversation: the previous prompt and answer come back with more text after them.
        let (answer, first) = try await run(cached, prompts[2])
        let nextTurn = prompts[2] + answer + tokens("\nQ: And 5 times 6?\nA:", model)
        let (followUp, summary) = try await run(cached, nextTurn)
        let (followUpAlone, _) = try await run(plain, nextTurn)
        #expect(followUp == followUpAlone)
        // The first turn's prompt; its answer was computed token by token, in the engine's decode order, so it is
        // computed again as part of the new prompt.
        #expect(first != nil)
        #expect(summary?.cachedPromptTokens == prompts[2].count)
    }

    @Test func concurrentRequestsSharingASystemPromptEqualAlone() async throws {
        let model = try SchedulerTests.model.get()
        let prompts = Self.questions.map { tokens(Self.system + $0, model) }
        let plain = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 1, contextLength: 256, threads: 2, prefixCache: false))
        plain.start()
        defer { plain.shutdown() }
        var alone: [[Int32]] = []
        for prompt in prompts { alone.append(try await run(plain, prompt).0) }

        let cached = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 3, contextLength: 256, maxBatchTokens: 8, threads: 2))
        cached.start()
        defer { cached.shutdown() }
        let together = try await withThrowingTaskGroup(of: (Int, [Int32], Int).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask {
                    let (tokens, summary) = try await run(cached, prompt)
                    return (index, tokens, summary?.cachedPromptTokens ?? -1)
                }
            }
            var results = [([Int32], Int)](repeating: ([], 0), count: prompts.count)
            for try await (index, tokens, reused) in group { results[index] = (tokens, reused) }
            return results
        }
        #expect(together.map(\.0) == alone)
        // The first to arrive computes the system prompt; the others copy it, from a running or an idle slot.
        #expect(together.map(\.1).filter { $0 > 0 }.count == 2)
    }

    @Test func preemptedSequencesResumeWithIdenticalTokens() async throws {
        let model = try SchedulerTests.model.get()
        let prompts = SchedulerTests.prompts.map { tokens($0, model) }
        var configuration = SchedulerConfiguration(maxSequences: 3, contextLength: 64, maxBatchTokens: 16, threads: 2)
        // Count memory by the byte and allow one full context: three sequences of ~32 tokens cannot run together.
        configuration.accountingPageSize = 2
        configuration.kvMemoryBytes = KVFootprint(config: model.config, contextLength: 64).bytesPerToken * 64
        let alone = try Scheduler(model: model, configuration: SchedulerConfiguration(maxSequences: 1, contextLength: 64, threads: 2))
        alone.start()
        defer { alone.shutdown() }
        var expected: [[Int32]] = []
        for prompt in prompts { expected.append(try await run(alone, prompt, maxTokens: 24).0) }

        let scheduler = try Scheduler(model: model, configuration: configuration)
        scheduler.start()
        defer { scheduler.shutdown() }
        let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask { (index, try await run(scheduler, prompt, maxTokens: 24).0) }
            }
            var results = [[Int32]](repeating: [], count: prompts.count)
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
        #expect(together == expected)
        #expect(scheduler.metrics.preemptions > 0)
    }

    /// After a long answer, its slot is trimmed for the next, shorter sequence: two short requests then fit the budget
    /// together (the shorter finishes first) and their tokens are those computed alone, the kept prefix intact.
    @Test func aSlotLeftByALongAnswerIsTrimmedAndSharedRequestsRunTogether() async throws {
        let model = try SchedulerTests.model.get()
        let story = tokens(Self.system + "Once upon a time, in a small village,", model)
        let short = [tokens(Self.system + Self.questions[1], model), tokens(Self.system + Self.questions[2], model)]
        let maxTokens = [60, 6]
        let alone = try Scheduler(
            model: model, configuration: SchedulerConfiguration(maxSequences: 1, contextLength: 256, threads: 2, prefixCache: false))
        alone.start()
        defer { alone.shutdown() }
        var expected: [[Int32]] = []
        for (prompt, limit) in zip(short, maxTokens) { expected.append(try await run(alone, prompt, maxTokens: limit).0) }

        // Room for one full context, counted by the byte: the story's slot alone would leave no room for a second request.
        var configuration = SchedulerConfiguration(maxSequences: 2, contextLength: 256, maxBatchTokens: 64, threads: 2)
        configuration.accountingPageSize = 2
        configuration.kvMemoryBytes = KVFootprint(config: model.config, contextLength: 256).bytesPerToken * 256
        let scheduler = try Scheduler(model: model, configuration: configuration)
        scheduler.start()
        defer { scheduler.shutdown() }
        let (long, _) = try await run(scheduler, story, maxTokens: 150)
        #expect(story.count + long.count > 200)

        let streams = try zip(short, maxTokens).map { prompt, limit in
            try scheduler.submit(GenerationRequest(prompt: prompt, sampling: .greedy, maxTokens: limit))
        }
        let finishOrder = FinishOrder()
        let results = try await withThrowingTaskGroup(of: (Int, [Int32], Int).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    var tokens: [Int32] = []
                    var cached = -1
                    for try await event in stream {
                        switch event {
                        case .token(let sampled): tokens.append(sampled.token)
                        case .finished(let summary):
                            cached = summary.cachedPromptTokens
                            finishOrder.append(index)
                        case .started: break
                        }
                    }
                    return (index, tokens, cached)
                }
            }
            var results = [([Int32], Int)](repeating: ([], 0), count: streams.count)
            for try await (index, tokens, cached) in group { results[index] = (tokens, cached) }
            return results
        }
        #expect(results.map(\.0) == expected)
        #expect(results.allSatisfy { $0.1 > 0 })
        #expect(finishOrder.indices == [1, 0])
    }

    @Test func aBudgetBelowOneFullContextIsRefusedWithNumbers() throws {
        let model = try SchedulerTests.model.get()
        let configuration = SchedulerConfiguration(contextLength: 2048, threads: 1, kvMemoryBytes: 1 << 20)
        #expect {
            _ = try Scheduler(model: model, configuration: configuration)
        } throws: { error in
            guard let error = error as? SchedulerError, error.code == .invalidConfiguration else { return false }
            return error.message.contains("1.0 MiB") && error.message.contains("2048 tokens")
        }
    }

    /// The size the refusal asks for is enough when passed back, also for a context whose need is not a whole MiB.
    @Test(arguments: [2048, 2060])
    func theBudgetARefusalSuggestsIsAccepted(contextLength: Int) throws {
        let model = try SchedulerTests.model.get()
        var message = ""
        do {
            _ = try Scheduler(model: model, configuration: SchedulerConfiguration(contextLength: contextLength, threads: 1, kvMemoryBytes: 1 << 20))
        } catch {
            message = error.message
        }
        let suggested = try #require(message.split(separator: "at least ").last?.split(separator: " ").first.flatMap { Double($0) })
        let bytes = Int(suggested * 1_048_576)
        let scheduler = try Scheduler(
            model: model, configuration: SchedulerConfiguration(contextLength: contextLength, threads: 1, kvMemoryBytes: bytes))
        #expect(scheduler.kvMemoryBudget == bytes)
    }
}

/// The order in which concurrent requests finished.
final class FinishOrder: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [Int] = []

    func append(_ index: Int) {
        lock.lock()
        order.append(index)
        lock.unlock()
    }

    var indices: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return order
    }
}
