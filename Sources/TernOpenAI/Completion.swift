/// The response of `POST /v1/completions` (`"object": "text_completion"`).
public struct Completion: Sendable, Equatable, Encodable {
    /// `cmpl-…`, see ``OpenAIIdentifier/completion()``.
    public var id: String
    /// Unix time in seconds.
    public var created: Int
    /// The model id.
    public var model: String
    /// `fp_tern_…`.
    public var systemFingerprint: String?
    /// `prompts × n` choices, see ``CompletionRequest/choiceIndex(prompt:choice:)``.
    public var choices: [Choice]
    /// Token counts.
    public var usage: Usage

    /// Creates a response.
    public init(id: String, created: Int, model: String, systemFingerprint: String?, choices: [Choice], usage: Usage) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
    }

    /// One generated continuation (also the shape of a streamed piece).
    public struct Choice: Sendable, Equatable, Encodable {
        /// Position among the choices.
        public var index: Int
        /// The text.
        public var text: String
        /// Token log probabilities, when `logprobs` was given.
        public var logprobs: CompletionLogprobs?
        /// Why generation ended; `nil` (written as `null`) in middle stream chunks.
        public var finishReason: FinishReason?

        /// Creates a choice.
        public init(index: Int, text: String, logprobs: CompletionLogprobs? = nil, finishReason: FinishReason?) {
            self.index = index
            self.text = text
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        private enum Keys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }

        /// Encodes with explicit `null`s.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(text, forKey: .text)
            try container.encode(index, forKey: .index)
            try container.encode(logprobs, forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    enum Keys: String, CodingKey { case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint" }

    /// Encodes OpenAI's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("text_completion", forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        try container.encode(usage, forKey: .usage)
    }
}

/// The legacy `logprobs` object: parallel arrays over the generated tokens.
public struct CompletionLogprobs: Sendable, Equatable, Encodable {
    /// Token texts.
    public var tokens: [String]
    /// Log probability of each token.
    public var tokenLogprobs: [Double]
    /// Per token, the `logprobs` most likely alternatives (token text → log probability).
    public var topLogprobs: [[String: Double]]
    /// Character offset of each token in the choice text.
    public var textOffset: [Int]

    /// Creates logprobs; the arrays must have the same length.
    public init(tokens: [String], tokenLogprobs: [Double], topLogprobs: [[String: Double]], textOffset: [Int]) {
        precondition(tokens.count == tokenLogprobs.count && tokens.count == topLogprobs.count && tokens.count == textOffset.count)
        self.tokens = tokens
        self.tokenLogprobs = tokenLogprobs
        self.topLogprobs = topLogprobs
        self.textOffset = textOffset
    }

    private enum Keys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    /// Encodes with snake_case keys; non-finite log probabilities become -9999.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(tokenLogprobs.map(TopLogprob.finite), forKey: .tokenLogprobs)
        try container.encode(topLogprobs.map { $0.mapValues(TopLogprob.finite) }, forKey: .topLogprobs)
        try container.encode(textOffset, forKey: .textOffset)
    }
}
