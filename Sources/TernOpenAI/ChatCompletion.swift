/// The response of a non-streamed `POST /v1/chat/completions` (`"object": "chat.completion"`).
public struct ChatCompletion: Sendable, Equatable, Encodable {
    /// `chatcmpl-…`, see ``OpenAIIdentifier/chatCompletion()``.
    public var id: String
    /// Unix time in seconds.
    public var created: Int
    /// The model id as the client named it.
    public var model: String
    /// `fp_tern_…`, see ``OpenAIIdentifier/systemFingerprint(version:)``.
    public var systemFingerprint: String?
    /// `service_tier` echoed in the response; OpenAI sends `"default"`.
    public var serviceTier: String?
    /// One per `n`.
    public var choices: [Choice]
    /// Token counts.
    public var usage: Usage

    /// Creates a response.
    public init(
        id: String, created: Int, model: String, systemFingerprint: String?, serviceTier: String? = "default", choices: [Choice],
        usage: Usage
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.serviceTier = serviceTier
        self.choices = choices
        self.usage = usage
    }

    /// One generated answer.
    public struct Choice: Sendable, Equatable, Encodable {
        /// Position among the choices.
        public var index: Int
        /// The assistant's text; `nil` (written as `null`) when the answer is only tool calls.
        public var content: String?
        /// The calls the model made.
        public var toolCalls: [ToolCall]
        /// A reasoning model's thinking (`reasoning_content`, as DeepSeek and vLLM name it); `nil` when there was none.
        public var reasoningContent: String?
        /// Token log probabilities, when asked for.
        public var logprobs: ChatLogprobs?
        /// Why generation ended.
        public var finishReason: FinishReason

        /// Creates a choice.
        public init(
            index: Int, content: String?, toolCalls: [ToolCall] = [], reasoningContent: String? = nil, logprobs: ChatLogprobs? = nil,
            finishReason: FinishReason
        ) {
            self.index = index
            self.content = content
            self.toolCalls = toolCalls
            self.reasoningContent = reasoningContent
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        private enum Keys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
        private enum MessageKeys: String, CodingKey {
            case role, content, refusal, annotations, toolCalls = "tool_calls", reasoningContent = "reasoning_content"
        }

        /// Encodes `message` as `{"role":"assistant","content":…,"refusal":null,"annotations":[]}`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(index, forKey: .index)
            var message = container.nestedContainer(keyedBy: MessageKeys.self, forKey: .message)
            try message.encode("assistant", forKey: .role)
            try message.encode(content, forKey: .content)
            try message.encodeNil(forKey: .refusal)
            try message.encode([String](), forKey: .annotations)
            if !toolCalls.isEmpty { try message.encode(toolCalls, forKey: .toolCalls) }
            try message.encodeIfPresent(reasoningContent, forKey: .reasoningContent)
            try container.encode(logprobs, forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    private enum Keys: String, CodingKey {
        case id, object, created, model, choices, usage
        case serviceTier = "service_tier", systemFingerprint = "system_fingerprint"
    }

    /// Encodes OpenAI's shape, `null` included where OpenAI writes it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("chat.completion", forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        try container.encode(usage, forKey: .usage)
        try container.encode(serviceTier, forKey: .serviceTier)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
    }
}
