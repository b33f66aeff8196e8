/// Why a choice ended, as OpenAI spells it.
public enum FinishReason: String, Sendable, Equatable, Encodable {
    /// A stop string or the end-of-turn token.
    case stop
    /// The token limit or the context length.
    case length
    /// Filtered content.
    case contentFilter = "content_filter"
    /// The model called tools.
    case toolCalls = "tool_calls"
}

/// Token counts of a request, encoded with OpenAI's nested details objects.
public struct Usage: Sendable, Equatable, Encodable {
    /// Tokens in the prompt, including cached ones.
    public var promptTokens: Int
    /// Tokens generated over all choices.
    public var completionTokens: Int
    /// Prompt tokens served from the prefix cache.
    public var cachedTokens: Int
    /// Reasoning tokens (0 for models without a separate reasoning channel).
    public var reasoningTokens: Int

    /// Creates usage.
    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0, reasoningTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.reasoningTokens = reasoningTokens
    }

    /// `prompt_tokens + completion_tokens`.
    public var totalTokens: Int { promptTokens + completionTokens }

    private enum Keys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case promptDetails = "prompt_tokens_details", completionDetails = "completion_tokens_details"
        case cachedTokens = "cached_tokens", audioTokens = "audio_tokens", reasoningTokens = "reasoning_tokens"
        case acceptedPrediction = "accepted_prediction_tokens", rejectedPrediction = "rejected_prediction_tokens"
    }

    /// Encodes OpenAI's shape, details included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
        var prompt = container.nestedContainer(keyedBy: Keys.self, forKey: .promptDetails)
        try prompt.encode(cachedTokens, forKey: .cachedTokens)
        try prompt.encode(0, forKey: .audioTokens)
        var completion = container.nestedContainer(keyedBy: Keys.self, forKey: .completionDetails)
        try completion.encode(reasoningTokens, forKey: .reasoningTokens)
        try completion.encode(0, forKey: .audioTokens)
        try completion.encode(0, forKey: .acceptedPrediction)
        try completion.encode(0, forKey: .rejectedPrediction)
    }
}
