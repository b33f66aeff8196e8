/// How a ``Sampler`` turns a row of logits into the next token.
///
/// The chain runs in this order (see ``Sampler`` for why):
/// logit bias → repetition, presence and frequency penalties → (temperature 0: argmax) → top-k → temperature →
/// softmax → top-p → min-p → draw.
///
/// ```swift
/// let parameters = SamplingParameters(temperature: 0.7, topP: 0.9, seed: 42)
/// try parameters.validate(vocabularySize: 49152)
/// let sampler = Sampler(parameters: parameters, vocabularySize: 49152)
/// ```
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits before the softmax; `0` picks the most likely token (greedy).
    public var temperature: Float = 1.0
    /// Keeps only the `topK` most likely tokens; `0` turns top-k off.
    public var topK: Int = 0
    /// Keeps the smallest set of most likely tokens whose probability mass reaches `topP` (nucleus); `1` turns it off.
    public var topP: Float = 1.0
    /// Drops tokens whose probability is below `minP` times that of the most likely token; `0` turns it off.
    public var minP: Float = 0.0
    /// llama.cpp-style repetition penalty over the last ``repetitionWindow`` tokens (prompt included):
    /// positive logits are divided by it, negative ones multiplied; `1` turns it off.
    public var repetitionPenalty: Float = 1.0
    /// How many of the most recent tokens the repetition penalty looks at; `0` turns it off.
    public var repetitionWindow: Int = 64
    /// OpenAI presence penalty: subtracted once from the logit of every token generated so far.
    public var presencePenalty: Float = 0
    /// OpenAI frequency penalty: subtracted from a token's logit once per time it was generated so far.
    public var frequencyPenalty: Float = 0
    /// Added to the logits of the given token ids before anything else (OpenAI `logit_bias`):
    /// `-100` effectively bans a token, `+100` effectively forces it.
    public var logitBias: [Int32: Float] = [:]
    /// Seed of the random generator; the same seed, parameters and logits give the same tokens.
    /// `nil` seeds from the system's random generator.
    public var seed: UInt64? = nil

    /// Always picks the most likely token.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Creates parameters; every argument defaults to "off" (plain sampling at temperature 1).
    public init(
        temperature: Float = 1.0,
        topK: Int = 0,
        topP: Float = 1.0,
        minP: Float = 0.0,
        repetitionPenalty: Float = 1.0,
        repetitionWindow: Int = 64,
        presencePenalty: Float = 0,
        frequencyPenalty: Float = 0,
        logitBias: [Int32: Float] = [:],
        seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.seed = seed
    }

    /// Whether the sampler always takes the most likely token (temperature 0, or top-k of 1).
    public var isGreedy: Bool { temperature == 0 || topK == 1 }

    /// Whether the repetition penalty changes anything.
    var usesRepetitionPenalty: Bool { repetitionPenalty != 1 && repetitionWindow > 0 }

    /// Whether the presence or frequency penalty changes anything.
    var usesOccurrencePenalties: Bool { presencePenalty != 0 || frequencyPenalty != 0 }
}
