/// One token chosen by a ``Sampler``, with its log-probabilities when they were asked for.
public struct SampledToken: Sendable, Equatable {
    /// The chosen token id.
    public var token: Int32
    /// Natural-log probability of ``token`` under the model's raw distribution (softmax of the unmodified logits,
    /// before bias, penalties, temperature and truncation — what OpenAI reports); `nil` when not requested.
    public var logprob: Float?
    /// The most likely tokens of the raw distribution, most likely first (ties: lower id first); empty when not requested.
    public var topLogprobs: [TokenLogprob]

    /// Creates a sampled token.
    public init(token: Int32, logprob: Float? = nil, topLogprobs: [TokenLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}
