import TernEngine
import TernOpenAI
import TernScheduler
import TernTokenizer

/// The running sequences of one API request, merged into one ordered series of outputs for the response writer.
///
/// Each sequence is read by a child task that decodes its tokens (``ChoiceDecoder``); the request's task consumes
/// the merged outputs and writes them. When the consumer throws (the client went away), or a stop string ends a
/// choice, the sequence's event stream is dropped, which cancels it in the scheduler before its next step.
struct GenerationRun: Sendable {
    /// What the writer receives.
    enum Output: Sendable {
        /// New text (and log probabilities) of a choice.
        case delta(choice: Int, ChoiceDelta)
        /// A choice ended.
        case finished(choice: Int, ChoiceOutcome)
        /// Nothing was sent for a keep-alive interval.
        case idle
    }

    /// How a choice ended and what it used.
    struct ChoiceOutcome: Sendable, Equatable {
        var finishReason: TernOpenAI.FinishReason
        var completionTokens: Int
        /// Index of the prompt the choice continues.
        var prompt: Int
        var cachedPromptTokens: Int
        /// The stop string that ended the choice, if one did.
        var stopSequence: String? = nil
    }

    /// A sequence failed after the response started.
    struct Failure: Error, CustomStringConvertible {
        var underlying: any Error
        var description: String { "generation failed: \(underlying)" }
    }

    private enum Message: Sendable {
        case output(Output)
        case failed(String)
    }

    private let plan: GenerationPlan
    private let streams: [AsyncThrowingStream<GenerationEvent, any Error>]
    private let tokenizer: Tokenizer
    private let wantsLogprobs: Bool
    /// Tokens generated so far, over all choices.
    let progress = GenerationProgress()

    /// Submits every sequence of `plan`; a refusal (queue full, shutting down, too long) throws before anything ran.
    init(plan: GenerationPlan, scheduler: Scheduler, wantsLogprobs: Bool) throws(OpenAIError) {
        var streams: [AsyncThrowingStream<GenerationEvent, any Error>] = []
        for sequence in plan.sequences {
            do {
                streams.append(try scheduler.submit(sequence.request))
            } catch {
                // Streams already submitted are dropped with `streams`, which cancels them.
                throw Self.openAIError(error, contextParam: "messages")
            }
        }
        self.plan = plan
        self.streams = streams
        tokenizer = scheduler.model.tokenizer
        self.wantsLogprobs = wantsLogprobs
    }

    /// Runs to the end, handing every output to `consume` in order.
    ///
    /// - Parameter keepAlive: how long the stream may stay silent before ``Output/idle`` is delivered; nil for never.
    func run(keepAlive: Duration?, _ consume: (Output) async throws -> Void) async throws {
        let (messages, sink) = AsyncStream<Message>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            for (sequence, stream) in zip(plan.sequences, streams) {
                let (choice, prompt) = (sequence.choice, sequence.prompt)
                let (tokenizer, stops, wantsLogprobs, progress) = (tokenizer, plan.stops, wantsLogprobs, progress)
                group.addTask {
                    var decoder = ChoiceDecoder(tokenizer: tokenizer, stops: stops, wantsLogprobs: wantsLogprobs)
                    var cachedPromptTokens = 0
                    do {
                        for try await event in stream {
                            switch event {
                            case .started(let cached):
                                cachedPromptTokens = cached
                            case .token(let token):
                                progress.addToken()
                                let delta = decoder.accept(token)
                                if !delta.text.isEmpty || !delta.logprobs.isEmpty { sink.yield(.output(.delta(choice: choice, delta))) }
                                if decoder.isStopped {
                                    let outcome = ChoiceOutcome(
                                        finishReason: .stop, completionTokens: decoder.tokenCount, prompt: prompt,
                                        cachedPromptTokens: cachedPromptTokens, stopSequence: decoder.matchedStop)
                                    sink.yield(.output(.finished(choice: choice, outcome)))
                                    return  // dropping the stream cancels the sequence
                                }
                            case .finished(let summary):
                                let delta = decoder.finish()
                                if !delta.text.isEmpty || !delta.logprobs.isEmpty { sink.yield(.output(.delta(choice: choice, delta))) }
                                let outcome = ChoiceOutcome(
                                    finishReason: summary.finishReason == .length ? .length : .stop,
                                    completionTokens: summary.completionTokens, prompt: prompt,
                                    cachedPromptTokens: summary.cachedPromptTokens, stopSequence: decoder.matchedStop)
                                sink.yield(.output(.finished(choice: choice, outcome)))
                                return
                            }
                        }
                        if !Task.isCancelled { sink.yield(.failed("the sequence ended without finishing")) }
                    } catch {
                        if !Task.isCancelled { sink.yield(.failed("\(error)")) }
                    }
                }
            }
            if let keepAlive {
                group.addTask {
                    while true {
                        try await Task.sleep(for: keepAlive)
                        sink.yield(.output(.idle))
                    }
                }
            }
            var remaining = streams.count
            var quiet = true
            for await message in messages {
                switch message {
                case .failed(let reason):
                    throw Failure(underlying: OpenAIError.internalError("Generation failed: \(reason)"))
                case .output(.idle):
                    if quiet { try await consume(.idle) }
                    quiet = true
                case .output(let output):
                    quiet = false
                    try await consume(output)
                    if case .finished = output {
                        remaining -= 1
                        if remaining == 0 { return }
                    }
                }
            }
            // The messages end before every choice has only when this task is cancelled: the client went away.
            throw CancellationError()
        }
    }

    /// The client-facing error for a scheduler refusal.
    static func openAIError(_ error: SchedulerError, contextParam: String) -> OpenAIError {
        switch error.code {
        case .overloaded:
            return .overloaded(retryAfterSeconds: 1)
        case .shuttingDown:
            return OpenAIError(
                status: 503, message: "The server is shutting down.", type: "server_error", code: "shutting_down", retryAfterSeconds: 1)
        case .contextLengthExceeded(let prompt, let requested, let limit):
            return .contextLengthExceeded(promptTokens: prompt, completionTokens: requested, limit: limit, param: contextParam)
        case .invalidRequest:
            return .invalidRequest(error.message)
        case .invalidConfiguration:
            return .internalError(error.message)
        }
    }
}
