/// The body of `POST /v1/completions` (the legacy text completion API), validated.
///
/// `prompt` may be a string or an array of strings; each prompt gets `n` choices, numbered
/// `promptIndex * n + choiceIndex` (see ``choiceIndex(prompt:choice:)``). Token-array prompts,
/// `echo: true`, `suffix` and `best_of` other than `n` are rejected as unsupported.
public struct CompletionRequest: Sendable, Equatable {
    /// `model`.
    public var model: String
    /// `prompt`, one or more texts.
    public var prompts: [String]
    /// `max_tokens`, ≥ 1; OpenAI's default is 16.
    public var maxTokens: Int
    /// `n`, 1…8 choices per prompt.
    public var n: Int
    /// `stream`.
    public var stream: Bool
    /// `stream_options.include_usage`.
    public var includeUsage: Bool
    /// `logprobs`: how many alternatives to return per token, 0…5; `nil` for none.
    public var logprobs: Int?
    /// Sampling fields shared with chat.
    public var sampling: SamplingParameters
    /// `user`.
    public var user: String?

    /// OpenAI's default `max_tokens` for this endpoint.
    public static let defaultMaxTokens = 16
    /// The most alternatives per token for `logprobs`.
    public static let maxLogprobs = 5

    /// Creates a request directly.
    public init(
        model: String, prompts: [String], maxTokens: Int = defaultMaxTokens, n: Int = 1, stream: Bool = false, includeUsage: Bool = false,
        logprobs: Int? = nil, sampling: SamplingParameters = SamplingParameters(), user: String? = nil
    ) {
        self.model = model
        self.prompts = prompts
        self.maxTokens = maxTokens
        self.n = n
        self.stream = stream
        self.includeUsage = includeUsage
        self.logprobs = logprobs
        self.sampling = sampling
        self.user = user
    }

    /// The `index` of choice `choice` of prompt `prompt` in the response.
    public func choiceIndex(prompt: Int, choice: Int) -> Int { prompt * n + choice }

    /// The number of choices in the response.
    public var choiceCount: Int { prompts.count * n }

    static let supportedKeys: Set<String> = SamplingParameters.keys.union([
        "model", "prompt", "max_tokens", "n", "stream", "stream_options", "logprobs", "user", "echo", "suffix", "best_of",
    ])

    /// Parses and validates a request body.
    public static func decode(from body: some Collection<UInt8>) throws(OpenAIError) -> CompletionRequest {
        try CompletionRequest(reading: try FieldReader.body(body))
    }

    init(reading reader: FieldReader) throws(OpenAIError) {
        try reader.rejectUnknownKeys(Self.supportedKeys)
        model = try reader.requiredString("model")
        prompts = try Self.readPrompt(reader)
        maxTokens = try reader.integer("max_tokens", min: 1) ?? Self.defaultMaxTokens
        n = try reader.integer("n", min: 1, max: Int64(ChatCompletionRequest.maxChoices)) ?? 1
        stream = try reader.bool("stream") ?? false
        includeUsage = try RequestOptions.readIncludeUsage(reader, stream: stream)
        logprobs = try reader.integer("logprobs", min: 0, max: Int64(Self.maxLogprobs))
        sampling = try SamplingParameters(reading: reader)
        user = try reader.string("user")
        if try reader.bool("echo") == true { throw .unsupportedValue("echo", value: "true", supported: ["false"]) }
        if try reader.string("suffix") != nil { throw .unsupportedParameter("suffix") }
        if let bestOf = try reader.integer("best_of", min: 1, max: 20), bestOf != n {
            throw .unsupportedValue("best_of", value: String(bestOf), supported: ["\(n) (equal to n)"])
        }
        if prompts.count * n > 128 {
            throw .invalidRequest("Too many choices: prompts × n must be at most 128.", param: "prompt", code: "array_above_max_length")
        }
    }

    private static func readPrompt(_ reader: FieldReader) throws(OpenAIError) -> [String] {
        guard let value = reader.value("prompt") else { throw .missingParameter("prompt") }
        switch value {
        case .string(let string):
            return [string]
        case .array(let elements):
            guard !elements.isEmpty else {
                throw .invalidRequest(
                    "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "prompt",
                    code: "empty_array")
            }
            var prompts: [String] = []
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let string):
                    prompts.append(string)
                case .integer, .array:
                    throw .unsupportedValue("prompt", value: "token arrays", supported: ["a string", "an array of strings"])
                default:
                    throw .invalidType("prompt[\(index)]", expected: "a string", got: element)
                }
            }
            return prompts
        default:
            throw .invalidType("prompt", expected: "one of a string or array of strings", got: value)
        }
    }
}
