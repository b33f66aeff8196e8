import Hummingbird
import NIOCore
import TernEngine
import TernGrammar
import TernOpenAI
import TernScheduler
import TernTokenizer

/// `POST /v1/chat/completions`: validates, renders the chat template, runs the choices, answers whole or streamed.
struct ChatController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader
    let keepAliveInterval: Duration
    let logPrompts: Bool
    /// Watches the request's connection for the client hanging up.
    let connections: ConnectionRegistry

    func handle(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (chat, bytes) = try await bodyReader.decode(&request) { try ChatCompletionRequest.decode(from: $0) }
        let started = try await ChatRun(chat, bodyBytes: bytes, models: models, context: context, logPrompts: logPrompts)
        let (plan, run, parser) = (started.plan, started.run, started.parser)
        let identity = ResponseIdentity(id: OpenAIIdentifier.chatCompletion(), model: chat.model)
        if chat.stream {
            context.access?.markStreaming()
            return streamed(
                run, plan: plan, chat: chat, identity: identity, access: context.access, channel: context.channel, parser: parser)
        }
        // The client may hang up while the choices run: that cancels the operation and with it the sequences.
        let completion = try await connections.whileConnected(context.channel) {
            try await Self.whole(run, plan: plan, chat: chat, identity: identity, parser: parser)
        }
        // In the ledger before the first byte of the answer goes out.
        try await context.access?.commitOrFail(status: 200, usage: completion.usage)
        return .json(completion)
    }

    private static func whole(
        _ run: GenerationRun, plan: GenerationPlan, chat: ChatCompletionRequest, identity: ResponseIdentity, parser: AnswerParser?
    ) async throws -> ChatCompletion {
        let answers = try await run.whole(choices: plan.sequences.count)
        let choices = answers.enumerated().map { index, answer in
            var content: String? = answer.text
            var reasoning: String?
            var calls: [ToolCall] = []
            if var parser { (content, reasoning, calls) = parser.parse(answer.text) }
            let reason = answer.outcome?.finishReason ?? .stop
            return ChatCompletion.Choice(
                index: index, content: content, toolCalls: calls, reasoningContent: reasoning,
                logprobs: chat.logprobs ? ChatLogprobs(content: answer.logprobs.map(\.chatLogprob)) : nil,
                finishReason: !calls.isEmpty && reason == .stop ? .toolCalls : reason)
        }
        return ChatCompletion(
            id: identity.id, created: identity.created, model: identity.model, systemFingerprint: identity.systemFingerprint, choices: choices,
            usage: Usage(promptTokens: plan.promptTokens, outcomes: answers.compactMap(\.outcome)))
    }

    private func streamed(
        _ run: GenerationRun, plan: GenerationPlan, chat: ChatCompletionRequest, identity: ResponseIdentity, access: RequestAccess?,
        channel: any Channel, parser: AnswerParser?
    ) -> Response {
        let chunks = ChatCompletionChunk.Stream(
            id: identity.id, created: identity.created, model: identity.model, systemFingerprint: identity.systemFingerprint,
            includeUsage: chat.includeUsage)
        let count = plan.sequences.count
        let wantsLogprobs = chat.logprobs
        let includeUsage = chat.includeUsage
        let keepAlive = keepAliveInterval
        return Response(
            status: .ok, headers: Response.eventStreamHeaders,
            body: ResponseBody { writer in
                let streams = parser.map { AnswerStreams($0, choices: count) }
                for index in 0..<count { try await writer.writeEvent(ServerSentEvents.event(chunks.roleChunk(index: index))) }
                try await run.stream(
                    to: &writer, watching: channel, in: connections, promptTokens: plan.promptTokens, access: access, keepAlive: keepAlive,
                    delta: { choice, delta in
                        let logprobs = wantsLogprobs ? ChatLogprobs(content: delta.logprobs.map(\.chatLogprob)) : nil
                        guard let streams else {
                            return ServerSentEvents.event(chunks.contentChunk(index: choice, text: delta.text, logprobs: logprobs))
                        }
                        return streams.chunks(choice: choice, events: streams.feed(choice: choice, delta.text), stream: chunks, logprobs: logprobs)
                    },
                    finished: { choice, outcome in
                        let reason = outcome.finishReason
                        guard let streams else { return ServerSentEvents.event(chunks.finishChunk(index: choice, reason: reason)) }
                        let tail = streams.chunks(choice: choice, events: streams.finish(choice: choice), stream: chunks, logprobs: nil)
                        let called = streams.calls(choice: choice) > 0 && reason == .stop
                        return tail + ServerSentEvents.event(chunks.finishChunk(index: choice, reason: called ? .toolCalls : reason))
                    },
                    end: { usage in (includeUsage ? ServerSentEvents.event(chunks.usageChunk(usage)) : []) + ServerSentEvents.done })
            })
    }
}
