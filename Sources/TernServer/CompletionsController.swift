import Hummingbird
import NIOCore
import TernEngine
import TernOpenAI
import TernScheduler

/// `POST /v1/completions`, the legacy text API: each prompt continued `n` times, whole or streamed.
///
/// Prompts are tokenized with special tokens recognized (like llama.cpp's server), so a hand-written chat
/// template works here.
struct CompletionsController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader
    let keepAliveInterval: Duration
    let logPrompts: Bool
    /// Watches the request's connection for the client hanging up.
    let connections: ConnectionRegistry

    func handle(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (completion, bytes) = try await bodyReader.decode(&request) { try CompletionRequest.decode(from: $0) }
        let logPrompts = logPrompts
        let (plan, run) = try await models.withModel(completion.model, context: context, generating: true) { lease in
            if logPrompts { context.logger.info("prompt", metadata: ["prompt.text": "\(completion.prompts)"]) }
            let model = lease.scheduler.model
            // Tokenizing stops past the context: a prompt far longer than it is refused for the price of one context.
            let contextLength = lease.scheduler.configuration.contextLength
            let prompts = try await onThread(named: "tern-tokenize", bytes: bytes, threshold: RequestBodyReader.inlineBytes) {
                completion.prompts.map { model.encodeWithBOS($0, parseSpecial: true, limit: contextLength) }
            }
            // The legacy API's own default of 16 tokens is already in the request.
            return try await GenerationRun.start(
                prompts: prompts, n: completion.n, maxTokens: completion.maxTokens, sampling: completion.sampling,
                topLogprobs: completion.logprobs, contextParam: "prompt", lease: lease, context: context)
        }
        let identity = ResponseIdentity(id: OpenAIIdentifier.completion(), model: completion.model)
        if completion.stream {
            context.access?.markStreaming()
            return streamed(run, plan: plan, request: completion, identity: identity, access: context.access, channel: context.channel)
        }
        let result = try await connections.whileConnected(context.channel) {
            try await Self.whole(run, plan: plan, request: completion, identity: identity)
        }
        try await context.access?.commitOrFail(status: 200, usage: result.usage)
        return .json(result)
    }

    private static func whole(
        _ run: GenerationRun, plan: GenerationPlan, request: CompletionRequest, identity: ResponseIdentity
    ) async throws -> Completion {
        let count = plan.sequences.count
        var texts = Array(repeating: "", count: count)
        var logprobs = Array(repeating: LegacyLogprobs(), count: count)
        var outcomes = [GenerationRun.ChoiceOutcome?](repeating: nil, count: count)
        do {
            try await run.run(keepAlive: nil) { output in
                switch output {
                case .delta(let choice, let delta):
                    logprobs[choice].append(delta.logprobs, at: texts[choice].count)
                    texts[choice] += delta.text
                case .finished(let choice, let outcome):
                    outcomes[choice] = outcome
                case .idle:
                    break
                }
            }
        } catch let failure as GenerationRun.Failure {
            throw failure.underlying
        }
        let choices = (0..<count).map { index in
            Completion.Choice(
                index: index, text: texts[index], logprobs: request.logprobs != nil ? logprobs[index].wire : nil,
                finishReason: outcomes[index]?.finishReason ?? .stop)
        }
        return Completion(
            id: identity.id, created: identity.created, model: identity.model, systemFingerprint: identity.systemFingerprint, choices: choices,
            usage: Usage(promptTokens: plan.promptTokens, outcomes: outcomes.compactMap { $0 }))
    }

    private func streamed(
        _ run: GenerationRun, plan: GenerationPlan, request: CompletionRequest, identity: ResponseIdentity, access: RequestAccess?,
        channel: any Channel
    ) -> Response {
        let keepAlive = keepAliveInterval
        let wantsLogprobs = request.logprobs != nil
        let includeUsage = request.includeUsage
        let count = plan.sequences.count
        @Sendable func chunk(_ choices: [Completion.Choice], usage: Usage? = nil) -> [UInt8] {
            ServerSentEvents.event(
                CompletionChunk(
                    id: identity.id, created: identity.created, model: identity.model, systemFingerprint: identity.systemFingerprint,
                    choices: choices, usage: usage, includesUsageKey: includeUsage))
        }
        return Response(
            status: .ok, headers: Response.eventStreamHeaders,
            body: ResponseBody { writer in
                var offsets = Array(repeating: 0, count: count)
                try await run.stream(
                    to: &writer, watching: channel, in: connections, promptTokens: plan.promptTokens, access: access, keepAlive: keepAlive,
                    delta: { choice, delta in
                        var logprobs = LegacyLogprobs()
                        logprobs.append(delta.logprobs, at: offsets[choice])
                        offsets[choice] += delta.text.count
                        return chunk([
                            Completion.Choice(index: choice, text: delta.text, logprobs: wantsLogprobs ? logprobs.wire : nil, finishReason: nil)
                        ])
                    },
                    finished: { choice, outcome in chunk([Completion.Choice(index: choice, text: "", finishReason: outcome.finishReason)]) },
                    end: { usage in (includeUsage ? chunk([], usage: usage) : []) + ServerSentEvents.done })
            })
    }
}

/// The legacy `logprobs` object being built: parallel arrays with character offsets into the choice text.
struct LegacyLogprobs: Sendable {
    private var tokens: [String] = []
    private var tokenLogprobs: [Double] = []
    private var topLogprobs: [[String: Double]] = []
    private var textOffset: [Int] = []

    /// Adds the entries released with text that starts at character `offset`.
    mutating func append(_ entries: [TokenInfo], at offset: Int) {
        var position = offset
        for entry in entries {
            tokens.append(entry.text)
            tokenLogprobs.append(entry.logprob)
            // Two alternatives can decode to the same text (pieces of a character); keep the likelier one.
            topLogprobs.append(Dictionary(entry.alternatives.map { ($0.text, $0.logprob) }, uniquingKeysWith: { max($0, $1) }))
            textOffset.append(position)
            position += entry.text.count
        }
    }

    var wire: CompletionLogprobs {
        CompletionLogprobs(tokens: tokens, tokenLogprobs: tokenLogprobs, topLogprobs: topLogprobs, textOffset: textOffset)
    }
}
