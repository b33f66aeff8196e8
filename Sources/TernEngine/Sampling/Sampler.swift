import Foundation

/// Picks each next token of one sequence from the model's logits: the sampler chain.
///
/// One `Sampler` per sequence. Feed it every token that becomes part of the sequence with ``accept(_:isPrompt:)``
/// (the prompt, then each sampled token) and call ``sample(logits:topLogprobs:)`` once per step.
///
/// ```swift
/// let sampler = Sampler(parameters: SamplingParameters(temperature: 0.8, topP: 0.95, seed: 7), vocabularySize: 49152)
/// for token in prompt { sampler.accept(token, isPrompt: true) }
/// let next = logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, topLogprobs: nil) }
/// sampler.accept(next.token, isPrompt: false)
/// ```
///
/// ## Order of the chain
///
/// 1. **Logit bias** — OpenAI adds it to the model's logits before anything else.
/// 2. **Penalties** — repetition (llama.cpp: divide a positive logit, multiply a negative one, over the last
///    ``SamplingParameters/repetitionWindow`` tokens, prompt included), then presence and frequency (OpenAI:
///    `logit -= presence·[count > 0] + frequency·count` over the generated tokens).
/// 3. **Greedy** — temperature 0 (or top-k 1) takes the argmax of the adjusted logits, so penalties and bias still apply.
/// 4. **Top-k**, 5. **temperature**, 6. **softmax**, 7. **top-p**, 8. **min-p**, 9. **draw**.
///
/// llama.cpp's common default chain applies temperature *last* (penalties, dry, top-k, typical-p, top-p, min-p, xtc,
/// temperature), so its top-p and min-p cut the temperature-1 distribution. Tern applies temperature *before* top-p and
/// min-p, as OpenAI's API, Hugging Face transformers and vLLM do: an OpenAI client that sends `temperature` with
/// `top_p` expects the nucleus of the tempered distribution. Top-k is unaffected by the choice (temperature keeps the
/// order of the logits). Top-p then min-p keep the same set as min-p then top-p computed against the full mass,
/// because min-p's threshold is relative to the best token, which top-p always keeps; the code uses the second form
/// because the O(n) min-p filter usually shrinks the set before the nucleus search.
///
/// ## Determinism
///
/// Ties are broken by the lower token id everywhere (argmax, top-k, nucleus). The random stream is our own
/// ``Xoshiro256StarStar`` seeded from ``SamplingParameters/seed``, and every sum runs in a fixed order, so the same
/// seed, parameters and logits give the same tokens on any machine. The exponential that shapes the distribution is our
/// own (`SamplerMath`, IEEE additions and multiplications only), not the C library's, whose last bits vary by platform.
///
/// ## Cost
///
/// No allocation per token (except the returned `topLogprobs` array when log-probabilities are asked for): buffers are
/// sized once in `init`. Greedy is one pass over the logits; sampling copies them into candidates, selects top-k and the
/// nucleus by quickselect, and never sorts the whole vocabulary.
public final class Sampler {
    /// The parameters this sampler was created with.
    public let parameters: SamplingParameters
    /// Number of logits per step.
    public let vocabularySize: Int
    /// The seed actually used: ``SamplingParameters/seed``, or one drawn from the system generator when that is `nil`.
    public let seed: UInt64

    /// The largest `topLogprobs` that ``sample(logits:topLogprobs:)`` accepts (OpenAI's limit).
    public static let maximumTopLogprobs = 20

    var random: Xoshiro256StarStar

    /// [vocabularySize] when not greedy, else empty: (id, logit) and then (id, unnormalised probability).
    let candidates: UnsafeMutableBufferPointer<SamplerCandidate>
    /// [vocabularySize] when not greedy, else empty: unnormalised probability of every token, by id.
    let probabilities: UnsafeMutableBufferPointer<Float>
    /// Logit bias as parallel arrays sorted by token id.
    let biasTokens: [Int32]
    let biasValues: [Float]

    /// [repetitionWindow] ring of the most recent tokens when the repetition penalty is on, else empty.
    let recentTokens: UnsafeMutableBufferPointer<Int32>
    var recentNext = 0
    var recentCount = 0
    /// [vocabularySize] when the repetition penalty is on: the step stamp of the last penalty, to penalise each token once.
    let penaltyStamps: UnsafeMutableBufferPointer<UInt32>
    var currentStamp: UInt32 = 0

    /// [vocabularySize] when presence/frequency penalties are on: times each token was generated.
    let generatedCounts: UnsafeMutableBufferPointer<Int32>
    /// [vocabularySize] when presence/frequency penalties are on: the distinct generated tokens, first `generatedDistinct`.
    let generatedTokens: UnsafeMutableBufferPointer<Int32>
    var generatedDistinct = 0

    /// [vocabularySize] once log-probabilities were asked for together with bias or penalties: the raw logits.
    var rawLogits = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// [maximumTopLogprobs]: the best raw logits, best first.
    let topRaw: UnsafeMutableBufferPointer<SamplerCandidate>

