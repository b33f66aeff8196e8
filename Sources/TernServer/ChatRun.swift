import TernEngine
import TernGrammar
import TernOpenAI
import TernScheduler

/// A chat request on its way to the model, as every chat-shaped endpoint (`/v1/chat/completions`, `/v1/messages`,
/// `/v1/responses`) starts it: the key's permission checked, the template rendered, the grammar of its response format
/// or tools compiled, the sequences planned, their tokens reserved and the run submitted.
struct ChatRun {
    /// The sequences and prompts.
    let plan: GenerationPlan
    /// The running sequences.
    let run: GenerationRun
    /// Splits the answer into reasoning, content and tool calls; nil when the answer is all content.
    let parser: AnswerParser?

    /// Starts `chat` on its model (loading it first if need be); `prefill` is text the answer continues (appended to the
    /// rendered prompt). `bodyBytes`, the size of the request's body, says whether the prompt is rendered and tokenized
    /// inline or on a thread of its own (``RequestBodyReader/inlineBytes``).
    init(
        _ chat: ChatCompletionRequest, prefill: String = "", bodyBytes: Int, models: ModelFleet, context: TernRequestContext, logPrompts: Bool
    ) async throws {
        (plan, run, parser) = try await models.withModel(chat.model, context: context, generating: true) { lease in
            try await Self.start(chat, prefill: prefill, bodyBytes: bodyBytes, lease: lease, context: context, logPrompts: logPrompts)
        }
    }

    private static func start(
        _ chat: ChatCompletionRequest, prefill: String, bodyBytes: Int, lease: ModelLease, context: TernRequestContext, logPrompts: Bool
    ) async throws -> (GenerationPlan, GenerationRun, AnswerParser?) {
        let (host, scheduler) = (lease.host, lease.scheduler)
        if logPrompts { context.logger.info("prompt", metadata: ["prompt.messages": "\(chat.messages.map(\.text))"]) }
        let model = scheduler.model
        let template = model.chatTemplate
        let contextLength = scheduler.configuration.contextLength
        let (prompt, startsThinking, closed) = try await onThread(named: "tern-prompt", bytes: bodyBytes, threshold: RequestBodyReader.inlineBytes) {
            let text = try ChatPrompt.text(for: chat, model: model) + prefill
            // Tokenizing stops past the context: a prompt far longer than it is refused for the price of one context.
            let prompt = model.encodeWithBOS(text, parseSpecial: true, limit: contextLength)
            // A reasoning model's answer may open with a thinking section (the prompt may have opened it already).
            let (startsThinking, closed) = Reasoning.promptState(text)
            return (prompt, startsThinking, closed)
        }
        let thinking = Reasoning.isUsed(by: template) && !closed
        // Calls are looked for (and constrained) unless the client said `tool_choice: none`.
        var toolFormat: ToolCallFormat? = chat.tools.isEmpty || chat.toolChoice == .none ? nil : ChatPrompt.format(of: template)
        toolFormat?.builtins = try ChatPrompt.builtins(of: chat, template: template)
        let grammar: TokenGrammar?
        if let toolFormat {
            grammar = try await host.grammars.toolGrammar(
                for: chat, format: toolFormat, thinking: thinking, vocabulary: await scheduler.grammarVocabulary())
        } else {
            grammar = try await host.grammars.grammar(for: chat.responseFormat, thinking: thinking) { await scheduler.grammarVocabulary() }
        }
        let parser = thinking || toolFormat != nil ? AnswerParser(thinking: thinking, startsThinking: startsThinking, tools: toolFormat) : nil
        let (plan, run) = try await GenerationRun.start(
            prompts: [prompt], n: chat.n, maxTokens: chat.completionTokenLimit, sampling: chat.sampling,
            topLogprobs: chat.logprobs ? (chat.topLogprobs ?? 0) : nil, grammar: grammar, contextParam: "messages", lease: lease,
            context: context)
        return (plan, run, parser)
    }
}
