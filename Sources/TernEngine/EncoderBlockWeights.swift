import TernTensors

/// The tensors of one BERT block: attention and a GELU feed-forward network, each followed by a LayerNorm; every
/// projection has a bias.
struct EncoderBlockWeights: @unchecked Sendable {
    /// [embedding] → [embedding] each, with [embedding] f32 biases.
    let query: WeightMatrix
    let key: WeightMatrix
    let value: WeightMatrix
    let queryBias: UnsafePointer<Float>
    let keyBias: UnsafePointer<Float>
    let valueBias: UnsafePointer<Float>
    /// [embedding] → [embedding]
    let attentionOutput: WeightMatrix
    let attentionOutputBias: UnsafePointer<Float>
    /// [embedding] f32 weight and bias of the LayerNorm after attention.
    let attentionNormWeight: UnsafePointer<Float>
    let attentionNormBias: UnsafePointer<Float>
    /// [embedding] → [feedForward], with its bias.
    let up: WeightMatrix
    let upBias: UnsafePointer<Float>
    /// [feedForward] → [embedding], with its bias.
    let down: WeightMatrix
    let downBias: UnsafePointer<Float>
    /// [embedding] f32 weight and bias of the LayerNorm after the feed-forward network.
    let outputNormWeight: UnsafePointer<Float>
    let outputNormBias: UnsafePointer<Float>

    /// Loads block `index` of a BERT file shaped as `config` says; with `bf16`, its F32 matrices as bf16 copies.
    init(_ loader: WeightLoader, index: Int, config: ModelConfig, bf16: Bool) throws(EngineError) {
        let (dim, ff) = (config.embeddingLength, config.feedForwardLength)
        func matrix(_ name: String, columns: Int, rows: Int) throws(EngineError) -> WeightMatrix {
            let name = "blk.\(index).\(name).weight"
            return bf16 ? try loader.bf16Matrix(name, columns: columns, rows: rows) : try loader.matrix(name, columns: columns, rows: rows)
        }
        func vector(_ name: String, _ part: String, count: Int) throws(EngineError) -> UnsafePointer<Float> {
            try loader.vector("blk.\(index).\(name).\(part)", count: count)
        }
        query = try matrix("attn_q", columns: dim, rows: dim)
        key = try matrix("attn_k", columns: dim, rows: dim)
        value = try matrix("attn_v", columns: dim, rows: dim)
        queryBias = try vector("attn_q", "bias", count: dim)
        keyBias = try vector("attn_k", "bias", count: dim)
        valueBias = try vector("attn_v", "bias", count: dim)
        attentionOutput = try matrix("attn_output", columns: dim, rows: dim)
        attentionOutputBias = try vector("attn_output", "bias", count: dim)
        attentionNormWeight = try vector("attn_output_norm", "weight", count: dim)
        attentionNormBias = try vector("attn_output_norm", "bias", count: dim)
        up = try matrix("ffn_up", columns: dim, rows: ff)
        upBias = try vector("ffn_up", "bias", count: ff)
        down = try matrix("ffn_down", columns: ff, rows: dim)
        downBias = try vector("ffn_down", "bias", count: dim)
        outputNormWeight = try vector("layer_output_norm", "weight", count: dim)
        outputNormBias = try vector("layer_output_norm", "bias", count: dim)
    }
}
