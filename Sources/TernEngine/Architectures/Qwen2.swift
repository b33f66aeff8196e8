extension ModelFamily {
    /// Qwen 2 and 2.5: the llama layout with biases on the query, key and value projections, and NeoX RoPE.
    static let qwen2 = ModelFamily(name: "qwen2") { config, _ throws(EngineError) in
        config.ropeStyle = .neox
    }
}
