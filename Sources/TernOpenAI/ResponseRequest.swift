import TernJSON

/// The body of `POST /v1/responses`, OpenAI's Responses API, read into what Tern runs.
///
/// Supported: `model`, `input` (text, or message items with roles `user`, `assistant`, `system`, `developer` and content
/// as text or `input_text`/`output_text` parts), `instructions`, `max_output_tokens`, `temperature`, `top_p`, `stream`,
/// `store` (default true), `previous_response_id`, `text.format` (`text`, `json_object`, `json_schema`), function
/// `tools` with `tool_choice` and `parallel_tool_calls`, `function_call` and `function_call_output` input items,
/// `metadata`, `user`. Anything Tern cannot honour yet (`reasoning`, built-in tools, images, files) is a 400 naming it.
public struct ResponseRequest: Sendable, Equatable {
    /// The model asked for.
    public var model: String
    /// The new turns, in order (`input` as text is one user message).
    public var input: [ChatMessage]
    /// `instructions`: a system message before everything else; not carried over by `previous_response_id`.
    public var instructions: String?
    /// `max_output_tokens`.
    public var maxOutputTokens: Int?
    /// `temperature` and `top_p`.
    public var sampling: SamplingParameters
    /// `stream`.
    public var stream: Bool
    /// `store`: whether the response is kept, to be read back or continued.
    public var store: Bool
    /// `previous_response_id`: the stored response whose conversation this one continues.
    public var previousResponseID: String?
    /// `text.format`.
    public var format: ResponseFormat
    /// `metadata`: up to 16 string pairs, echoed back.
    public var metadata: [String: String]
    /// `tools` (functions).
    public var tools: [ChatTool] = []
    /// `tool_choice`.
    public var toolChoice: ToolChoice = .none
    /// `parallel_tool_calls`.
    public var parallelToolCalls = true

    static let keys: Set<String> = [
        "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "stream", "store", "previous_response_id", "text",
        "metadata", "user", "truncation", "include", "parallel_tool_calls", "service_tier", "safety_identifier", "prompt_cache_key", "tools",
        "tool_choice",
    ]
    static let unsupported = ["reasoning", "background", "conversation", "prompt", "top_logprobs", "max_tool_calls"]

    /// Parses and validates a request body.
    public static func decode(from body: some Collection<UInt8>) throws(OpenAIError) -> ResponseRequest {
        let reader = try FieldReader.body(body)
        try reader.rejectUnknownKeys(keys.union(unsupported))
        for key in unsupported where reader.value(key) != nil {
            throw .invalidRequest(
                "'\(key)' is not supported on /v1/responses by this server yet; leave it out.", param: key, code: "unsupported_parameter")
        }
        if let truncation = try reader.string("truncation"), !["auto", "disabled"].contains(truncation) {
            throw .unsupportedValue("truncation", value: truncation, supported: ["auto", "disabled"])
        }
        _ = try reader.string("user")
        // An empty tools list asks for nothing.
        let tools =
            if case .array(let list)? = reader.value("tools"), list.isEmpty { [ChatTool]() } else { try ChatTool.readList(reader, flat: true) }
        var request = ResponseRequest(
            model: try reader.requiredString("model"), input: try Self.input(reader), instructions: try reader.string("instructions"),
            maxOutputTokens: try reader.integer("max_output_tokens", min: 1),
            sampling: SamplingParameters(
                temperature: try reader.double("temperature", min: 0, max: 2), topP: try reader.double("top_p", min: 0, max: 1)),
            stream: try reader.bool("stream") ?? false, store: try reader.bool("store") ?? true,
            previousResponseID: try reader.string("previous_response_id"), format: try Self.format(reader),
            metadata: try Self.metadata(reader))
        request.tools = tools
        request.toolChoice = try ToolChoice.read(reader, tools: tools, flat: true)
        request.parallelToolCalls = try reader.bool("parallel_tool_calls") ?? true
        if request.toolChoice != .none, request.format != .text {
            throw .invalidRequest(
                "'text.format' other than text cannot be combined with tool calls; set 'tool_choice' to 'none' or leave out 'text.format'.",
                param: "text.format", code: "invalid_value")
        }
        return request
    }

    /// The request as a chat request over `history` (the turns of the response it continues) and its own input.
    public func chatRequest(after history: [ChatMessage] = []) -> ChatCompletionRequest {
        var messages = history + input
        if let instructions { messages.insert(ChatMessage(role: .system, content: .text(instructions)), at: 0) }
        return ChatCompletionRequest(
            model: model, messages: messages, maxCompletionTokens: maxOutputTokens, stream: stream, sampling: sampling, responseFormat: format,
            tools: tools, toolChoice: toolChoice, parallelToolCalls: parallelToolCalls)
    }

