extension ModelFamily {
    /// Qwen 3 with a mixture of experts in every block (Qwen3-30B-A3B and larger): the Qwen 3 layout, and a router
    /// choosing `expert_used_count` of `expert_count` experts per token.
    static let qwen3moe = ModelFamily(name: "qwen3moe", tensors: ModelFamily.qwen3.tensors) { config, _ throws(EngineError) in
        config.ropeStyle = .neox
        guard config.experts != nil else {
            throw EngineError(.invalidMetadata, "qwen3moe.expert_count is missing: a qwen3moe file describes its experts")
        }
    }
}
