/// The body of `POST /v1/chat/completions`, validated.
///
/// Decode with ``decode(from:)``; every field is checked and a field Tern does not implement
/// (tools, audio, …) is rejected with a 400 that names it,
/// never ignored.
///
/// ```swift
/// let request = try ChatCompletionRequest.decode(from: body)   // throws OpenAIError
/// let limit = request.maxCompletionTokens ?? request.maxTokens
/// ```
///
/// Decisions where OpenAI's behaviour depends on account features:
/// - `service_tier`: `"auto"` and `"default"` are accepted (there is one tier); others are rejected.
/// - `store`: only `false` is accepted; completions are not stored.
/// - `metadata`: accepted (≤ 16 string pairs, like OpenAI) and exposed; it is not stored.
/// - `user`, `safety_identifier`, `prompt_cache_key`: accepted opaque strings.
/// - `functions`, `function_call` (the deprecated form of tools), `audio`, `prediction`, `web_search_options`,
///   `reasoning_effort`, `verbosity`: rejected when present.
public struct ChatCompletionRequest: Sendable, Equatable {
    /// `model`.
    public var model: String
    /// `messages`, at least one.
    public var messages: [ChatMessage]
    /// `max_tokens` (deprecated spelling), ≥ 1.
    public var maxTokens: Int?
    /// `max_completion_tokens`, ≥ 1.
    public var maxCompletionTokens: Int?
    /// `n`, 1…8 choices.
    public var n: Int
    /// `stream`.
    public var stream: Bool
    /// `stream_options.include_usage`: send a final chunk with usage.
    public var includeUsage: Bool
    /// `logprobs`: return log probabilities of the output tokens.
    public var logprobs: Bool
    /// `top_logprobs`, 0…20; requires `logprobs`.
    public var topLogprobs: Int?
    /// `temperature`, `top_p`, penalties, `logit_bias`, `seed`, `stop` and the extensions.
    public var sampling: SamplingParameters
    /// `user`.
    public var user: String?
    /// `metadata`.
    public var metadata: [String: String]
    /// `service_tier` as sent (`auto` or `default`).
    public var serviceTier: String?
    /// `response_format`: text, a JSON object, or JSON following a schema.
    public var responseFormat: ResponseFormat
    /// `tools`: the functions the model may call.
    public var tools: [ChatTool]
    /// `tool_choice`; `.none` without tools, `.auto` by default with them.
    public var toolChoice: ToolChoice
    /// `parallel_tool_calls` (default `true`): whether an answer may hold more than one call.
    public var parallelToolCalls: Bool

