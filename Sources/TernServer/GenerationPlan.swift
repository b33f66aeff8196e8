import TernEngine
import TernGrammar
import TernOpenAI
import TernScheduler

/// The sequences one API request asks for: each prompt × `n`, with sampling, limits and stop strings.
///
/// Built from a validated OpenAI request; checks what only the server can check (the context length, token ids
/// in `logit_bias`) and submits every sequence to the scheduler at once, so that a refusal happens before any
/// response is sent.
struct GenerationPlan: Sendable {
    /// One sequence to run.
    struct Sequence: Sendable {
        /// Index of the choice in the response.
        var choice: Int
        /// Index of the prompt it continues.
        var prompt: Int
        /// What the scheduler runs.
        var request: GenerationRequest
    }

    /// The sequences, in choice order.
    var sequences: [Sequence]
    /// Token count of each prompt.
    var promptTokens: [Int]
    /// Stop strings, applied to the text of every choice.
    var stops: [String]

    /// Plans `n` choices for each of `prompts`.
    ///
    /// - Parameters:
    ///   - maxTokens: the client's limit, or nil for `defaultMaxTokens` or the rest of the context, whichever is less.
    ///   - defaults: sampling values for the fields the client left out.
    ///   - capacity: sequences the scheduler can hold, running and queued; a request for more is refused as invalid,
    ///     not as overloaded, since retrying could never help.
    ///   - contextParam: `messages` or `prompt`, named in a context-length error.
    static func make(
        prompts: [[Int32]], n: Int, maxTokens: Int?, defaultMaxTokens: Int = .max, sampling: TernOpenAI.SamplingParameters,
        defaults: SamplingDefaults, topLogprobs: Int?, contextLength: Int, capacity: Int, vocabularySize: Int, contextParam: String,
        grammar: TokenGrammar? = nil
    ) throws(OpenAIError) -> GenerationPlan {
        guard prompts.count * n <= capacity else {
            let asked = prompts.count > 1 ? "\(prompts.count) prompts × n = \(n)" : "n = \(n)"
            throw .invalidRequest(
                "This request asks for \(prompts.count * n) completions (\(asked)); this server holds at most \(capacity) at a time, "
                    + "running and queued. Ask for fewer completions per request.", param: prompts.count > 1 ? contextParam : "n")
        }
        var sequences: [Sequence] = []
        for (promptIndex, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else {
                throw .invalidRequest("The prompt is empty after tokenization.", param: contextParam, code: "empty_prompt")
            }
            // Prompts are tokenized only up to one token past the context: all that is known is that it is too long.
            guard prompt.count <= contextLength else { throw .promptTooLong(limit: contextLength, param: contextParam) }
            let limit = maxTokens ?? max(1, min(defaultMaxTokens, contextLength - prompt.count))
            guard prompt.count + limit <= contextLength else {
                throw .contextLengthExceeded(promptTokens: prompt.count, completionTokens: limit, limit: contextLength, param: contextParam)
            }
            for choice in 0..<n {
                let engineSampling = try Self.engineSampling(sampling, defaults: defaults, choice: choice, vocabularySize: vocabularySize)
                let request = GenerationRequest(
                    prompt: prompt, sampling: engineSampling, maxTokens: limit, topLogprobs: topLogprobs, grammar: grammar)
                sequences.append(Sequence(choice: promptIndex * n + choice, prompt: promptIndex, request: request))
            }
        }
        return GenerationPlan(sequences: sequences, promptTokens: prompts.map(\.count), stops: sampling.stop)
    }

    /// OpenAI's parameters as the engine's: what the request sets, else `defaults`, else off (temperature 1, top_p 1, no
    /// penalties).
    ///
    /// With a seed, choice `k` uses `seed + k` so that the `n` choices differ but each is reproducible.
    static func engineSampling(
        _ sampling: TernOpenAI.SamplingParameters, defaults: SamplingDefaults, choice: Int, vocabularySize: Int
    ) throws(OpenAIError) -> TernEngine.SamplingParameters {
        var bias: [Int32: Float] = [:]
        for (token, value) in sampling.logitBias {
            guard token < vocabularySize else {
                throw .invalidRequest(
                    "Invalid 'logit_bias': token id \(token) is out of range; this model's vocabulary has \(vocabularySize) tokens.",
                    param: "logit_bias", code: "invalid_value")
            }
            bias[Int32(token)] = Float(value)
        }
        var parameters = TernEngine.SamplingParameters()
        defaults.apply(to: &parameters)
        if let temperature = sampling.temperature { parameters.temperature = Float(temperature) }
        if let topP = sampling.topP { parameters.topP = Float(topP) }
        if let topK = sampling.topK { parameters.topK = topK }
        if let minP = sampling.minP { parameters.minP = Float(minP) }
        if let penalty = sampling.repetitionPenalty { parameters.repetitionPenalty = Float(penalty) }
        parameters.presencePenalty = Float(sampling.presencePenalty ?? 0)
        parameters.frequencyPenalty = Float(sampling.frequencyPenalty ?? 0)
        parameters.logitBias = bias
        parameters.seed = sampling.seed.map { UInt64(bitPattern: $0) &+ UInt64(choice) }
        do {
            try parameters.validate(vocabularySize: vocabularySize)
        } catch {
            throw .invalidRequest("Invalid '\(Self.wireName(error.parameter))': \(error.message)", param: Self.wireName(error.parameter))
        }
        return parameters
    }

    /// The request field behind an engine parameter.
    static func wireName(_ parameter: TernEngine.SamplingParameters.ValidationError.Parameter) -> String {
        switch parameter {
        case .temperature: "temperature"
        case .topK: "top_k"
        case .topP: "top_p"
        case .minP: "min_p"
        case .repetitionPenalty, .repetitionWindow: "repetition_penalty"
        case .presencePenalty: "presence_penalty"
        case .frequencyPenalty: "frequency_penalty"
        case .logitBias: "logit_bias"
        }
    }
}
