/// One plain-text chat message as a template sees it: `{"role": …, "content": …}`.
///
/// Messages with tool calls or structured content go through ``ChatTemplate/render(context:)`` as ``TemplateValue``s.
public struct ChatMessage: Sendable, Equatable {
    /// The speaker: `system`, `user`, `assistant`, `tool`, ….
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// The message as the object that templates index (`message['role']`, `message.content`).
    public var templateValue: TemplateValue {
        .object(["role": .string(role), "content": .string(content)])
    }
}
