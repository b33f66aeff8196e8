import TernJSON
public import TernOpenAI

/// The body of Anthropic's `POST /v1/messages` (and, without `max_tokens`, of `/v1/messages/count_tokens`), read into
/// what Tern runs: a chat request for the model's template, and the text of a trailing assistant turn that the answer
/// continues.
///
/// Supported: `model`, `max_tokens`, `messages` (roles `user` and `assistant`, content as text or `text` blocks),
/// `system` (text or `text` blocks), `stop_sequences`, `temperature` (0…1), `top_p`, `top_k`, `stream`, `metadata`.
/// Fields Tern cannot honour yet (`tools`, `tool_choice`, `thinking`, image and document blocks) are a 400 naming them.
///
/// ```swift
/// let request = try MessagesRequest.decode(from: body)
/// let chat = request.chatRequest     // render with the chat template, then append `request.prefill`
/// ```
public struct MessagesRequest: Sendable, Equatable {
    /// The model asked for.
    public var model: String
    /// `max_tokens`; nil only for token counting.
    public var maxTokens: Int?
    /// The system prompt, as one text.
    public var system: String?
    /// The conversation, without a trailing assistant turn.
    public var messages: [ChatMessage]
    /// The text of a trailing assistant turn, which the answer continues (Anthropic's prefill); nil when the last turn
    /// is the user's.
    public var prefill: String?
    /// `stop_sequences`.
    public var stopSequences: [String]
    /// `temperature`, `top_p`, `top_k`, and the stop sequences, as OpenAI's parameters.
    public var sampling: SamplingParameters
    /// `stream`.
    public var stream: Bool

    /// The most stop sequences accepted.
    public static let maxStopSequences = 16

    static let keys: Set<String> = [
        "model", "max_tokens", "messages", "system", "stop_sequences", "temperature", "top_p", "top_k", "stream", "metadata",
        "service_tier",
    ]
    static let unsupported = ["tools", "tool_choice", "thinking", "container", "mcp_servers", "context_management"]

    /// Parses and validates a body; `requireMaxTokens` is false for `count_tokens`, which takes none.
    public static func decode(from body: some Collection<UInt8>, requireMaxTokens: Bool = true) throws(OpenAIError) -> MessagesRequest {
        let reader = try FieldReader.body(body)
        try reader.rejectUnknownKeys(keys.union(unsupported))
        try reader.rejectPresence(of: unsupported)
        let model = try reader.requiredString("model")
        let maxTokens = try reader.integer("max_tokens", min: 1)
        if requireMaxTokens, maxTokens == nil { throw .missingParameter("max_tokens") }
        var turns = try Self.turns(reader)
        var prefill: String?
        if turns.last?.role == .assistant {
            // A trailing assistant turn is the start of the answer, not a finished turn.
            prefill = turns.removeLast().text
        }
        guard turns.contains(where: { $0.role == .user }) else {
            throw .invalidRequest("messages: the conversation needs at least one user message.", param: "messages")
        }
        var stops: [String] = []
        if let value = reader.value("stop_sequences") {
            guard case .array(let items) = value else { throw .invalidType("stop_sequences", expected: "an array of strings", got: value) }
            for (index, item) in items.enumerated() {
                guard case .string(let stop) = item, !stop.isEmpty else {
                    throw .invalidType("stop_sequences[\(index)]", expected: "a non-empty string", got: item)
                }
                stops.append(stop)
            }
            guard stops.count <= maxStopSequences else {
                throw .invalidRequest("stop_sequences: at most \(maxStopSequences) are supported.", param: "stop_sequences")
            }
        }
        _ = try reader.object("metadata")
        _ = try reader.string("service_tier")
        let sampling = SamplingParameters(
            temperature: try reader.double("temperature", min: 0, max: 1), topP: try reader.double("top_p", min: 0, max: 1),
            topK: try reader.integer("top_k", min: 0), stop: stops)
        return MessagesRequest(
            model: model, maxTokens: maxTokens, system: try Self.system(reader), messages: turns, prefill: prefill, stopSequences: stops,
            sampling: sampling, stream: try reader.bool("stream") ?? false)
    }

    /// The request as a chat completion request: the system prompt first, then the turns.
    public var chatRequest: ChatCompletionRequest {
        var all = messages
        if let system { all.insert(ChatMessage(role: .system, content: .text(system)), at: 0) }
        return ChatCompletionRequest(model: model, messages: all, maxTokens: maxTokens, stream: stream, sampling: sampling)
    }

    private static func system(_ reader: FieldReader) throws(OpenAIError) -> String? {
        switch reader.value("system") {
        case nil: return nil
        case .string(let text): return text
        case .array(let blocks): return try text(of: blocks, param: "system")
        case let other?: throw .invalidType("system", expected: "a string or an array of text blocks", got: other)
        }
    }

    private static func turns(_ reader: FieldReader) throws(OpenAIError) -> [ChatMessage] {
        guard let value = reader.value("messages") else { throw .missingParameter("messages") }
        guard case .array(let items) = value else { throw .invalidType("messages", expected: "an array", got: value) }
        var turns: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            guard case .object(let object) = item else { throw .invalidType(param, expected: "an object", got: item) }
            let message = FieldReader(object, path: param)
            try message.rejectUnknownKeys(["role", "content"])
            let role: ChatMessage.Role
            switch try message.requiredString("role") {
            case "user": role = .user
            case "assistant": role = .assistant
            case let other: throw .invalidValue("\(param).role", value: other, supported: ["user", "assistant"])
            }
            let text: String
            switch message.value("content") {
            case nil: throw .missingParameter("\(param).content")
            case .string(let content): text = content
            case .array(let blocks): text = try Self.text(of: blocks, param: "\(param).content")
            case let other?: throw .invalidType("\(param).content", expected: "a string or an array of content blocks", got: other)
            }
            turns.append(ChatMessage(role: role, content: .text(text)))
        }
        return turns
    }

    /// The texts of `text` blocks, joined; any other block type is a 400 naming it.
    private static func text(of blocks: [JSONValue], param: String) throws(OpenAIError) -> String {
        var texts: [String] = []
        for (index, block) in blocks.enumerated() {
            let path = "\(param)[\(index)]"
            guard case .object(let object) = block else { throw .invalidType(path, expected: "a content block object", got: block) }
            let reader = FieldReader(object, path: path)
            let type = try reader.requiredString("type")
            guard type == "text" else {
                throw .invalidRequest(
                    "\(path).type: content blocks of type '\(type)' are not supported by this server; send 'text' blocks.", param: "\(path).type",
                    code: "unsupported_value")
            }
            try reader.rejectUnknownKeys(["type", "text", "cache_control", "citations"])
            texts.append(try reader.requiredString("text"))
        }
        return texts.joined(separator: "\n")
    }
}
