import TernOpenAI

/// The answer of `POST /v1/messages`: `{"id":"msg_…","type":"message","role":"assistant","content":[…],…}`.
public struct AnthropicMessage: Sendable, Equatable, Encodable {
    /// Why generation stopped.
    public enum StopReason: String, Sendable, Equatable, Encodable {
        /// The model ended its turn.
        case endTurn = "end_turn"
        /// `max_tokens` (or the context) ran out.
        case maxTokens = "max_tokens"
        /// One of the `stop_sequences` was generated.
        case stopSequence = "stop_sequence"
    }

    /// Token counts: the whole prompt, and what was generated.
    public struct Usage: Sendable, Equatable, Encodable {
        /// Prompt tokens.
        public var inputTokens: Int
        /// Generated tokens.
        public var outputTokens: Int

        /// Creates counts.
        public init(inputTokens: Int, outputTokens: Int) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
        }

        private enum CodingKeys: String, CodingKey { case inputTokens = "input_tokens", outputTokens = "output_tokens" }
    }

    /// `msg_` and 24 letters and digits.
    public var id: String

    /// A new message id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "msg_" + OpenAIIdentifier.randomBase62(count: 24, using: &generator)
    }
    /// The model as the request named it.
    public var model: String
    /// The generated text (one `text` block).
    public var text: String
    /// Nil only in a stream's `message_start`.
    public var stopReason: StopReason?
    /// The stop sequence that ended the text, with ``StopReason/stopSequence``.
    public var stopSequence: String?
    /// Token counts.
    public var usage: Usage

    /// Creates a message.
    public init(id: String, model: String, text: String, stopReason: StopReason?, stopSequence: String? = nil, usage: Usage) {
        self.id = id
        self.model = model
        self.text = text
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
    }

    private enum Keys: String, CodingKey {
        case id, type, role, model, content, usage
        case stopReason = "stop_reason", stopSequence = "stop_sequence"
    }

    /// Anthropic's shape: no content block for empty text at the start of a stream, one `text` block otherwise.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("message", forKey: .type)
        try container.encode("assistant", forKey: .role)
        try container.encode(model, forKey: .model)
        try container.encode(stopReason == nil ? [] : [TextBlock(text: text)], forKey: .content)
        try container.encode(stopReason, forKey: .stopReason)
        try container.encode(stopSequence, forKey: .stopSequence)
        try container.encode(usage, forKey: .usage)
    }
}

/// `{"type":"text","text":…}`.
struct TextBlock: Encodable {
    var type = "text"
    var text: String
}
