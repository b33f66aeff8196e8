extension ModelFamily {
    /// The llama family (SmolLM, Llama 2 and 3, Mistral and many others): the common description as it is — RoPE on
    /// adjacent pairs, SwiGLU, a norm before each sub-layer. Llama 3's `rope_freqs` divisors are used when present, and
    /// a mixture of experts in place of the feed-forward network when the file has `expert_count` (Mixtral); LongRoPE's
    /// factors, as in Phi 3, when the file has them.
    static let llama = ModelFamily(name: "llama", tensors: TensorNames(longRoPEFactors: TensorNames.longRoPE)) { _, _ throws(EngineError) in }
}
