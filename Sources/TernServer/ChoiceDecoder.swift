import TernEngine
import TernOpenAI
import TernTokenizer

/// One generated token with its log probability, as sent to clients.
struct TokenInfo: Sendable, Equatable {
    /// The token's text (its bytes decoded; a piece of a character shows as U+FFFD).
    var text: String
    /// The token's bytes.
    var bytes: [UInt8]
    /// Natural log of its probability.
    var logprob: Double
    /// The most likely alternatives, most likely first.
    var alternatives: [Alternative]

    /// A token that could have been sampled instead.
    struct Alternative: Sendable, Equatable {
        var text: String
        var bytes: [UInt8]
        var logprob: Double
    }
}

/// Text released for a choice: safe to send, never half a character and never part of a stop string.
struct ChoiceDelta: Sendable, Equatable {
    /// New text, possibly empty.
    var text = ""
    /// Log probabilities of the tokens whose text is now out, when they were asked for.
    var logprobs: [TokenInfo] = []
}

/// Turns one sequence's tokens into client text: streaming detokenizer, then the stop-string matcher.
///
/// Log probabilities are held with the text: a token's entry is released together with (the rest of) its text,
/// and entries of tokens that only made up a stop string are dropped with it.
struct ChoiceDecoder {
    private let tokenizer: Tokenizer
    private let wantsLogprobs: Bool
    private var detokenizer: StreamingDetokenizer
    private var matcher: StopStringMatcher
    private var pendingLogprobs: [TokenInfo] = []
    /// Tokens received from the scheduler.
    private(set) var tokenCount = 0

    init(tokenizer: Tokenizer, stops: [String], wantsLogprobs: Bool) {
        self.tokenizer = tokenizer
        self.wantsLogprobs = wantsLogprobs
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        matcher = StopStringMatcher(stops: stops)
    }

    /// Whether a stop string has ended the text.
    var isStopped: Bool { matcher.isStopped }
    /// The stop string that ended the text.
    private(set) var matchedStop: String?

    /// Adds one sampled token.
    mutating func accept(_ sampled: SampledToken) -> ChoiceDelta {
        tokenCount += 1
        if wantsLogprobs { pendingLogprobs.append(info(for: sampled)) }
        let fed = matcher.feed(detokenizer.append(sampled.token))
        if let stopped = fed.stopped { matchedStop = stopped }
        return release(fed.text)
    }

    /// Flushes held-back text at the end of the sequence.
    mutating func finish() -> ChoiceDelta {
        let fed = matcher.feed(detokenizer.finish())
        if let stopped = fed.stopped { matchedStop = stopped }
        return release(fed.text + matcher.finish(), final: true)
    }

    private mutating func release(_ text: String, final: Bool = false) -> ChoiceDelta {
        guard !matcher.isStopped else {
            // The stop string swallowed the tokens still pending; only text before it goes out.
            defer { pendingLogprobs.removeAll() }
            return ChoiceDelta(text: text, logprobs: text.isEmpty ? [] : pendingLogprobs)
        }
        guard !text.isEmpty || final else { return ChoiceDelta() }
        defer { pendingLogprobs.removeAll() }
        return ChoiceDelta(text: text, logprobs: pendingLogprobs)
    }

    private func info(for sampled: SampledToken) -> TokenInfo {
        let bytes = tokenizer.tokenBytes(sampled.token)
        let alternatives = sampled.topLogprobs.map { alternative in
            let bytes = tokenizer.tokenBytes(alternative.token)
            return TokenInfo.Alternative(
                text: String(decoding: bytes, as: UTF8.self), bytes: bytes, logprob: Double(alternative.logprob))
        }
        return TokenInfo(
            text: String(decoding: bytes, as: UTF8.self), bytes: bytes, logprob: Double(sampled.logprob ?? 0), alternatives: alternatives)
    }
}
