extension ModelFamily {
    /// Gemma 2: like Gemma 3 without the query and key norms, with soft-capped attention scores (`attn_logit_softcapping`,
    /// default 50) and logits (`final_logit_softcapping`, default 30), and sliding-window attention on every other layer
    /// (the even ones, window 4096 unless the file says otherwise).
    static let gemma2 = ModelFamily(
        name: "gemma2", tensors: TensorNames(postAttentionNorm: "post_attention_norm", postFeedForwardNorm: "post_ffw_norm")
    ) { config, metadata throws(EngineError) in
        config.ropeStyle = .neox
        config.activation = .geglu
        config.embeddingScale = Float(config.embeddingLength).squareRoot()
        config.scalesQueries = true
        // The 27B model (46 blocks) scales by the embedding per head rather than by the head size.
        if config.blockCount == 46 { config.attentionScale = 1 / Float(config.embeddingLength / config.headCount).squareRoot() }
        config.attentionLogitSoftcap = try metadata.optionalFloat("attn_logit_softcapping") ?? 50
        config.finalLogitSoftcap = try metadata.optionalFloat("final_logit_softcapping") ?? 30
        let window = try metadata.int("attention.sliding_window", default: 4096)
        let global = config.layers[0].rope
        let local = ModelConfig.RoPEFrequencies(
            base: try metadata.float("rope.freq_base_swa", default: Double(global.base)), scale: global.scale, yarn: global.yarn)
        let sliding = try metadata.slidingLayers(blockCount: config.blockCount, defaultPeriod: 2)
        for layer in 0..<config.blockCount where sliding[layer] {
            config.layers[layer] = ModelConfig.Layer(slidingWindow: window, rope: local)
        }
    }
}
