import TernGGUF
import TernTensors

/// All weights of a BERT encoder, by llama.cpp's GGUF names.
struct EncoderWeights: @unchecked Sendable {
    /// [vocabulary] rows of [embedding]
    let tokenEmbedding: WeightMatrix
    /// [embedding] f32: the embedding of token type 0, added to every token (Tern embeds single texts, never pairs).
    let tokenType: UnsafePointer<Float>?
    /// [contextLength][embedding] f32 learned position embeddings.
    let positions: UnsafePointer<Float>
    /// [embedding] f32 weight and bias of the LayerNorm of the embeddings.
    let embeddingNormWeight: UnsafePointer<Float>
    let embeddingNormBias: UnsafePointer<Float>
    let blocks: [EncoderBlockWeights]
    /// The mapped file the weights point into, kept open as long as they are used.
    private let file: GGUFFile

    /// Reads the weights of `file`; with `bf16`, each block's F32 projection matrices become bf16 copies.
    init(file: GGUFFile, config: ModelConfig, bf16: Bool) throws(EngineError) {
        self.file = file
        let loader = WeightLoader(file: file)
        let dim = config.embeddingLength
        tokenEmbedding = try loader.matrix("token_embd.weight", columns: dim, rows: config.vocabularySize)
        // token_types holds one row per type; only the first is used.
        if let types = file.tensor(named: "token_types.weight") {
            guard types.type == .f32, types.dimensions.count == 2, types.dimensions[0] == dim else {
                throw EngineError(.invalidTensor, "tensor token_types.weight is \(types.type) \(types.dimensions), expected F32 [\(dim), n]")
            }
            tokenType = try loader.rows("token_types.weight", columns: dim, rows: types.dimensions[1])
        } else {
            tokenType = nil
        }
        positions = try loader.rows("position_embd.weight", columns: dim, rows: config.contextLength)
        embeddingNormWeight = try loader.vector("token_embd_norm.weight", count: dim)
        embeddingNormBias = try loader.vector("token_embd_norm.bias", count: dim)
        var blocks: [EncoderBlockWeights] = []
        for index in 0..<config.blockCount {
            blocks.append(try EncoderBlockWeights(loader, index: index, config: config, bf16: bf16))
        }
        self.blocks = blocks
        try loader.requireAllUsed(architecture: config.architecture)
    }
}
