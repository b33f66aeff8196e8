public import TernJSON

/// One entry of `tools`: a function the model may call.
public struct ChatTool: Sendable, Equatable {
    /// `function.name`: letters, digits, `_` and `-`, at most 64.
    public var name: String
    /// `function.description`.
    public var description: String?
    /// `function.parameters`: the JSON Schema of the arguments; `nil` for any object.
    public var parameters: JSONValue?
    /// `function.strict`. Tern enforces the parameters either way.
    public var strict: Bool?

    /// A function tool.
    public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
    }

    /// The tool as OpenAI writes it: `{"type":"function","function":{"name",…}}`.
    public var jsonValue: JSONValue {
        var function: JSONObject = ["name": .string(name)]
        if let description { function["description"] = .string(description) }
        if let parameters { function["parameters"] = parameters }
        if let strict { function["strict"] = .bool(strict) }
        return .object(["type": .string("function"), "function": .object(function)])
    }

    /// `tools`; `flat`: the Responses API's form, the function's fields in the tool itself (`{"type":"function","name":…}`).
    static func readList(_ reader: FieldReader, flat: Bool = false) throws(OpenAIError) -> [ChatTool] {
        guard let value = reader.value("tools") else { return [] }
        guard case .array(let elements) = value else { throw .invalidType("tools", expected: "an array", got: value) }
        guard !elements.isEmpty else {
            throw .invalidRequest(
                "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "tools",
                code: "empty_array")
        }
        var tools: [ChatTool] = []
        for (index, element) in elements.enumerated() {
            let path = "tools[\(index)]"
            guard case .object(let object) = element else { throw .invalidType(path, expected: "an object", got: element) }
            let tool = FieldReader(object, path: path)
            try tool.rejectUnknownKeys(flat ? ["type", "name", "description", "parameters", "strict"] : ["type", "function"])
            let type = try tool.requiredString("type")
            guard type == "function" else { throw .unsupportedValue(tool.param("type"), value: type, supported: ["function"]) }
            let function: FieldReader
            if flat {
                function = tool
            } else {
                guard let member = try tool.object("function") else { throw .missingParameter(tool.param("function")) }
                function = member
            }
            if !flat { try function.rejectUnknownKeys(["name", "description", "parameters", "strict"]) }
            let name = try function.requiredString("name")
            guard isValidName(name) else {
                throw .invalidRequest(
                    "Invalid '\(function.param("name"))': string does not match pattern. Expected a string that matches the pattern "
                        + "'^[a-zA-Z0-9_-]{1,64}$'.", param: function.param("name"), code: "invalid_value")
            }
            guard !tools.contains(where: { $0.name == name }) else {
                throw .invalidRequest("Invalid 'tools': the function name '\(name)' appears twice.", param: path, code: "invalid_value")
            }
            let parameters = function.value("parameters")
            if let parameters, case .object = parameters {
            } else if let parameters {
                throw .invalidType(function.param("parameters"), expected: "an object", got: parameters)
            }
            tools.append(
                ChatTool(
                    name: name, description: try function.string("description"), parameters: parameters, strict: try function.bool("strict")))
        }
        return tools
    }

    /// Whether `name` matches OpenAI's `^[a-zA-Z0-9_-]{1,64}$`.
    package static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
            }
    }
}

/// `tool_choice`.
public enum ToolChoice: Sendable, Equatable {
    /// `"none"`: answer in text.
    case none
    /// `"auto"`: text or calls, the model decides.
    case auto
    /// `"required"`: one call or more.
    case required
    /// `{"type":"function","function":{"name":…}}`: a call of this function.
    case function(String)

    /// `tool_choice`; `flat`: the Responses API's form of a named function, `{"type":"function","name":…}`.
    static func read(_ reader: FieldReader, tools: [ChatTool], flat: Bool = false) throws(OpenAIError) -> ToolChoice {
        guard let value = reader.value("tool_choice") else { return tools.isEmpty ? .none : .auto }
        guard !tools.isEmpty else {
            throw .invalidRequest(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", param: "tool_choice",
                code: "invalid_value")
        }
        switch value {
        case .string("none"): return .none
        case .string("auto"): return .auto
        case .string("required"): return .required
        case .string(let other): throw .invalidValue("tool_choice", value: other, supported: ["none", "auto", "required"])
        case .object(let object):
            let choice = FieldReader(object, path: "tool_choice")
            try choice.rejectUnknownKeys(flat ? ["type", "name"] : ["type", "function"])
            let type = try choice.requiredString("type")
            guard type == "function" else { throw .unsupportedValue(choice.param("type"), value: type, supported: ["function"]) }
            let function: FieldReader
            if flat {
                function = choice
            } else {
                guard let member = try choice.object("function") else { throw .missingParameter(choice.param("function")) }
                function = member
            }
            try function.rejectUnknownKeys(flat ? ["type", "name"] : ["name"])
            let name = try function.requiredString("name")
            guard tools.contains(where: { $0.name == name }) else {
                throw .invalidRequest(
                    "Invalid value for 'tool_choice': function '\(name)' is not among the 'tools'.", param: function.param("name"),
                    code: "invalid_value")
            }
            return .function(name)
        default:
            throw .invalidType("tool_choice", expected: "a string or an object", got: value)
        }
    }
}
