extension ModelFamily {
    /// Gemma 3: embeddings scaled by √embedding, RMS norms of each query and key head, norms after attention and the
    /// feed-forward network too, GeGLU, NeoX RoPE, and sliding-window attention on five layers of six with their own
    /// RoPE base. The norm weights in GGUF files already include Gemma's +1.
    static let gemma3 = ModelFamily(
        name: "gemma3",
        tensors: TensorNames(
            queryNorm: "attn_q_norm", keyNorm: "attn_k_norm", postAttentionNorm: "post_attention_norm", postFeedForwardNorm: "post_ffw_norm")
    ) { config, metadata throws(EngineError) in
        config.ropeStyle = .neox
        config.activation = .geglu
        config.embeddingScale = Float(config.embeddingLength).squareRoot()
        config.scalesQueries = true
        // The 27B model (62 blocks) scales by the embedding per head rather than by the head size.
        if config.blockCount == 62 { config.attentionScale = 1 / Float(config.embeddingLength / config.headCount).squareRoot() }
        config.finalLogitSoftcap = try metadata.optionalFloat("final_logit_softcapping")
        guard let window = metadata.value("attention.sliding_window")?.int, window > 0 else { return }
        // Sliding layers keep the plain base (default 10000) and no linear scaling; the global ones use rope.freq_base.
        let local = ModelConfig.RoPEFrequencies(base: try metadata.float("rope.freq_base_swa", default: 10000))
        let sliding = try metadata.slidingLayers(blockCount: config.blockCount, defaultPeriod: 6)
        for layer in 0..<config.blockCount where sliding[layer] {
            config.layers[layer] = ModelConfig.Layer(slidingWindow: window, rope: local)
        }
    }
}
