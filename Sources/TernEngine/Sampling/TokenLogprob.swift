/// A token id with its natural-log probability.
public struct TokenLogprob: Sendable, Equatable {
    /// The token id.
    public var token: Int32
    /// `log(p)` of the token, ≤ 0.
    public var logprob: Float

    /// Creates a token–logprob pair.
    public init(token: Int32, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}
