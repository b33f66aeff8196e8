import TernJSON
public import TernOpenAI

/// The body of Anthropic's `POST /v1/messages` (and, without `max_tokens`, of `/v1/messages/count_tokens`), read into
/// what Tern runs: a chat request for the model's template, and the text of a trailing assistant turn that the answer
/// continues.
///
/// Supported: `model`, `max_tokens`, `messages` (roles `user` and `assistant`; content as text or `text`, `tool_use`
/// and `tool_result` blocks), `system` (text or `text` blocks), `stop_sequences`, `temperature` (0…1), `top_p`,
/// `top_k`, `stream`, `metadata`, client `tools` with `tool_choice` (`auto`, `any`, `tool`, `none`,
/// `disable_parallel_tool_use`). Fields Tern cannot honour yet (`thinking`, server tools, image and document blocks)
/// are a 400 naming them.
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
    /// `tools`, as functions.
    public var tools: [ChatTool]
    /// `tool_choice`: `auto` → auto, `any` → required, `tool` → that function, `none` → none.
    public var toolChoice: ToolChoice
    /// The opposite of `tool_choice.disable_parallel_tool_use`.
    public var parallelToolCalls: Bool

    /// The most stop sequences accepted.
    public static let maxStopSequences = 16

    static let keys: Set<String> = [
        "model", "max_tokens", "messages", "system", "stop_sequences", "temperature", "top_p", "top_k", "stream", "metadata",
        "service_tier", "tools", "tool_choice",
    ]
    static let unsupported = ["thinking", "container", "mcp_servers", "context_management"]

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
        if turns.last?.role == .assistant, turns.last?.toolCalls.isEmpty == true {
            // A trailing assistant turn is the start of the answer, not a finished turn.
            prefill = turns.removeLast().text
        }
        guard turns.contains(where: { $0.role == .user || $0.role == .tool }) else {
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
        let tools = try Self.tools(reader)
        let (toolChoice, parallel) = try Self.toolChoice(reader, tools: tools)
        return MessagesRequest(
            model: model, maxTokens: maxTokens, system: try Self.system(reader), messages: turns, prefill: prefill, stopSequences: stops,
            sampling: sampling, stream: try reader.bool("stream") ?? false, tools: tools, toolChoice: toolChoice, parallelToolCalls: parallel)
    }

    /// The request as a chat completion request: the system prompt first, then the turns.
    public var chatRequest: ChatCompletionRequest {
        var all = messages
        if let system { all.insert(ChatMessage(role: .system, content: .text(system)), at: 0) }
        return ChatCompletionRequest(
            model: model, messages: all, maxTokens: maxTokens, stream: stream, sampling: sampling, tools: tools, toolChoice: toolChoice,
            parallelToolCalls: parallelToolCalls)
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
            switch message.value("content") {
            case nil: throw .missingParameter("\(param).content")
            case .string(let content): turns.append(ChatMessage(role: role, content: .text(content)))
            case .array(let blocks): turns += try Self.messages(role: role, blocks: blocks, param: "\(param).content")
            case let other?: throw .invalidType("\(param).content", expected: "a string or an array of content blocks", got: other)
            }
        }
        return turns
    }

    /// One turn's blocks as chat messages: a user turn's `tool_result` blocks become `tool` messages (before its text),
    /// an assistant turn's `tool_use` blocks its tool calls.
    private static func messages(role: ChatMessage.Role, blocks: [JSONValue], param: String) throws(OpenAIError) -> [ChatMessage] {
        var texts: [String] = []
        var calls: [ToolCall] = []
        var results: [ChatMessage] = []
        for (index, block) in blocks.enumerated() {
            let path = "\(param)[\(index)]"
            guard case .object(let object) = block else { throw .invalidType(path, expected: "a content block object", got: block) }
            let reader = FieldReader(object, path: path)
            switch try reader.requiredString("type") {
            case "tool_use" where role == .assistant:
                try reader.rejectUnknownKeys(["type", "id", "name", "input", "cache_control"])
                guard let input = reader.value("input"), case .object = input else {
                    throw .invalidType(reader.param("input"), expected: "an object", got: reader.value("input") ?? .null)
                }
                calls.append(ToolCall(id: try reader.requiredString("id"), name: try reader.requiredString("name"), arguments: input.jsonText))
            case "tool_result" where role == .user:
                try reader.rejectUnknownKeys(["type", "tool_use_id", "content", "is_error", "cache_control"])
                let content: String
                switch reader.value("content") {
                case nil: content = ""
                case .string(let text): content = text
                case .array(let parts): content = try text(of: parts, param: reader.param("content"))
                case let other?: throw .invalidType(reader.param("content"), expected: "a string or an array of text blocks", got: other)
                }
                let failed = try reader.bool("is_error") ?? false
                results.append(
                    ChatMessage(
                        role: .tool, content: .text(failed ? "Error: " + content : content), toolCallID: try reader.requiredString("tool_use_id")))
            default:
                texts.append(try text(of: [block], param: param, offset: index))
            }
        }
        var messages = results
        if role == .assistant {
            let text = texts.joined(separator: "\n")
            messages.append(ChatMessage(role: .assistant, content: text.isEmpty && !calls.isEmpty ? nil : .text(text), toolCalls: calls))
        } else if !texts.isEmpty || results.isEmpty {
            messages.append(ChatMessage(role: .user, content: .text(texts.joined(separator: "\n"))))
        }
        return messages
    }

    /// `tools`: client tools (`name`, `description`, `input_schema`) as functions; server tools are a 400.
    private static func tools(_ reader: FieldReader) throws(OpenAIError) -> [ChatTool] {
        guard let value = reader.value("tools") else { return [] }
        guard case .array(let items) = value else { throw .invalidType("tools", expected: "an array", got: value) }
        var tools: [ChatTool] = []
        for (index, item) in items.enumerated() {
            let path = "tools[\(index)]"
            guard case .object(let object) = item else { throw .invalidType(path, expected: "an object", got: item) }
            let tool = FieldReader(object, path: path)
            if let type = try tool.string("type"), type != "custom" {
                throw .invalidRequest(
                    "\(path).type: tools of type '\(type)' (server tools) are not supported by this server; send client tools "
                        + "with a name and an input_schema.", param: tool.param("type"), code: "unsupported_value")
            }
            try tool.rejectUnknownKeys(["type", "name", "description", "input_schema", "cache_control"])
            let name = try tool.requiredString("name")
            guard ChatTool.isValidName(name) else {
                throw .invalidRequest(
                    "\(path).name: the name must match '^[a-zA-Z0-9_-]{1,64}$'.", param: tool.param("name"), code: "invalid_value")
            }
            guard !tools.contains(where: { $0.name == name }) else {
                throw .invalidRequest("tools: the tool name '\(name)' appears twice.", param: path, code: "invalid_value")
            }
            guard let schema = tool.value("input_schema") else { throw .missingParameter(tool.param("input_schema")) }
            guard case .object = schema else { throw .invalidType(tool.param("input_schema"), expected: "an object", got: schema) }
            tools.append(ChatTool(name: name, description: try tool.string("description"), parameters: schema))
        }
        return tools
    }

    /// `tool_choice` and whether several calls may come at once.
    private static func toolChoice(_ reader: FieldReader, tools: [ChatTool]) throws(OpenAIError) -> (ToolChoice, Bool) {
        guard let choice = try reader.object("tool_choice") else { return (tools.isEmpty ? .none : .auto, true) }
        try choice.rejectUnknownKeys(["type", "name", "disable_parallel_tool_use"])
        let parallel = !(try choice.bool("disable_parallel_tool_use") ?? false)
        let type = try choice.requiredString("type")
        guard !tools.isEmpty || type == "none" else {
            throw .invalidRequest("tool_choice: a tool choice needs 'tools'.", param: "tool_choice", code: "invalid_value")
        }
        switch type {
        case "auto": return (.auto, parallel)
        case "any": return (.required, parallel)
        case "none": return (.none, parallel)
        case "tool":
            let name = try choice.requiredString("name")
            guard tools.contains(where: { $0.name == name }) else {
                throw .invalidRequest("tool_choice.name: '\(name)' is not among the 'tools'.", param: choice.param("name"), code: "invalid_value")
            }
            return (.function(name), parallel)
        default:
            throw .invalidValue(choice.param("type"), value: type, supported: ["auto", "any", "tool", "none"])
        }
    }

    /// The texts of `text` blocks, joined; any other block type is a 400 naming it.
    private static func text(of blocks: [JSONValue], param: String, offset: Int = 0) throws(OpenAIError) -> String {
        var texts: [String] = []
        for (index, block) in blocks.enumerated() {
            let path = "\(param)[\(index + offset)]"
            guard case .object(let object) = block else { throw .invalidType(path, expected: "a content block object", got: block) }
            let reader = FieldReader(object, path: path)
            let type = try reader.requiredString("type")
            guard type == "text" else {
                throw .invalidRequest(
                    "\(path).type: content blocks of type '\(type)' are not supported here by this server; send 'text' blocks "
                        + "(and 'tool_use' in assistant turns, 'tool_result' in user turns).", param: "\(path).type",
                    code: "unsupported_value")
            }
            try reader.rejectUnknownKeys(["type", "text", "cache_control", "citations"])
            texts.append(try reader.requiredString("text"))
        }
        return texts.joined(separator: "\n")
    }
}
