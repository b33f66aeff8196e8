/// What a transformer is: its dimensions and every choice the forward pass makes, read from a GGUF file.
///
/// One forward pass (``TransformerModel``) consults this description; a model family (see ``ModelFamily``) only maps
/// its GGUF keys and tensor names onto it. Defaults describe the llama family: head size = embedding / heads, RoPE on
/// adjacent pairs, SwiGLU, norms before each sub-layer only, no scaling of the embeddings.
///
/// ```swift
/// let config = try ModelConfig(file: GGUFFile(path: "gemma-3-270m-q4_k_m.gguf"))
/// config.layers[5].slidingWindow   // nil: every sixth layer of Gemma 3 attends to the whole context
/// ```
public struct ModelConfig: Sendable, Equatable {
    /// How RoPE pairs the dimensions of a head.
    public enum RoPEStyle: String, Sendable, Equatable {
        /// Adjacent pairs (2i, 2i + 1): the GGUF llama layout.
        case normal
        /// Pairs (i, i + d/2) of the rotated dimensions d (GPT-NeoX; Gemma, Qwen, Phi).
        case neox
    }

    /// The gated activation of the feed-forward network: `act(gate · h) ⊙ (up · h)`.
    public enum Activation: String, Sendable, Equatable {
        /// SiLU gate (llama, Qwen, Phi).
        case swiglu
        /// GELU gate, tanh approximation (Gemma), evaluated through the reference engine's f16 table.
        case geglu
    }

    /// The RoPE frequencies of a layer: pair i of position p turns by `scale · p · base^(-2i/d) / factor_i`, or with
    /// YaRN by a blend of that and the unscaled angle.
    public struct RoPEFrequencies: Sendable, Hashable {
        /// The frequency base (`rope.freq_base`).
        public var base: Float
        /// Position scaling, 1 / `rope.scaling.factor` (1: none).
        public var scale: Float
        /// YaRN's corrections to the scaling, when `rope.scaling.type` is `yarn`.
        public var yarn: YaRN?

        /// Frequencies with `base` and linear `scale`, or YaRN's when `yarn` is given.
        public init(base: Float, scale: Float = 1, yarn: YaRN? = nil) {
            self.base = base
            self.scale = scale
            self.yarn = yarn
        }
    }

    /// YaRN ("Yet another RoPE extension"): pairs that turn many times within the original context keep their angle,
    /// those that turn less than once are scaled, with a linear ramp between; cosines and sines grow by
    /// `1 + 0.1 ln(1 / scale)` (times `rope.scaling.attn_factor`), as llama.cpp computes it.
    public struct YaRN: Sendable, Hashable {
        /// The context the model was trained with before scaling (`rope.scaling.original_context_length`).
        public var originalContext: Int
        /// Pairs turning at least this many times in the original context keep their angle…
        public var betaFast: Float = 32
        /// … and those turning at most this many times are scaled fully.
        public var betaSlow: Float = 1
        /// Extra factor of the cosines and sines (`rope.scaling.attn_factor`).
        public var attentionFactor: Float = 1

        /// YaRN with llama.cpp's defaults for the betas.
        public init(originalContext: Int, attentionFactor: Float = 1) {
            self.originalContext = originalContext
            self.attentionFactor = attentionFactor
        }
    }

    /// What differs from one transformer block to the next.
    public struct Layer: Sendable, Equatable {
        /// Sliding-window attention: a query at position p sees keys at positions > p − window. Nil: the whole context.
        public var slidingWindow: Int?
        /// The RoPE frequencies of this layer's queries and keys.
        public var rope: RoPEFrequencies

        /// A layer with the given window and frequencies.
        public init(slidingWindow: Int? = nil, rope: RoPEFrequencies) {
            self.slidingWindow = slidingWindow
            self.rope = rope
        }
    }

    /// How one vector is made of a sequence's final hidden states (`pooling_type`), for embeddings.
    public enum Pooling: Int, Sendable, Equatable {
        /// The file says nothing: a decoder's embeddings are the mean of its hidden states.
        case none = 0
        /// The mean of every token's hidden state.
        case mean = 1
        /// The hidden state of the first token ([CLS]).
        case cls = 2
        /// The hidden state of the last token.
        case last = 3
    }

