import TernTensors

/// Why a generation ended.
public enum FinishReason: String, Sendable {
    /// The model produced an end-of-generation token, or the caller stopped it.
    case stop
    /// The token limit was reached.
    case length
}

/// What one generation did, for the summary line and usage.
public struct GenerationStats: Sendable {
    /// Tokens of the prompt.
    public var promptTokens = 0
    /// Seconds spent processing the prompt.
    public var promptSeconds = 0.0
    /// Tokens generated.
    public var generatedTokens = 0
    /// Seconds spent generating after the prompt.
    public var generationSeconds = 0.0
    /// Why the generation ended.
    public var finishReason = FinishReason.length
}

/// Runs one sequence at a time through a model: prompt in chunks, then one token per step.
///
/// Not for concurrent use; the server's scheduler batches many sequences instead.
public final class Generator {
    /// The model being run.
    public let model: LoadedModel
    /// Longest prompt plus continuation.
    public let contextLength: Int
    private let cache: KVCache
    private let state: ForwardState
    private var batch: ForwardBatch

    /// Prepares to run `model` with room for `contextLength` tokens, prompt chunks of `batchSize`, on `threads` threads.
    public init(model: LoadedModel, contextLength: Int? = nil, threads: Int, batchSize: Int = 256) {
        self.model = model
        let context = min(contextLength ?? model.config.contextLength, model.config.contextLength)
        self.contextLength = context
        cache = KVCache(config: model.config, slotCount: 1, contextLength: context)
        state = ForwardState(config: model.config, maxTokens: batchSize, contextLength: context, threads: threads)
        batch = ForwardBatch(capacity: batchSize)
    }

    /// Processes `tokens` at positions `start...` and returns the logits after the last one.
    public func prefill(_ tokens: [Int32], start: Int = 0) throws(EngineError) -> UnsafeMutableBufferPointer<Float> {
        guard model.config.causal else {
            throw EngineError(
                .invalidInput, "this model is an embedding model (\(model.config.architecture)): it cannot generate text; serve it for /v1/embeddings"
            )
        }
        guard !tokens.isEmpty else { throw EngineError(.invalidInput, "the prompt is empty") }
        guard start + tokens.count <= contextLength else {
            throw EngineError(.invalidInput, "\(start + tokens.count) tokens do not fit the context of \(contextLength)")
        }
        var index = 0
        while index < tokens.count {
            batch.removeAll()
            let end = min(tokens.count, index + state.maxTokens)
            for i in index..<end {
                // A call with one token is a decode step, with the reference engine's one-token attention order.
                batch.append(token: tokens[i], position: start + i, slot: 0, wantsLogits: i == tokens.count - 1, decoding: tokens.count == 1)
            }
            _ = try model.model.forward(batch, cache: cache, state: state)
            index = end
        }
        return state.logits(row: 0)
    }

    /// Generates up to `maxTokens` tokens after `prompt`, calling `onToken` with each; `onToken` returns false to stop.
    public func generate(
        prompt: [Int32], parameters: SamplingParameters, maxTokens: Int, onToken: (Int32) -> Bool
    ) throws(EngineError) -> GenerationStats {
        let sampler = Sampler(parameters: parameters, vocabularySize: model.config.vocabularySize)
        for token in prompt { sampler.accept(token, isPrompt: true) }
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        let clock = ContinuousClock()
        let promptStart = clock.now
        var logits = try prefill(prompt)
        stats.promptSeconds = (clock.now - promptStart).seconds
        let generationStart = clock.now
        var position = prompt.count
        stats.finishReason = .length
        while stats.generatedTokens < maxTokens {
            let token = sampler.sample(logits: logits, topLogprobs: nil).token
            sampler.accept(token, isPrompt: false)
            if model.tokenizer.isEndOfGeneration(token) {
                stats.finishReason = .stop
                break
            }
            stats.generatedTokens += 1
            guard onToken(token) else {
                stats.finishReason = .stop
                break
            }
            guard stats.generatedTokens < maxTokens, position < contextLength else { break }
            logits = try prefill([token], start: position)
            position += 1
        }
        stats.generationSeconds = (clock.now - generationStart).seconds
        return stats
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
