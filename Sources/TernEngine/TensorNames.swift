/// The GGUF names of a family's tensors, without the `.weight` suffix; block tensors are under `blk.N.`.
///
/// The defaults are the names every family shares (llama.cpp's convention); a family sets the optional ones it has
/// and clears those it has not. Biases (`<name>.bias` of the query, key, value and attention output) are used
/// wherever the file has them.
struct TensorNames: Sendable {
    /// [vocabulary] rows of [embedding].
    var tokenEmbedding = "token_embd"
    /// [embedding], the norm after the last block.
    var outputNorm = "output_norm"
    /// [embedding] → [vocabulary]; when the file has none, the token embedding serves (tied embeddings).
    var output = "output"
    /// [ropeDimensionCount / 2] divisors of the RoPE frequencies (Llama 3), used when the file has them.
    var ropeFrequencyFactors = "rope_freqs"
    /// LongRoPE's two sets of [ropeDimensionCount / 2] divisors (Phi 3 128k): for contexts longer than the original one,
    /// and for the others; used when the file has them, in the families whose reference graphs read them (llama, phi3).
    var longRoPEFactors: (long: String, short: String)?

    /// [embedding], the norm before attention.
    var attentionNorm = "attn_norm"
    /// [embedding] → [queryDimension].
    var query = "attn_q"
    /// [embedding] → [kvDimension].
    var key = "attn_k"
    /// [embedding] → [kvDimension].
    var value = "attn_v"
    /// [embedding] → [queryDimension + 2 · kvDimension]: query, key and value rows in one tensor, used when the file
    /// has it instead of the three (Phi 3).
    var fusedQueryKeyValue: String?
    /// [headDimension], an RMS norm of each query head before RoPE (Gemma 3, Qwen 3).
    var queryNorm: String?
    /// [headDimension], an RMS norm of each key head before RoPE.
    var keyNorm: String?
    /// [queryDimension] → [embedding].
    var attentionOutput = "attn_output"
    /// [embedding], a norm of the attention output before the residual add (Gemma).
    var postAttentionNorm: String?
    /// [embedding], the norm before the feed-forward network.
    var feedForwardNorm = "ffn_norm"
    /// [embedding] → [feedForward]; nil when ``up`` holds the gate rows followed by the up rows (Phi 3).
    var gate: String? = "ffn_gate"
    /// [embedding] → [feedForward] (or [2 · feedForward] without a ``gate``).
    var up = "ffn_up"
    /// [feedForward] → [embedding].
    var down = "ffn_down"
    /// [embedding], a norm of the feed-forward output before the residual add (Gemma).
    var postFeedForwardNorm: String?
    /// The router of a mixture of experts: [embedding] → [experts].
    var expertRouter = "ffn_gate_inp"
    /// The experts' gate, up and down matrices, each a 3-D tensor holding one matrix per expert.
    var expertGate = "ffn_gate_exps"
    var expertUp = "ffn_up_exps"
    var expertDown = "ffn_down_exps"

    /// LongRoPE's tensor names, for the families that have it.
    static let longRoPE = (long: "rope_factors_long", short: "rope_factors_short")
}
