import TernGGUF
import TernTensors

/// All weights of a model, looked up by the names its family gives them and checked against its description.
struct TransformerWeights: @unchecked Sendable {
    /// [vocabulary] rows of [embedding]
    let tokenEmbedding: WeightMatrix
    /// [embedding] f32
    let outputNorm: UnsafePointer<Float>
    /// [embedding] → [vocabulary]; the token embedding itself when the file has no output matrix (tied).
    let output: WeightMatrix
    /// [ropeDimensionCount / 2] f32 divisors of the RoPE frequencies (Llama 3), or nil.
    let ropeFrequencyFactors: UnsafePointer<Float>?
    /// LongRoPE's divisors, [ropeDimensionCount / 2] f32 each, or nil.
    let longRoPEFactors: (long: UnsafePointer<Float>, short: UnsafePointer<Float>)?
    let blocks: [TransformerBlockWeights]
    /// The mapped file the unpacked weights point into, kept open as long as they are used.
    private let file: GGUFFile

    init(file: GGUFFile, config: ModelConfig, names: TensorNames) throws(EngineError) {
        self.file = file
        let loader = WeightLoader(file: file)
        let embedding = config.embeddingLength
        tokenEmbedding = try loader.matrix(names.tokenEmbedding + ".weight", columns: embedding, rows: config.vocabularySize)
        outputNorm = try loader.vector(names.outputNorm + ".weight", count: embedding)
        output =
            loader.has(names.output + ".weight")
            ? try loader.matrix(names.output + ".weight", columns: embedding, rows: config.vocabularySize) : tokenEmbedding
        ropeFrequencyFactors = try loader.optionalVector(names.ropeFrequencyFactors + ".weight", count: config.ropeDimensionCount / 2)
        if let factorNames = names.longRoPEFactors {
            let long = try loader.optionalVector(factorNames.long + ".weight", count: config.ropeDimensionCount / 2)
            let short = try loader.optionalVector(factorNames.short + ".weight", count: config.ropeDimensionCount / 2)
            switch (long, short) {
            case (let long?, let short?): longRoPEFactors = (long, short)
            case (nil, nil): longRoPEFactors = nil
            default:
                throw EngineError(
                    .invalidTensor, "the file has one of \(factorNames.long).weight and \(factorNames.short).weight; LongRoPE needs both")
            }
        } else {
            longRoPEFactors = nil
        }
        var blocks: [TransformerBlockWeights] = []
        for index in 0..<config.blockCount {
            blocks.append(try TransformerBlockWeights(loader, index: index, config: config, names: names))
        }
        self.blocks = blocks
        try loader.requireAllUsed(architecture: config.architecture)
    }
}