    private static func input(_ reader: FieldReader) throws(OpenAIError) -> [ChatMessage] {
        switch reader.value("input") {
        case nil:
            throw .missingParameter("input")
        case .string(let text):
            return [ChatMessage(role: .user, content: .text(text))]
        case .array(let items):
            var messages: [ChatMessage] = []
            for (index, item) in items.enumerated() {
                let path = "input[\(index)]"
                guard case .object(let object) = item else { throw .invalidType(path, expected: "an input item object", got: item) }
                let message = FieldReader(object, path: path)
                switch try message.string("type") ?? "message" {
                case "message":
                    try message.rejectUnknownKeys(["type", "role", "content", "id", "status"])
                    let roles: [String: ChatMessage.Role] = ["user": .user, "assistant": .assistant, "system": .system, "developer": .developer]
                    let roleName = try message.requiredString("role")
                    guard let role = roles[roleName] else { throw .invalidValue("\(path).role", value: roleName, supported: roles.keys.sorted()) }
                    messages.append(ChatMessage(role: role, content: .text(try Self.text(message, path: path))))
                case "function_call":
                    try message.rejectUnknownKeys(["type", "id", "call_id", "name", "arguments", "status"])
                    let call = ToolCall(
                        id: try message.requiredString("call_id"), name: try message.requiredString("name"),
                        arguments: try message.requiredString("arguments"))
                    // Calls of one turn go into one assistant message, as the chat template expects them.
                    if let last = messages.last, last.role == .assistant, !last.toolCalls.isEmpty {
                        messages[messages.count - 1].toolCalls.append(call)
                    } else {
                        messages.append(ChatMessage(role: .assistant, content: nil, toolCalls: [call]))
                    }
                case "function_call_output":
                    try message.rejectUnknownKeys(["type", "id", "call_id", "output", "status"])
                    messages.append(
                        ChatMessage(
                            role: .tool, content: .text(try message.requiredString("output")), toolCallID: try message.requiredString("call_id")))
                case let type:
                    throw .invalidRequest(
                        "\(path).type: input items of type '\(type)' are not supported by this server yet; send messages and function call items.",
                        param: "\(path).type", code: "unsupported_value")
                }
            }
            guard !messages.isEmpty else { throw .invalidRequest("'input' is an empty array; send at least one message.", param: "input") }
            return messages
        case let other?:
            throw .invalidType("input", expected: "a string or an array of input items", got: other)
        }
    }

    /// A message item's text: its content string, or its text parts joined.
    private static func text(_ message: FieldReader, path: String) throws(OpenAIError) -> String {
        switch message.value("content") {
        case nil:
            throw .missingParameter("\(path).content")
        case .string(let text):
            return text
        case .array(let parts):
            var texts: [String] = []
            for (index, part) in parts.enumerated() {
                let partPath = "\(path).content[\(index)]"
                guard case .object(let object) = part else { throw .invalidType(partPath, expected: "a content part object", got: part) }
                let reader = FieldReader(object, path: partPath)
                let type = try reader.requiredString("type")
                guard type == "input_text" || type == "output_text" else {
                    throw .invalidRequest(
                        "\(partPath).type: content parts of type '\(type)' are not supported by this server; send 'input_text'.",
                        param: "\(partPath).type", code: "unsupported_value")
                }
                try reader.rejectUnknownKeys(["type", "text", "annotations", "logprobs"])
                texts.append(try reader.requiredString("text"))
            }
            return texts.joined(separator: "\n")
        case let other?:
            throw .invalidType("\(path).content", expected: "a string or an array of content parts", got: other)
        }
    }

    /// `text.format`, flat as the Responses API writes it (`{"type":"json_schema","name":…,"schema":…}`).
    private static func format(_ reader: FieldReader) throws(OpenAIError) -> ResponseFormat {
        guard let text = try reader.object("text") else { return .text }
        try text.rejectUnknownKeys(["format", "verbosity"])
        guard let format = try text.object("format") else { return .text }
        switch try format.requiredString("type") {
        case "text":
            return .text
        case "json_object":
            return .jsonObject
        case "json_schema":
            try format.rejectUnknownKeys(["type", "name", "description", "schema", "strict"])
            let name = try format.requiredString("name")
            guard ChatTool.isValidName(name) else {
                throw .invalidRequest(
                    "Invalid 'text.format.name': it must match '^[a-zA-Z0-9_-]{1,64}$'.", param: "text.format.name", code: "invalid_value")
            }
            guard let schema = format.value("schema"), case .object = schema else { throw .missingParameter("text.format.schema") }
            return .jsonSchema(
                ResponseFormat.JSONSchemaFormat(
                    name: name, description: try format.string("description"), schema: schema, strict: try format.bool("strict")))
        case let other:
            throw .unsupportedValue("text.format.type", value: other, supported: ["text", "json_object", "json_schema"])
        }
    }

    private static func metadata(_ reader: FieldReader) throws(OpenAIError) -> [String: String] {
        guard let object = try reader.object("metadata") else { return [:] }
        var pairs: [String: String] = [:]
        for key in object.object.keys {
            guard let value = try object.string(key) else { continue }
            pairs[key] = value
        }
        guard pairs.count <= 16 else { throw .invalidRequest("'metadata' holds at most 16 pairs.", param: "metadata") }
        return pairs
    }
}
