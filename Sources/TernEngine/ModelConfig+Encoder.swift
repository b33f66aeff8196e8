import TernGGUF

extension ModelConfig {
    /// `general.architecture` of the encoder Tern runs: BERT and the sentence-transformers models built on it.
    static let encoderArchitecture = "bert"

    /// Reads the description of a BERT encoder: learned positions, LayerNorm after each sub-layer, a plain GELU
    /// feed-forward network, attention over the whole sequence. Only the dimensions matter to its forward pass
    /// (``EncoderModel``); the decoder's choices keep their defaults and go unused.
    init(encoderFile file: GGUFFile) throws(EngineError) {
        let metadata = ModelMetadata(architecture: Self.encoderArchitecture, values: file.metadata)
        let embedding = try metadata.int("embedding_length")
        let heads = try metadata.int("attention.head_count")
        guard embedding % heads == 0 else {
            throw EngineError(.invalidMetadata, "bert.embedding_length \(embedding) is not a multiple of the \(heads) heads")
        }
        guard let tokenEmbedding = file.tensor(named: "token_embd.weight"), tokenEmbedding.dimensions.count == 2 else {
            throw EngineError(.invalidTensor, "token_embd.weight is missing or not a matrix")
        }
        let blocks = try metadata.int("block_count")
        self.init(
            architecture: Self.encoderArchitecture, embeddingLength: embedding, blockCount: blocks, headCount: heads, headCountKV: heads,
            headDimension: embedding / heads, feedForwardLength: try metadata.int("feed_forward_length"),
            contextLength: try metadata.int("context_length"), normEpsilon: try metadata.float("attention.layer_norm_epsilon"),
            vocabularySize: tokenEmbedding.dimensions[1], ropeDimensionCount: 0,
            layers: Array(repeating: Layer(rope: RoPEFrequencies(base: 10000)), count: blocks),
            attentionScale: 1 / Float(embedding / heads).squareRoot())
        guard metadata.value("attention.causal")?.bool != true else {
            throw EngineError(.invalidMetadata, "bert.attention.causal is true: Tern runs BERT as an encoder only")
        }
        causal = false
        pooling = try Self.pooling(metadata)
    }
}
