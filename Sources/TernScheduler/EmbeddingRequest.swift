public import TernEngine

/// One text to embed: its tokens and how to pool their final hidden states into one vector.
public struct EmbeddingRequest: Sendable {
    /// The text, tokenized (special tokens included).
    public var tokens: [Int32]
    /// How the hidden states become one vector; ``ModelConfig/Pooling/none`` means the mean.
    public var pooling: ModelConfig.Pooling

    /// A request to embed `tokens`, pooled by `pooling`.
    public init(tokens: [Int32], pooling: ModelConfig.Pooling) {
        self.tokens = tokens
        self.pooling = pooling
    }
}

/// The result of an ``EmbeddingRequest``.
public struct Embedding: Sendable, Equatable {
    /// The pooled hidden state, not normalized.
    public var vector: [Float]
    /// Tokens computed.
    public var promptTokens: Int
}
