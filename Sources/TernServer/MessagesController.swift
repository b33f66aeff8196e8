import Hummingbird
import NIOCore
import TernAnthropic
import TernEngine
import TernOpenAI
import TernScheduler

/// Anthropic's `POST /v1/messages` and `POST /v1/messages/count_tokens`: the same model, template, limits and ledger as
/// `/v1/chat/completions`, in Anthropic's request, response, stream and error shapes.
struct MessagesController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader
    let keepAliveInterval: Duration
    let logPrompts: Bool
    /// Watches the request's connection for the client hanging up.
    let connections: ConnectionRegistry

    func create(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (asked, bytes) = try await bodyReader.decode(&request) { try MessagesRequest.decode(from: $0) }
        // A trailing assistant turn is continued: the answer starts where its text ends.
        let started = try await ChatRun(
            asked.chatRequest, prefill: asked.prefill ?? "", bodyBytes: bytes, models: models, context: context, logPrompts: logPrompts)
        let (plan, run) = (started.plan, started.run)
        let id = AnthropicMessage.newID()
        if asked.stream {
            context.access?.markStreaming()
            return streamed(run, plan: plan, parser: started.parser, id: id, model: asked.model, access: context.access, channel: context.channel)
        }
        let answer = try await connections.whileConnected(context.channel) { try await run.whole(choices: 1)[0] }
        let outcome = answer.outcome
        // A thinking section has no place in the answer: Anthropic's thinking blocks are not offered.
        var (text, calls) = (answer.text, [ToolCall]())
        if var parser = started.parser {
            let parsed = parser.parse(answer.text)
            (text, calls) = (parsed.content ?? "", parsed.calls)
        }
        let uses = calls.map { ToolCall(id: AnthropicMessage.newToolUseID(), name: $0.name, arguments: $0.arguments) }
        let usage = Usage(promptTokens: plan.promptTokens, outcomes: outcome.map { [$0] } ?? [])
        try await context.access?.commitOrFail(status: 200, usage: usage)
        let message = AnthropicMessage(
            id: id, model: asked.model, text: text, toolUses: uses, stopReason: Self.stopReason(outcome, calledTools: !uses.isEmpty),
            stopSequence: outcome?.stopSequence, usage: .init(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens))
        return .json(message)
    }

    /// `{"input_tokens": n}`: the prompt's length as `create` would read it, however long.
    func countTokens(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (asked, bytes) = try await bodyReader.decode(&request) { try MessagesRequest.decode(from: $0, requireMaxTokens: false) }
        let model = try await models.withModel(asked.model, context: context, generating: true) { $0.scheduler.model }
        // A body of megabytes takes a while to render and tokenize: on a thread of its own, not the event loop.
        let count = try await onThread(named: "tern-tokenize", bytes: bytes, threshold: RequestBodyReader.inlineBytes) {
            let text = try ChatPrompt.text(for: asked.chatRequest, model: model) + (asked.prefill ?? "")
            return model.encodeWithBOS(text, parseSpecial: true).count
        }
        return .json(TokenCount(input_tokens: count))
    }

    private func streamed(
        _ run: GenerationRun, plan: GenerationPlan, parser: AnswerParser?, id: String, model: String, access: RequestAccess?,
        channel: any Channel
    ) -> Response {
        let keepAlive = keepAliveInterval
        let promptTokens = plan.promptTokens
        return Response(
            status: .ok, headers: Response.eventStreamHeaders,
            body: ResponseBody { writer in
                var events = MessageStreamEvents(id: id, model: model)
                var parser = parser
                var calledTools = false
                func write(_ parts: [AnswerParser.Event]) -> [UInt8] {
                    parts.flatMap { part -> [UInt8] in
                        switch part {
                        case .content(let text): return events.delta(text)
                        case .reasoning: return []
                        case .callStart(_, _, let name):
                            calledTools = true
                            return events.toolUse(id: AnthropicMessage.newToolUseID(), name: name)
                        case .arguments(_, let fragment): return events.toolInput(fragment)
                        }
                    }
                }
                try await writer.writeEvent(events.start(inputTokens: promptTokens.reduce(0, +)))
                try await run.stream(
                    to: &writer, watching: channel, in: connections, promptTokens: promptTokens, access: access, keepAlive: keepAlive,
                    delta: { _, delta in parser == nil ? events.delta(delta.text) : write(parser!.feed(delta.text)) },
                    finished: { _, outcome in
                        let rest = parser == nil ? [] : write(parser!.finish())
                        return rest
                            + events.stop(
                                reason: Self.stopReason(outcome, calledTools: calledTools), stopSequence: outcome.stopSequence,
                                outputTokens: outcome.completionTokens)
                    },
                    end: { _ in MessageStreamEvents.end },
                    error: { error in MessageStreamEvents.error(AnthropicError.body(for: error)) })
            })
    }

    /// Anthropic's reason for how a choice ended.
    static func stopReason(_ outcome: GenerationRun.ChoiceOutcome?, calledTools: Bool) -> AnthropicMessage.StopReason {
        guard let outcome else { return calledTools ? .toolUse : .endTurn }
        if outcome.finishReason == .length { return .maxTokens }
        if calledTools { return .toolUse }
        return outcome.stopSequence == nil ? .endTurn : .stopSequence
    }

    private struct TokenCount: Encodable {
        var input_tokens: Int
    }
}
