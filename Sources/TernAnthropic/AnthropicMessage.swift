import TernJSON
public import TernOpenAI

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
        /// The model called tools.
        case toolUse = "tool_use"
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
        "msg_" + OpenAIIdentifier.randomBase62(count: 24)
    }
    /// The model as the request named it.
    public var model: String
    /// The generated text (one `text` block, left out when empty and there are tool calls).
    public var text: String
    /// The tools called, one `tool_use` block each (`toolu_` ids; the arguments are the JSON object `input`).
    public var toolUses: [ToolCall]
    /// Nil only in a stream's `message_start`.
    public var stopReason: StopReason?
    /// The stop sequence that ended the text, with ``StopReason/stopSequence``.
    public var stopSequence: String?
    /// Token counts.
    public var usage: Usage

    /// Creates a message.
    public init(
        id: String, model: String, text: String, toolUses: [ToolCall] = [], stopReason: StopReason?, stopSequence: String? = nil, usage: Usage
    ) {
        self.id = id
        self.model = model
        self.text = text
        self.toolUses = toolUses
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
    }

    private enum Keys: String, CodingKey {
        case id, type, role, model, content, usage
        case stopReason = "stop_reason", stopSequence = "stop_sequence"
    }

    /// A new tool-use id: `toolu_` and 24 letters and digits.
    public static func newToolUseID() -> String {
        "toolu_" + OpenAIIdentifier.randomBase62(count: 24)
    }

    /// Anthropic's shape: no content block at the start of a stream; a `text` block (unless empty beside tool calls),
    /// then a `tool_use` block per call.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("message", forKey: .type)
        try container.encode("assistant", forKey: .role)
        try container.encode(model, forKey: .model)
        var content: [Block] = []
        if stopReason != nil {
            // Whitespace the model wrote before its calls is not an answer of its own.
            if toolUses.isEmpty || text.contains(where: { !$0.isWhitespace }) { content.append(.text(TextBlock(text: text))) }
            content += toolUses.map { .toolUse(ToolUseBlock(call: $0)) }
        }
        try container.encode(content, forKey: .content)
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

/// `{"type":"tool_use","id":…,"name":…,"input":{…}}`; arguments that are not a JSON object become `{}`.
struct ToolUseBlock: Encodable {
    var type = "tool_use"
    var id: String
    var name: String
    var input: JSONValue

    init(id: String, name: String, input: JSONValue) {
        self.id = id
        self.name = name
        self.input = input
    }

    init(call: ToolCall) {
        let parsed = try? JSONValue.parse(Array(call.arguments.utf8))
        if case .object = parsed {
            self.init(id: call.id, name: call.name, input: parsed!)
        } else {
            self.init(id: call.id, name: call.name, input: .object([:]))
        }
    }
}

/// A content block of either kind.
enum Block: Encodable {
    case text(TextBlock)
    case toolUse(ToolUseBlock)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let block): try block.encode(to: encoder)
        case .toolUse(let block): try block.encode(to: encoder)
        }
    }
}