    /// A mixture of experts in place of the feed-forward network: a router picks `used` of `count` gated networks per
    /// token and adds their outputs, weighted by the router's softmax.
    public struct Experts: Sendable, Equatable {
        /// Experts per layer (`expert_count`).
        public var count: Int
        /// Experts each token goes through (`expert_used_count`).
        public var used: Int
        /// Hidden width of one expert (`expert_feed_forward_length`, default `feed_forward_length`).
        public var feedForwardLength: Int
        /// Factor on the chosen experts' weights after they are normalized to sum to 1 (`expert_weights_scale`), or nil.
        public var weightsScale: Float?

        /// Experts as described.
        public init(count: Int, used: Int, feedForwardLength: Int, weightsScale: Float? = nil) {
            self.count = count
            self.used = used
            self.feedForwardLength = feedForwardLength
            self.weightsScale = weightsScale
        }
    }

    /// `general.architecture`, such as `llama`.
    public var architecture: String
    /// Width of the residual stream (`embedding_length`).
    public var embeddingLength: Int
    /// Number of transformer blocks (`block_count`).
    public var blockCount: Int
    /// Query heads (`attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`attention.head_count_kv`); fewer than `headCount` means grouped-query attention.
    public var headCountKV: Int
    /// Size of one attention head, of queries, keys and values alike (`attention.key_length`, default embedding / heads).
    public var headDimension: Int
    /// Hidden width of the feed-forward network (`feed_forward_length`).
    public var feedForwardLength: Int
    /// Longest sequence the model was trained for (`context_length`).
    public var contextLength: Int
    /// Epsilon of the norms (`attention.layer_norm_rms_epsilon`; an encoder's LayerNorm: `attention.layer_norm_epsilon`).
    public var normEpsilon: Float
    /// Number of rows of the token embedding.
    public var vocabularySize: Int

    /// How RoPE pairs dimensions.
    public var ropeStyle: RoPEStyle = .normal
    /// Dimensions rotated by RoPE at the start of each head (`rope.dimension_count`, default: the head size).
    public var ropeDimensionCount: Int
    /// Factor of every RoPE cosine and sine (`rope.scaling.attn_factor`; with YaRN it is part of YaRN's own factor).
    public var ropeAttentionFactor: Float = 1
    /// The context the model was trained with before its context was extended (`rope.scaling.original_context_length`,
    /// default `context_length`). LongRoPE (Phi 3's 128k variants) rotates by its long factors when a sequence may
    /// be longer than this, else by its short ones.
    public var ropeOriginalContext = 0
    /// One entry per block, in order.
    public var layers: [Layer]
    /// The activation of the feed-forward network.
    public var activation: Activation = .swiglu
    /// The token embeddings are multiplied by this before the first block (Gemma: √embedding), or not at all.
    public var embeddingScale: Float?
    /// Factor of the attention scores, 1/√headDimension unless the family says otherwise.
    public var attentionScale: Float
    /// Whether ``attentionScale`` multiplies the queries (before they are rounded to f16 to meet the cache) rather
    /// than the scores; the reference engine does the first for Gemma and Phi, the second for the others.
    public var scalesQueries = false
    /// Attention scores become `cap · tanh(score / cap)` before the softmax (Gemma 2), or are left alone.
    public var attentionLogitSoftcap: Float?
    /// Logits become `cap · tanh(logit / cap)` (Gemma 2), or are left alone.
    public var finalLogitSoftcap: Float?
    /// The mixture of experts that replaces every block's feed-forward network (Mixtral, Qwen 3 MoE), or nil.
    public var experts: Experts?
    /// Whether a token attends only to those before it (a decoder, which generates text) or to its whole sequence (an
    /// encoder such as BERT, which only embeds; `attention.causal`).
    public var causal = true
    /// How the file says to pool hidden states into one embedding.
    public var pooling: Pooling = .none

    /// Width of the queries of one token, and of the attention output (`headCount · headDimension`).
    public var queryDimension: Int { headDimension * headCount }
    /// Width of the keys and values of one token in one layer.
    public var kvDimension: Int { headDimension * headCountKV }
    /// The distinct RoPE frequencies of the layers, in order of first use.
    public var ropeFrequencies: [RoPEFrequencies] {
        var seen: [RoPEFrequencies] = []
        for layer in layers where !seen.contains(layer.rope) { seen.append(layer.rope) }
        return seen
    }
}
