import Foundation
import TernEngine
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

    func collect(_ scheduler: Scheduler, _ prompt: String, model: LoadedModel, maxTokens: Int = 24) async throws -> ([Int32], GenerationSummary?) {
        let request = GenerationRequest(prompt: model.tokenizer.encode(prompt, parseSpecial: false), sampling: .greedy, maxTokens: maxTokens)
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
        let request = GenerationRequest(prompt: model.tokenizer.encode("Tell me a story.", parseSpecial: false), sampling: .greedy, maxTokens: 200)
        var received = 0
        for try await event in try scheduler.submit(request) {
            if case .token = event { received += 1 }
            if received == 2 { break }
        }
        // The next request gets the only slot once the cancelled one is released.
        let (tokens, _) = try await collect(scheduler, "The capital of France is", model: model, maxTokens: 3)
        #expect(tokens.count == 3)
        var polls = 0
        while scheduler.load > 0 && polls < 1000 {
            try await Task.sleep(for: .milliseconds(5))
            polls += 1
        }
        #expect(scheduler.load == 0)
    }
}

struct SchedulerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
