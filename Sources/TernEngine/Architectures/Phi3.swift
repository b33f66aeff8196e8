extension ModelFamily {
    /// Phi 3 and 3.5 (mini, medium): query, key and value in one tensor (`attn_qkv`), gate and up in one (`ffn_up`, gate
    /// rows first), NeoX RoPE, queries scaled before attention. Like the reference engine, Tern ignores the sliding
    /// window some Phi 3 files declare; the 128k-context variants (LongRoPE: `rope_factors_long` and
    /// `rope_factors_short`) are refused.
    static let phi3 = ModelFamily(name: "phi3", tensors: TensorNames(fusedQueryKeyValue: "attn_qkv", gate: nil)) {
        config, _ throws(EngineError) in
        config.ropeStyle = .neox
        config.scalesQueries = true
    }
}
