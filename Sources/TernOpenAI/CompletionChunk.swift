/// One streamed event of `POST /v1/completions`; OpenAI uses `"object": "text_completion"` here too.
///
/// Middle chunks have `"finish_reason": null`; with `include_usage` every chunk has
/// `"usage": null` and an extra final chunk has empty `choices` and the usage.
public struct CompletionChunk: Sendable, Equatable, Encodable {
    /// Same id in every chunk.
    public var id: String
    /// Unix time in seconds.
    public var created: Int
    /// The model id.
    public var model: String
    /// `fp_tern_…`.
    public var systemFingerprint: String?
    /// Usually one piece; empty in the usage chunk.
    public var choices: [Completion.Choice]
    /// The usage, in the final chunk only.
    public var usage: Usage?
    /// Whether the `usage` key is written (as `null` when `usage` is `nil`).
    public var includesUsageKey: Bool

    /// Creates a chunk.
    public init(
        id: String, created: Int, model: String, systemFingerprint: String?, choices: [Completion.Choice], usage: Usage? = nil,
        includesUsageKey: Bool = false
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
        self.includesUsageKey = includesUsageKey || usage != nil
    }

    /// Encodes OpenAI's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Completion.Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode("text_completion", forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        if includesUsageKey { try container.encode(usage, forKey: .usage) }
    }
}
