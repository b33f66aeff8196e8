/// One streamed event of `POST /v1/chat/completions` (`"object": "chat.completion.chunk"`).
///
/// The sequence OpenAI sends, per choice: a first chunk with `delta.role`, content chunks, and a
/// chunk with an empty `delta` and the `finish_reason`. With `stream_options.include_usage`
/// every chunk carries `"usage": null` and one extra final chunk has empty `choices` and the
/// usage. ``ChatCompletionChunk/Stream`` builds these.
public struct ChatCompletionChunk: Sendable, Equatable, Encodable {
    /// Same id in every chunk of a response.
    public var id: String
    /// Same in every chunk.
    public var created: Int
    /// The model id.
    public var model: String
    /// `fp_tern_…`.
    public var systemFingerprint: String?
    /// `service_tier` (OpenAI sends `"default"`).
    public var serviceTier: String?
    /// Usually one choice per chunk; empty in the usage chunk.
    public var choices: [Choice]
    /// The usage, in the final chunk only.
    public var usage: Usage?
    /// Whether the `usage` key is written (as `null` when `usage` is `nil`): true with `include_usage`.
    public var includesUsageKey: Bool

    /// Creates a chunk.
    public init(
        id: String, created: Int, model: String, systemFingerprint: String?, serviceTier: String? = "default", choices: [Choice],
        usage: Usage? = nil, includesUsageKey: Bool = false
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.serviceTier = serviceTier
        self.choices = choices
        self.usage = usage
        self.includesUsageKey = includesUsageKey || usage != nil
    }

    /// A streamed piece of one choice.
    public struct Choice: Sendable, Equatable, Encodable {
        /// Which choice this piece belongs to.
        public var index: Int
        /// The new text.
        public var delta: Delta
        /// Log probabilities of the tokens in `delta`, when asked for.
        public var logprobs: ChatLogprobs?
        /// `nil` (written as `null`) until the last chunk of the choice.
        public var finishReason: FinishReason?

        /// Creates a piece.
        public init(index: Int, delta: Delta, logprobs: ChatLogprobs? = nil, finishReason: FinishReason? = nil) {
            self.index = index
            self.delta = delta
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        private enum Keys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }

        /// Encodes with explicit `null` for `logprobs` and `finish_reason`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(logprobs, forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    /// The `delta` of a chunk: absent fields are omitted (the last chunk has `{}`).
    public struct Delta: Sendable, Equatable, Encodable {
        /// `"assistant"` in the first chunk of a choice.
        public var role: String?
        /// New text.
        public var content: String?
        /// Pieces of tool calls.
        public var toolCalls: [ToolCallDelta]?
        /// New text of a reasoning model's thinking.
        public var reasoningContent: String?

        /// Creates a delta.
        public init(role: String? = nil, content: String? = nil, toolCalls: [ToolCallDelta]? = nil, reasoningContent: String? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.reasoningContent = reasoningContent
        }

        private enum Keys: String, CodingKey {
            case role, content, refusal, toolCalls = "tool_calls", reasoningContent = "reasoning_content"
        }

        /// Encodes present fields; the first chunk (with a role) also has `"refusal": null`, like OpenAI.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(role, forKey: .role)
            try container.encodeIfPresent(content, forKey: .content)
            if role != nil { try container.encodeNil(forKey: .refusal) }
            try container.encodeIfPresent(toolCalls, forKey: .toolCalls)
            try container.encodeIfPresent(reasoningContent, forKey: .reasoningContent)
        }
    }

    private enum Keys: String, CodingKey {
        case id, object, created, model, choices, usage
        case serviceTier = "service_tier", systemFingerprint = "system_fingerprint"
    }

    /// Encodes OpenAI's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("chat.completion.chunk", forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(serviceTier, forKey: .serviceTier)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        if includesUsageKey { try container.encode(usage, forKey: .usage) }
    }
}

extension ChatCompletionChunk {
    /// Builds the chunks of one streamed response with the shared id, time, model and usage mode.
    ///
    /// ```swift
    /// let stream = ChatCompletionChunk.Stream(id: OpenAIIdentifier.chatCompletion(), created: now, model: "m",
    ///                                         systemFingerprint: fp, includeUsage: request.includeUsage)
    /// send(stream.roleChunk(index: 0)); send(stream.contentChunk(index: 0, text: "Hi"))
    /// send(stream.finishChunk(index: 0, reason: .stop)); if request.includeUsage { send(stream.usageChunk(usage)) }
    /// ```
    public struct Stream: Sendable, Equatable {
        /// The response id.
        public var id: String
        /// Unix time in seconds.
        public var created: Int
        /// The model id.
        public var model: String
        /// `fp_tern_…`.
        public var systemFingerprint: String?
        /// `stream_options.include_usage`.
        public var includeUsage: Bool

        /// Creates a builder.
        public init(id: String, created: Int, model: String, systemFingerprint: String?, includeUsage: Bool) {
            self.id = id
            self.created = created
            self.model = model
            self.systemFingerprint = systemFingerprint
            self.includeUsage = includeUsage
        }

        /// A chunk with the given choices.
        public func chunk(_ choices: [Choice]) -> ChatCompletionChunk {
            ChatCompletionChunk(
                id: id, created: created, model: model, systemFingerprint: systemFingerprint, choices: choices, includesUsageKey: includeUsage)
        }

        /// The first chunk of a choice: `{"role":"assistant","content":""}`.
        public func roleChunk(index: Int) -> ChatCompletionChunk {
            chunk([Choice(index: index, delta: Delta(role: "assistant", content: ""))])
        }

        /// A chunk of text.
        public func contentChunk(index: Int, text: String, logprobs: ChatLogprobs? = nil) -> ChatCompletionChunk {
            chunk([Choice(index: index, delta: Delta(content: text), logprobs: logprobs)])
        }

        /// The last chunk of a choice: empty delta and the finish reason.
        public func finishChunk(index: Int, reason: FinishReason) -> ChatCompletionChunk {
            chunk([Choice(index: index, delta: Delta(), finishReason: reason)])
        }

        /// The extra final chunk with `include_usage`: no choices, the usage.
        public func usageChunk(_ usage: Usage) -> ChatCompletionChunk {
            ChatCompletionChunk(
                id: id, created: created, model: model, systemFingerprint: systemFingerprint, choices: [], usage: usage,
                includesUsageKey: true)
        }
    }
}
