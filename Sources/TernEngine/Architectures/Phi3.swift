extension ModelFamily {
    /// Phi 3 and 3.5 (mini, medium): query, key and value in one tensor (`attn_qkv`), gate and up in one (`ffn_up`, gate
    /// rows first), NeoX RoPE, queries scaled before attention. Like the reference engine, Tern ignores the sliding
    /// window some Phi 3 files declare. The 128k-context variants rotate by LongRoPE's factors (`rope_factors_long`
    /// past the original context, else `rope_factors_short`) with `rope.scaling.attn_factor` on cosines and sines.
    static let phi3 = ModelFamily(
        name: "phi3", tensors: TensorNames(longRoPEFactors: TensorNames.longRoPE, fusedQueryKeyValue: "attn_qkv", gate: nil)
    ) {
        config, _ throws(EngineError) in
        config.ropeStyle = .neox
        config.scalesQueries = true
    }
}
