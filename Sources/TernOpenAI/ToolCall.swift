/// A call of a function by the model: in an answer's `message.tool_calls`, or sent back in an assistant message.
public struct ToolCall: Sendable, Equatable, Encodable {
    /// `id` (`call_…`), which the `tool` message with the result names.
    public var id: String
    /// `function.name`.
    public var name: String
    /// `function.arguments`: a JSON text.
    public var arguments: String

    /// A call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    private enum Keys: String, CodingKey { case id, type, function }
    private enum FunctionKeys: String, CodingKey { case name, arguments }

    /// `{"id":…,"type":"function","function":{"name":…,"arguments":…}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("function", forKey: .type)
        var function = container.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
        try function.encode(name, forKey: .name)
        try function.encode(arguments, forKey: .arguments)
    }
}

/// A piece of a streamed call, in `delta.tool_calls`: the first piece of a call has its id and name, the later ones
/// fragments of its arguments.
public struct ToolCallDelta: Sendable, Equatable, Encodable {
    /// Which call of the choice (0, 1, …).
    public var index: Int
    /// The call's id, in its first piece only.
    public var id: String?
    /// The function's name, in its first piece only.
    public var name: String?
    /// The next fragment of the arguments.
    public var arguments: String

    /// A piece of call `index`.
    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String) {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    private enum Keys: String, CodingKey { case index, id, type, function }
    private enum FunctionKeys: String, CodingKey { case name, arguments }

    /// As OpenAI streams them: `{"index":0,"id":…,"type":"function","function":{"name":…,"arguments":""}}`, then
    /// `{"index":0,"function":{"arguments":"…"}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(id, forKey: .id)
        if id != nil { try container.encode("function", forKey: .type) }
        var function = container.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
        try function.encodeIfPresent(name, forKey: .name)
        try function.encode(arguments, forKey: .arguments)
    }
}
