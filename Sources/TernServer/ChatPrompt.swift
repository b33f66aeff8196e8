import TernEngine
import TernGrammar
import TernJSON
import TernOpenAI
import TernTokenizer

/// The messages and variables a chat template renders for one request, tools included.
///
/// A template that writes tool calls itself (``ToolCallFormat/native(in:)``: Qwen 2.5 and 3, Hermes, Llama 3.x, Mistral) gets
/// the `tools` variable and the messages with their `tool_calls` (arguments as objects, as transformers passes them)
/// and `tool_call_id`. Any other template gets the generic form: the tools and how to call them described in the system
/// message, earlier calls written into the assistant's text and results as user messages, so that it needs nothing
/// it does not know.
struct ChatPrompt {
    var messages: [TemplateValue]
    var extra: [String: TemplateValue]

    /// Whether `template` writes tool calls itself.
    static func isNative(_ template: ChatTemplate?) -> Bool {
        template.map { ToolCallFormat.native(in: $0.source) != nil } ?? false
    }

    /// The form calls are written in: the template's own, or the generic prompt's Hermes form.
    static func format(of template: ChatTemplate?) -> ToolCallFormat {
        template.flatMap { ToolCallFormat.native(in: $0.source) } ?? .hermes
    }

    /// The prompt for `chat` and a template that is `native` or not. `instructionsInUserMessage`: the generic form's
    /// tool instructions go at the start of the first user message instead of the system message (for templates that
    /// refuse a system role, such as Gemma 2's). `callIDLength`: the length of the letters-and-digits call ids the
    /// template requires (Mistral's); other ids are replaced by such ids derived from them (``fittedCallID(_:length:)``).
    /// `builtins`: Llama 3.1's built-in tools among the functions, for its template's `builtin_tools`.
    init(
        _ chat: ChatCompletionRequest, native: Bool, instructionsInUserMessage: Bool = false, callIDLength: Int? = nil, builtins: [String] = []
    ) {
        extra = [:]
        var values: [TemplateValue] = []
        let describeTools = Self.describesTools(chat, native: native)
        if native && !chat.tools.isEmpty {
            extra["tools"] = .array(chat.tools.map { Self.templateValue($0.jsonValue) })
            if !builtins.isEmpty { extra["builtin_tools"] = .array(builtins.map { .string($0) }) }
        }
        for message in chat.messages {
            values.append(native ? Self.native(message, callIDLength: callIDLength) : Self.generic(message))
        }
        if describeTools {
            let instructions = Self.instructions(for: chat.tools)
            if instructionsInUserMessage, let index = values.firstIndex(where: { Self.role(of: $0) == "user" }),
                case .object(var user) = values[index]
            {
                let text = if case .string(let text)? = user["content"] { text } else { "" }
                user["content"] = .string(instructions + "\n\n" + text)
                values[index] = .object(user)
            } else if case .object(var first)? = values.first, first["role"] == .string("system") {
                let text = if case .string(let text)? = first["content"] { text } else { "" }
                first["content"] = .string(text.isEmpty ? instructions : text + "\n\n" + instructions)
                values[0] = .object(first)
            } else {
                values.insert(["role": "system", "content": .string(instructions)], at: 0)
            }
        }
        messages = values
    }

    /// The prompt text of `chat` for `model`: its template rendered with the tools in the template's form, thinking
    /// switched on where the template reads it; 400 when the template cannot render the messages.
    static func text(for chat: ChatCompletionRequest, model: LoadedModel) throws(OpenAIError) -> String {
        let template = model.chatTemplate
        let native = isNative(template)
        let callIDLength = native ? format(of: template).callIDLength : nil
        let builtins = try Self.builtins(of: chat, template: template)
        func render(_ prompt: ChatPrompt) throws -> String {
            try model.renderChat(messageValues: prompt.messages, extra: prompt.extra.merging(Reasoning.variables(for: template)) { $1 })
        }
        do {
            do {
                let builtinNames = chat.tools.map(\.name).filter { builtins[$0] != nil }
                return try render(ChatPrompt(chat, native: native, callIDLength: callIDLength, builtins: builtinNames))
            } catch  where describesTools(chat, native: native) {
                // The template may refuse the system message that carries the tool instructions.
                return try render(ChatPrompt(chat, native: native, instructionsInUserMessage: true))
            }
        } catch {
            throw .invalidRequest("The messages could not be rendered with the model's chat template: \(error).", param: "messages")
        }
    }