    /// Creates a sampler for one sequence. `parameters` must pass ``SamplingParameters/validate(vocabularySize:)``
    /// (a precondition: validate requests before they reach the engine).
    public init(parameters: SamplingParameters, vocabularySize: Int) {
        precondition(vocabularySize > 0, "vocabularySize must be positive")
        do {
            try parameters.validate(vocabularySize: vocabularySize)
        } catch {
            preconditionFailure("invalid sampling parameters: \(error)")
        }
        self.parameters = parameters
        self.vocabularySize = vocabularySize
        var system = SystemRandomNumberGenerator()
        seed = parameters.seed ?? system.next()
        random = Xoshiro256StarStar(seed: seed)

        candidates = .allocate(capacity: parameters.isGreedy ? 0 : vocabularySize)
        probabilities = .allocate(capacity: parameters.isGreedy ? 0 : vocabularySize)
        let bias = parameters.logitBias.sorted { $0.key < $1.key }
        biasTokens = bias.map(\.key)
        biasValues = bias.map(\.value)

        let repetition = parameters.usesRepetitionPenalty
        recentTokens = .allocate(capacity: repetition ? parameters.repetitionWindow : 0)
        penaltyStamps = .allocate(capacity: repetition ? vocabularySize : 0)
        penaltyStamps.initialize(repeating: 0)

        let occurrence = parameters.usesOccurrencePenalties
        generatedCounts = .allocate(capacity: occurrence ? vocabularySize : 0)
        generatedCounts.initialize(repeating: 0)
        generatedTokens = .allocate(capacity: occurrence ? vocabularySize : 0)

        topRaw = .allocate(capacity: Self.maximumTopLogprobs)
    }

    deinit {
        candidates.deallocate()
        probabilities.deallocate()
        recentTokens.deallocate()
        penaltyStamps.deallocate()
        generatedCounts.deallocate()
        generatedTokens.deallocate()
        rawLogits.deallocate()
        topRaw.deallocate()
    }

    /// Picks the next token from `logits` (`vocabularySize` values, finite or `-infinity`, not all `-infinity`).
    ///
    /// On return `logits` holds the adjusted logits (bias and penalties applied; temperature is not).
    /// `topLogprobs`: `nil` computes no log-probabilities; `0...20` gives the chosen token's log-probability under the
    /// raw logits plus that many most likely alternatives.
    public func sample(logits: UnsafeMutableBufferPointer<Float>, topLogprobs: Int?) -> SampledToken {
        precondition(logits.count == vocabularySize, "expected \(vocabularySize) logits, got \(logits.count)")
        var raw: RawDistribution?
        if let topLogprobs {
            precondition((0...Self.maximumTopLogprobs).contains(topLogprobs), "topLogprobs must be in 0...\(Self.maximumTopLogprobs)")
            raw = rawDistribution(logits, top: topLogprobs)
        }
        applyAdjustments(to: logits)
        let token: Int32
        if parameters.isGreedy {
            token = Self.argmax(logits)
        } else {
            token = draw(from: prepareDistribution(logits))
        }
        guard let raw else { return SampledToken(token: token) }
        let rawLogit = raw.keptCopy ? rawLogits[Int(token)] : logits[Int(token)]
        return SampledToken(token: token, logprob: Float(Double(rawLogit) - raw.logSumExp), topLogprobs: raw.top)
    }

    /// Records a token that is now part of the sequence. Prompt tokens (`isPrompt: true`) count for the repetition
    /// penalty but not for the presence and frequency penalties, which look at generated tokens only.
    public func accept(_ token: Int32, isPrompt: Bool) {
        precondition(token >= 0 && Int(token) < vocabularySize, "token \(token) is outside the vocabulary")
        if recentTokens.count > 0 {
            recentTokens[recentNext] = token
            recentNext = (recentNext + 1) % recentTokens.count
            recentCount = min(recentCount + 1, recentTokens.count)
        }
        if !isPrompt && generatedCounts.count > 0 {
            let index = Int(token)
            if generatedCounts[index] == 0 {
                generatedTokens[generatedDistinct] = token
                generatedDistinct += 1
            }
            generatedCounts[index] += 1
        }
    }

    /// Forgets every accepted token and restarts the random stream from ``seed``: the sampler then behaves exactly as a
    /// new one with the same parameters and seed.
    public func reset() {
        for i in 0..<generatedDistinct { generatedCounts[Int(generatedTokens[i])] = 0 }
        generatedDistinct = 0
        recentNext = 0
        recentCount = 0
        random = Xoshiro256StarStar(seed: seed)
    }

    /// The distribution that ``sample(logits:topLogprobs:)`` would draw from — after bias, penalties, top-k,
    /// temperature, top-p and min-p — as log-probabilities, most likely first. Draws nothing; adjusts `logits` in place
    /// like `sample`. Allocates: for inspection and tests, not for the step loop.
    public func samplingDistribution(logits: UnsafeMutableBufferPointer<Float>) -> [TokenLogprob] {
        precondition(logits.count == vocabularySize, "expected \(vocabularySize) logits, got \(logits.count)")
        applyAdjustments(to: logits)
        if parameters.isGreedy { return [TokenLogprob(token: Self.argmax(logits), logprob: 0)] }
        let kept = kept(prepareDistribution(logits)).filter { $0.value > 0 }
        let mass = kept.reduce(0.0) { $0 + Double($1.value) }
        return kept.sorted { $0.precedes($1) }.map {
            TokenLogprob(token: $0.id, logprob: Float(log(Double($0.value) / mass)))
        }
    }

    /// The index of the largest logit; the lowest index among equal ones.
    static func argmax(_ logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        let best = SamplerMath.maximum(logits)  // vectorised; then the first index holding it
        return Int32(truncatingIfNeeded: logits.firstIndex(of: best) ?? 0)
    }
}
