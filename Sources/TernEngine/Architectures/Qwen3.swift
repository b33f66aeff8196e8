extension ModelFamily {
    /// Qwen 3: the llama layout with RMS norms of each query and key head before RoPE, no biases, NeoX RoPE, and heads
    /// whose size (`attention.key_length`) need not be embedding / heads.
    static let qwen3 = ModelFamily(name: "qwen3", tensors: TensorNames(queryNorm: "attn_q_norm", keyNorm: "attn_k_norm")) {
        config, _ throws(EngineError) in
        config.ropeStyle = .neox
    }
}