    /// Llama 3.1's built-in tools (``LlamaBuiltinTools``) among the request's functions, when the template is Llama's
    /// and knows them (it reads `builtin_tools`) and the model may call them (not `tool_choice: none`), as
    /// ``ToolCallFormat/builtins`` has them; 400 naming the function whose parameters such a call cannot write.
    static func builtins(of chat: ChatCompletionRequest, template: ChatTemplate?) throws(OpenAIError) -> [String: [String]] {
        guard let source = template?.source, !chat.tools.isEmpty, chat.toolChoice != .none, ToolCallFormat.native(in: source) == .llama3,
            source.contains("builtin_tools")
        else { return [:] }
        do {
            return try LlamaBuiltinTools.builtins(among: chat.tools.map { ToolCallGrammar.Function(name: $0.name, parameters: $0.parameters) })
        } catch {
            throw .invalidRequest(
                "Invalid schema for function '\(chat.tools[error.index].name)': \(error.error.message) (at \(error.error.path)).",
                param: "tools[\(error.index)].function.parameters", code: "invalid_function_parameters")
        }
    }

    /// Whether the generic form added tool instructions (and so may be rendered again another way).
    static func describesTools(_ chat: ChatCompletionRequest, native: Bool) -> Bool {
        !native && !chat.tools.isEmpty && chat.toolChoice != .none
    }

    static func role(of message: TemplateValue) -> String? {
        if case .object(let object) = message, case .string(let role)? = object["role"] { role } else { nil }
    }

    /// How the generic form tells a model about its tools.
    static func instructions(for tools: [ChatTool]) -> String {
        var lines = ["You can call these functions (JSON Schema of their arguments):"]
        for tool in tools {
            var entry: JSONObject = ["name": .string(tool.name)]
            if let description = tool.description { entry["description"] = .string(description) }
            entry["parameters"] = tool.parameters ?? .object(["type": .string("object")])
            lines.append(JSONValue.object(entry).jsonText)
        }
        lines.append(
            "To call a function, answer with <tool_call>{\"name\": \"function name\", \"arguments\": {…}}</tool_call>. "
                + "The result comes back in <tool_response></tool_response>.")
        return lines.joined(separator: "\n")
    }

    static func role(_ message: TernOpenAI.ChatMessage) -> String {
        message.role == .developer ? "system" : message.role.rawValue
    }

    static func native(_ message: TernOpenAI.ChatMessage, callIDLength: Int? = nil) -> TemplateValue {
        let fitted = { (id: String) in callIDLength.map { fittedCallID(id, length: $0) } ?? id }
        var object: TemplateObject = ["role": .string(role(message))]
        object["content"] = message.content == nil ? TemplateValue.none : .string(message.text)
        if let name = message.name { object["name"] = .string(name) }
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(
                message.toolCalls.map { call in
                    // Templates index the arguments (`tool_call.arguments | tojson`): an object when they parse.
                    let arguments = (try? JSONValue.parse(Array(call.arguments.utf8))).map(templateValue) ?? .string(call.arguments)
                    return [
                        "id": .string(fitted(call.id)), "type": "function", "function": ["name": .string(call.name), "arguments": arguments],
                    ]
                })
        }
        if let id = message.toolCallID { object["tool_call_id"] = .string(fitted(id)) }
        return .object(object)
    }

    /// `id` when it is `length` ASCII letters and digits, else `length` base62 characters of its FNV-1a hash: the same
    /// for a call and its result, and in every request that sends them back.
    static func fittedCallID(_ id: String, length: Int) -> String {
        let alphanumeric = id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        if id.utf8.count == length && alphanumeric { return id }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var characters: [Character] = []
        for _ in 0..<length {
            characters.append(alphabet[Int(hash % 62)])
            hash /= 62
        }
        return String(characters)
    }

    static func generic(_ message: TernOpenAI.ChatMessage) -> TemplateValue {
        switch message.role {
        case .tool:
            return ["role": "user", "content": .string("<tool_response>\n\(message.text)\n</tool_response>")]
        case .assistant where !message.toolCalls.isEmpty:
            var text = message.text
            for call in message.toolCalls {
                let arguments = (try? JSONValue.parse(Array(call.arguments.utf8)))?.jsonText ?? call.arguments
                var name = ""
                JSONValue.appendQuoted(call.name, to: &name)
                if !text.isEmpty { text += "\n" }
                text += "<tool_call>\n{\"name\": \(name), \"arguments\": \(arguments)}\n</tool_call>"
            }
            return ["role": "assistant", "content": .string(text)]
        default:
            var object: TemplateObject = ["role": .string(role(message)), "content": .string(message.text)]
            if let name = message.name { object["name"] = .string(name) }
            return .object(object)
        }
    }

    /// A JSON value as the template sees it (objects keep their order).
    static func templateValue(_ value: JSONValue) -> TemplateValue {
        switch value {
        case .null: .none
        case .bool(let value): .bool(value)
        case .integer(let value): .int(Int(value))
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let elements): .array(elements.map(templateValue))
        case .object(let members): .object(TemplateObject(members.map { ($0.key, templateValue($0.value)) }))
        }
    }
}
