/// The `logprobs` object of a chat choice: `{"content":[…],"refusal":null}`.
public struct ChatLogprobs: Sendable, Equatable, Encodable {
    /// One entry per generated token.
    public var content: [TokenLogprob]

    /// Creates logprobs.
    public init(content: [TokenLogprob]) { self.content = content }

    private enum Keys: String, CodingKey { case content, refusal }

    /// Encodes `content` and a `null` refusal.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(content, forKey: .content)
        try container.encodeNil(forKey: .refusal)
    }
}

/// A sampled token with its log probability and the most likely alternatives.
public struct TokenLogprob: Sendable, Equatable, Encodable {
    /// The token text.
    public var token: String
    /// Natural log of its probability; non-finite values are written as -9999, like OpenAI.
    public var logprob: Double
    /// The token's UTF-8 bytes (a token may hold part of a character).
    public var bytes: [UInt8]
    /// Alternatives, most likely first (`top_logprobs` of them).
    public var topLogprobs: [TopLogprob]

    /// Creates an entry.
    public init(token: String, logprob: Double, bytes: [UInt8], topLogprobs: [TopLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }

    private enum Keys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }

    /// Encodes with `bytes` as an array of integers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(token, forKey: .token)
        try container.encode(TopLogprob.finite(logprob), forKey: .logprob)
        try container.encode(bytes.map(Int.init), forKey: .bytes)
        try container.encode(topLogprobs, forKey: .topLogprobs)
    }
}

/// One alternative token in `top_logprobs`.
public struct TopLogprob: Sendable, Equatable, Encodable {
    /// The token text.
    public var token: String
    /// Natural log of its probability.
    public var logprob: Double
    /// The token's UTF-8 bytes.
    public var bytes: [UInt8]

    /// Creates an alternative.
    public init(token: String, logprob: Double, bytes: [UInt8]) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
    }

    /// The value OpenAI writes for an impossible token.
    public static let minimumLogprob = -9999.0

    static func finite(_ logprob: Double) -> Double { logprob.isFinite ? max(logprob, minimumLogprob) : minimumLogprob }

    private enum Keys: String, CodingKey { case token, logprob, bytes }

    /// Encodes with `bytes` as an array of integers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(token, forKey: .token)
        try container.encode(Self.finite(logprob), forKey: .logprob)
        try container.encode(bytes.map(Int.init), forKey: .bytes)
    }
}
