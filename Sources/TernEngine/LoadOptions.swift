/// Choices about how a model's weights are held in memory, made when it is loaded.
///
/// ```swift
/// let exact = try LoadedModel(path: path, options: LoadOptions(bf16EncoderWeights: false))
/// ```
public struct LoadOptions: Sendable, Equatable {
    /// Whether an embedding model's F32 projection matrices are rounded to bf16 on CPUs that multiply bf16 pairs
    /// (`CPULevel.multipliesBF16Pairs`): twice the products per instruction and half the bytes to hold and read, with
    /// embeddings within a cosine of 1e-4 of f32 ones (docs/embeddings.md). Elsewhere, and for every other model,
    /// weights stay as the file stores them.
    public var bf16EncoderWeights: Bool

    /// The defaults: bf16 encoder weights where the CPU multiplies them faster.
    public init(bf16EncoderWeights: Bool = true) {
        self.bf16EncoderWeights = bf16EncoderWeights
    }
}
