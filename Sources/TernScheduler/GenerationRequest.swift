public import TernEngine
public import TernGrammar

/// One sequence to generate: a tokenized prompt and how to continue it.
public struct GenerationRequest: Sendable {
    /// The prompt, already rendered and tokenized.
    public var prompt: [Int32]
    /// How to pick each next token.
    public var sampling: SamplingParameters
    /// Most tokens to generate.
    public var maxTokens: Int
    /// Log-probabilities wanted with each token: nil for none, else how many alternatives (0…20).
    public var topLogprobs: Int?
    /// The grammar the generated text must follow (structured output), or nil for free text. The sequence ends
    /// (`stop`) when the grammar's document is complete and the model ends it or nothing more can follow.
    public var grammar: TokenGrammar?

    /// A request to continue `prompt` by up to `maxTokens` tokens.
    public init(prompt: [Int32], sampling: SamplingParameters, maxTokens: Int, topLogprobs: Int? = nil, grammar: TokenGrammar? = nil) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.topLogprobs = topLogprobs
        self.grammar = grammar
    }
}

/// What a running request reports, in order: `started`, tokens, then exactly one `finished`.
public enum GenerationEvent: Sendable {
    /// The prompt has been processed; `cachedPromptTokens` of it were reused from the prefix cache. Comes once, before
    /// the first token (a sequence that ends at once reports only `finished`).
    case started(cachedPromptTokens: Int)
    /// The next generated token.
    case token(SampledToken)
    /// The sequence ended; no more events follow.
    case finished(GenerationSummary)
}

/// How a sequence ended and what it used.
public struct GenerationSummary: Sendable, Equatable {
    /// Why it ended: an end-of-generation token (`stop`) or the token limit (`length`).
    public var finishReason: FinishReason
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Prompt tokens whose keys and values were reused from the cache instead of computed.
    public var cachedPromptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
}
