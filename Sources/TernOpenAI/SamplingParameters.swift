/// The sampling fields shared by `/v1/chat/completions` and `/v1/completions`.
///
/// `nil` means "not given": the server applies its defaults (OpenAI's are temperature 1,
/// top_p 1, penalties 0). `topK`, `minP` and `repetitionPenalty` are Tern extensions.
public struct SamplingParameters: Sendable, Equatable {
    /// `temperature`, 0…2.
    public var temperature: Double?
    /// `top_p`, (0, 1].
    public var topP: Double?
    /// `top_k` (extension), ≥ 0; 0 disables it.
    public var topK: Int?
    /// `min_p` (extension), 0…1.
    public var minP: Double?
    /// `repetition_penalty` (extension), > 0; 1 disables it.
    public var repetitionPenalty: Double?
    /// `presence_penalty`, −2…2.
    public var presencePenalty: Double?
    /// `frequency_penalty`, −2…2.
    public var frequencyPenalty: Double?
    /// `logit_bias`: token id → bias, −100…100.
    public var logitBias: [Int: Double]
    /// `seed`.
    public var seed: Int64?
    /// `stop`: up to 4 non-empty strings (a single string becomes one element).
    public var stop: [String]

    /// Creates parameters; everything defaults to "not given".
    public init(
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, minP: Double? = nil, repetitionPenalty: Double? = nil,
        presencePenalty: Double? = nil, frequencyPenalty: Double? = nil, logitBias: [Int: Double] = [:], seed: Int64? = nil,
        stop: [String] = []
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.seed = seed
        self.stop = stop
    }

    /// The JSON keys read by ``init(reading:)``.
    static let keys: Set<String> = [
        "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "logit_bias", "seed",
        "stop",
    ]

    /// The most stop strings OpenAI accepts.
    public static let maxStopStrings = 4

    init(reading reader: FieldReader) throws(OpenAIError) {
        self.init()
        temperature = try reader.double("temperature", min: 0, max: 2)
        topP = try reader.double("top_p", min: 0, max: 1, exclusiveMinimum: true)
        topK = try reader.integer("top_k", min: 0)
        minP = try reader.double("min_p", min: 0, max: 1)
        repetitionPenalty = try reader.double("repetition_penalty", min: 0, exclusiveMinimum: true)
        presencePenalty = try reader.double("presence_penalty", min: -2, max: 2)
        frequencyPenalty = try reader.double("frequency_penalty", min: -2, max: 2)
        if let seed = try reader.integer("seed") { self.seed = Int64(seed) }
        logitBias = try Self.readLogitBias(reader)
        stop = try Self.readStop(reader)
    }

    private static func readLogitBias(_ reader: FieldReader) throws(OpenAIError) -> [Int: Double] {
        guard let biases = try reader.object("logit_bias") else { return [:] }
        var result: [Int: Double] = [:]
        for key in biases.object.keys.sorted() {
            guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let token = Int(key) else {
                throw .invalidRequest(
                    "Invalid key in 'logit_bias': \(key). You should only be submitting non-negative integers.", param: "logit_bias",
                    code: "invalid_value")
            }
            // `null` values are rejected rather than read as absent: a bias must be a number.
            guard let value = biases.object[key], value != .null else {
                throw .invalidType(biases.param(key), expected: "a decimal", got: .null)
            }
            result[token] = try biases.double(key, min: -100, max: 100)
        }
        return result
    }

    private static func readStop(_ reader: FieldReader) throws(OpenAIError) -> [String] {
        guard let value = reader.value("stop") else { return [] }
        switch value {
        case .string(let string):
            // A single empty string means "no stop" in OpenAI's API.
            return string.isEmpty ? [] : [string]
        case .array(let elements):
            guard elements.count <= maxStopStrings else {
                throw .invalidRequest(
                    "Invalid 'stop': array too long. Expected an array with maximum length \(maxStopStrings), "
                        + "but got an array with length \(elements.count) instead.", param: "stop", code: "array_above_max_length")
            }
            var stops: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else {
                    throw .invalidType("stop[\(index)]", expected: "a string", got: element)
                }
                guard !string.isEmpty else {
                    throw .invalidRequest(
                        "Invalid 'stop[\(index)]': empty string. Expected a string with minimum length 1, but got an empty string instead.",
                        param: "stop[\(index)]", code: "empty_string")
                }
                stops.append(string)
            }
            return stops
        default:
            throw .invalidType("stop", expected: "one of a string or array of strings", got: value)
        }
    }
}