    /// Creates a request directly (for tests and internal callers).
    public init(
        model: String, messages: [ChatMessage], maxTokens: Int? = nil, maxCompletionTokens: Int? = nil, n: Int = 1, stream: Bool = false,
        includeUsage: Bool = false, logprobs: Bool = false, topLogprobs: Int? = nil, sampling: SamplingParameters = SamplingParameters(),
        user: String? = nil, metadata: [String: String] = [:], serviceTier: String? = nil, responseFormat: ResponseFormat = .text,
        tools: [ChatTool] = [], toolChoice: ToolChoice = .none, parallelToolCalls: Bool = true
    ) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.n = n
        self.stream = stream
        self.includeUsage = includeUsage
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.sampling = sampling
        self.user = user
        self.metadata = metadata
        self.serviceTier = serviceTier
        self.responseFormat = responseFormat
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
    }

    /// The completion-token limit asked for: `max_completion_tokens`, else `max_tokens`, else `nil`.
    public var completionTokenLimit: Int? { maxCompletionTokens ?? maxTokens }

    /// The most choices per request.
    public static let maxChoices = 8
    /// The most alternatives per token for `top_logprobs`.
    public static let maxTopLogprobs = 20

    static let supportedKeys: Set<String> = SamplingParameters.keys.union([
        "model", "messages", "max_tokens", "max_completion_tokens", "n", "stream", "stream_options", "logprobs", "top_logprobs", "user",
        "metadata", "service_tier", "store", "modalities", "response_format", "safety_identifier", "prompt_cache_key",
        "tools", "tool_choice", "parallel_tool_calls",
    ])

    /// Parameters OpenAI defines that Tern rejects when present (and not `null`).
    public static let unsupportedKeys: [String] = [
        "functions", "function_call", "audio", "prediction", "web_search_options", "reasoning_effort", "verbosity",
    ]

    /// Parses and validates a request body.
    ///
    /// - Parameter defaultModel: the model when the body names none (llama.cpp's `/apply-template` needs no `model`);
    ///   nil makes `model` required.
    public static func decode(from body: some Collection<UInt8>, defaultModel: String? = nil) throws(OpenAIError) -> ChatCompletionRequest {
        try ChatCompletionRequest(reading: try FieldReader.body(body), defaultModel: defaultModel)
    }

    init(reading reader: FieldReader, defaultModel: String? = nil) throws(OpenAIError) {
        try reader.rejectUnknownKeys(Self.supportedKeys.union(Self.unsupportedKeys))
        try reader.rejectPresence(of: Self.unsupportedKeys)
        if let defaultModel {
            model = try reader.string("model") ?? defaultModel
        } else {
            model = try reader.requiredString("model")
        }
        messages = try Self.readMessages(reader)
        maxTokens = try reader.integer("max_tokens", min: 1)
        maxCompletionTokens = try reader.integer("max_completion_tokens", min: 1)
        if let maxTokens, let maxCompletionTokens, maxTokens != maxCompletionTokens {
            throw .invalidRequest(
                "'max_tokens' and 'max_completion_tokens' disagree; set only 'max_completion_tokens'.", param: "max_tokens",
                code: "invalid_value")
        }
        n = try reader.integer("n", min: 1, max: Int64(Self.maxChoices)) ?? 1
        stream = try reader.bool("stream") ?? false
        includeUsage = try RequestOptions.readIncludeUsage(reader, stream: stream)
        logprobs = try reader.bool("logprobs") ?? false
        topLogprobs = try reader.integer("top_logprobs", min: 0, max: Int64(Self.maxTopLogprobs))
        if topLogprobs != nil, !logprobs {
            throw .invalidRequest(
                "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is given.", param: "top_logprobs",
                code: "invalid_value")
        }
        sampling = try SamplingParameters(reading: reader)
        user = try reader.string("user")
        _ = try reader.string("safety_identifier")
        _ = try reader.string("prompt_cache_key")
        metadata = try RequestOptions.readMetadata(reader)
        serviceTier = try RequestOptions.readServiceTier(reader)
        try RequestOptions.readStore(reader)
        try Self.readModalities(reader)
        responseFormat = try ResponseFormat.read(reader)
        tools = try ChatTool.readList(reader)
        toolChoice = try ToolChoice.read(reader, tools: tools)
        parallelToolCalls = try reader.bool("parallel_tool_calls") ?? true
        if toolChoice != .none, responseFormat != .text {
            throw .invalidRequest(
                "'response_format' other than text cannot be combined with tool calls; set 'tool_choice' to 'none' or leave out 'response_format'.",
                param: "response_format", code: "invalid_value")
        }
    }

    private static func readMessages(_ reader: FieldReader) throws(OpenAIError) -> [ChatMessage] {
        guard let value = reader.value("messages") else { throw .missingParameter("messages") }
        guard case .array(let elements) = value else { throw .invalidType("messages", expected: "an array", got: value) }
        guard !elements.isEmpty else {
            throw .invalidRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                param: "messages", code: "empty_array")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            messages.append(try ChatMessage(reading: element, path: "messages[\(index)]"))
        }
        return messages
    }

    private static func readModalities(_ reader: FieldReader) throws(OpenAIError) {
        guard let value = reader.value("modalities") else { return }
        guard case .array(let elements) = value else { throw .invalidType("modalities", expected: "an array", got: value) }
        for (index, element) in elements.enumerated() {
            guard case .string(let modality) = element else { throw .invalidType("modalities[\(index)]", expected: "a string", got: element) }
            guard modality == "text" else { throw .unsupportedValue("modalities", value: modality, supported: ["text"]) }
        }
    }
}
