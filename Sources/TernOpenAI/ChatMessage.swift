import TernJSON

/// One message of a chat request.
///
/// Roles `system`, `developer`, `user`, `assistant` (with `tool_calls`) and `tool` (with `tool_call_id`) are
/// supported; the deprecated `function` role is rejected.
public struct ChatMessage: Sendable, Equatable {
    /// Who wrote the message.
    public enum Role: String, Sendable, CaseIterable {
        /// Instructions (older spelling).
        case system
        /// Instructions (newer spelling; templates usually treat it as `system`).
        case developer
        /// The end user.
        case user
        /// The model.
        case assistant
        /// The result of a tool call.
        case tool
    }

    /// The author role.
    public var role: Role
    /// The content; `nil` only for an assistant message sent with `"content": null`.
    public var content: ChatMessageContent?
    /// The optional participant `name`.
    public var name: String?
    /// An assistant's earlier refusal, when sent back.
    public var refusal: String?
    /// An assistant's calls, when sent back.
    public var toolCalls: [ToolCall]
    /// For a `tool` message: the id of the call it answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(
        role: Role, content: ChatMessageContent?, name: String? = nil, refusal: String? = nil, toolCalls: [ToolCall] = [],
        toolCallID: String? = nil
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.refusal = refusal
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// The text of the message: the string, or the text parts joined with `"\n"`; empty when `nil`.
    public var text: String {
        switch content {
        case nil: ""
        case .text(let text): text
        case .parts(let parts): parts.map(\.text).joined(separator: "\n")
        }
    }
}

/// The `content` of a chat message: a string, or an array of parts.
public enum ChatMessageContent: Sendable, Equatable {
    /// `"content": "…"`.
    case text(String)
    /// `"content": [{"type":"text","text":"…"}, …]`.
    case parts([ChatContentPart])
}

/// One part of an array `content`. Image, audio and file parts are rejected as unsupported.
public enum ChatContentPart: Sendable, Equatable {
    /// `{"type":"text","text":"…"}`.
    case text(String)
    /// `{"type":"refusal","refusal":"…"}` (assistant messages only).
    case refusal(String)

    /// The text of the part (a refusal's text for a refusal part).
    public var text: String {
        switch self {
        case .text(let text), .refusal(let text): text
        }
    }
}

extension ChatMessage {
    private static let roles = ["system", "assistant", "user", "function", "tool", "developer"]
    private static let nullOnlyAssistantKeys = ["function_call", "audio"]

    init(reading value: JSONValue, path: String) throws(OpenAIError) {
        guard case .object(let object) = value else { throw .invalidType(path, expected: "an object", got: value) }
        let reader = FieldReader(object, path: path)
        let roleName = try reader.requiredString("role")
        guard let role = Role(rawValue: roleName) else {
            if roleName == "function" {
                throw .unsupportedValue(reader.param("role"), value: roleName, supported: Role.allCases.map(\.rawValue))
            }
            throw .invalidValue(reader.param("role"), value: roleName, supported: Self.roles)
        }
        var known: Set<String> = ["role", "content", "name"]
        toolCalls = []
        toolCallID = nil
        if role == .tool {
            known.insert("tool_call_id")
            toolCallID = try reader.requiredString("tool_call_id")
        }
        if role == .assistant {
            // Messages sent back from a previous response carry these keys (as null / []).
            known.formUnion(["refusal", "annotations", "tool_calls"] + Self.nullOnlyAssistantKeys)
            toolCalls = try Self.readToolCalls(reader)
            try reader.rejectPresence(of: Self.nullOnlyAssistantKeys)
            refusal = try reader.string("refusal")
            if let annotations = reader.value("annotations") {
                guard case .array = annotations else {
                    throw .invalidType(reader.param("annotations"), expected: "an array", got: annotations)
                }
            }
        }
        try reader.rejectUnknownKeys(known)
        self.role = role
        name = try reader.string("name")
        content = try Self.readContent(reader, role: role)
    }

    private static func readToolCalls(_ reader: FieldReader) throws(OpenAIError) -> [ToolCall] {
        guard let value = reader.value("tool_calls") else { return [] }
        guard case .array(let elements) = value else { throw .invalidType(reader.param("tool_calls"), expected: "an array", got: value) }
        var calls: [ToolCall] = []
        for (index, element) in elements.enumerated() {
            let path = reader.param("tool_calls") + "[\(index)]"
            guard case .object(let object) = element else { throw .invalidType(path, expected: "an object", got: element) }
            let call = FieldReader(object, path: path)
            try call.rejectUnknownKeys(["id", "type", "function"])
            let type = try call.requiredString("type")
            guard type == "function" else { throw .unsupportedValue(call.param("type"), value: type, supported: ["function"]) }
            guard let function = try call.object("function") else { throw .missingParameter(call.param("function")) }
            try function.rejectUnknownKeys(["name", "arguments"])
            calls.append(
                ToolCall(
                    id: try call.requiredString("id"), name: try function.requiredString("name"), arguments: try function.requiredString("arguments"))
            )
        }
        return calls
    }

    private static func readContent(_ reader: FieldReader, role: Role) throws(OpenAIError) -> ChatMessageContent? {
        let param = reader.param("content")
        guard let value = reader.value("content") else {
            if role == .assistant { return nil }
            throw .missingParameter(param)
        }
        switch value {
        case .string(let string):
            return .text(string)
        case .array(let elements):
            guard !elements.isEmpty else {
                throw .invalidRequest(
                    "Invalid '\(param)': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: param,
                    code: "empty_array")
            }
            var parts: [ChatContentPart] = []
            for (index, element) in elements.enumerated() {
                parts.append(try readPart(element, path: "\(param)[\(index)]", role: role))
            }
            return .parts(parts)
        default:
            throw .invalidType(param, expected: "one of a string or array of objects", got: value)
        }
    }

    private static func readPart(_ value: JSONValue, path: String, role: Role) throws(OpenAIError) -> ChatContentPart {
        guard case .object(let object) = value else { throw .invalidType(path, expected: "an object", got: value) }
        let reader = FieldReader(object, path: path)
        let type = try reader.requiredString("type")
        let allowed = role == .assistant ? ["text", "refusal"] : ["text"]
        switch type {
        case "text":
            try reader.rejectUnknownKeys(["type", "text"])
            return .text(try reader.requiredString("text"))
        case "refusal" where role == .assistant:
            try reader.rejectUnknownKeys(["type", "refusal"])
            return .refusal(try reader.requiredString("refusal"))
        case "image_url", "input_audio", "file", "refusal":
            throw .unsupportedValue(reader.param("type"), value: type, supported: allowed)
        default:
            throw .invalidValue(reader.param("type"), value: type, supported: allowed)
        }
    }
}
