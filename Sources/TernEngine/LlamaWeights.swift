import TernGGUF
import TernTensors

/// The tensors of one llama-family transformer block: views into the mapped file, the quantized matrices packed.
struct LlamaBlockWeights: @unchecked Sendable {
    /// [embedding] f32
    let attentionNorm: UnsafePointer<Float>
    /// [embedding] → [embedding]
    let query: WeightMatrix
    /// [embedding] → [kvDimension]
    let key: WeightMatrix
    /// [embedding] → [kvDimension]
    let value: WeightMatrix
    /// [embedding] → [embedding]
    let attentionOutput: WeightMatrix
    /// [embedding] f32
    let feedForwardNorm: UnsafePointer<Float>
    /// [embedding] → [feedForward]
    let gate: WeightMatrix
    /// [embedding] → [feedForward]
    let up: WeightMatrix
    /// [feedForward] → [embedding]
    let down: WeightMatrix
}

/// All weights of a llama-family model, looked up by their GGUF names and checked against the config.
struct LlamaWeights: @unchecked Sendable {
    /// [vocabulary] rows of [embedding]
    let tokenEmbedding: WeightMatrix
    /// [embedding] f32
    let outputNorm: UnsafePointer<Float>
    /// [embedding] → [vocabulary]; the token embedding itself when the file has no `output.weight` (tied).
    let output: WeightMatrix
    let blocks: [LlamaBlockWeights]

    init(file: GGUFFile, config: ModelConfig) throws(EngineError) {
        let embedding = config.embeddingLength
        // Room for the packed copy of every matrix in the file, in one mapping.
        let arena = WeightArena(
            capacity: file.tensors.reduce(0) { sum, info in
                info.dimensions.count == 2 ? sum + WeightArena.bytes(for: info.type, rows: info.rowCount, columns: info.rowElements) : sum
            })
        func matrix(_ name: String, columns: Int, rows: Int) throws(EngineError) -> WeightMatrix {
            guard let info = file.tensor(named: name) else {
                throw EngineError(.invalidTensor, "tensor \(name) is missing")
            }
            guard info.dimensions == [columns, rows] else {
                throw EngineError(.invalidTensor, "tensor \(name) has shape \(info.dimensions), expected [\(columns), \(rows)]")
            }
            guard info.type.hasKernels else {
                throw EngineError(.invalidTensor, "tensor \(name) is stored as \(info.type), which Tern cannot compute with yet")
            }
            let matrix = WeightMatrix(type: info.type, rows: rows, columns: columns, data: file.data(for: info).baseAddress!, arena: arena)
            // a packed matrix owns a copy; the file's pages need not stay resident beside it
            if matrix.isPacked { file.evict(info) }
            return matrix
        }
        func vector(_ name: String) throws(EngineError) -> UnsafePointer<Float> {
            guard let info = file.tensor(named: name) else {
                throw EngineError(.invalidTensor, "tensor \(name) is missing")
            }
            guard info.dimensions == [embedding], info.type == .f32 else {
                throw EngineError(.invalidTensor, "tensor \(name) is \(info.type) \(info.dimensions), expected F32 [\(embedding)]")
            }
            return file.data(for: info).baseAddress!.assumingMemoryBound(to: Float.self)
        }
        let kv = config.kvDimension
        let ff = config.feedForwardLength
        tokenEmbedding = try matrix("token_embd.weight", columns: embedding, rows: config.vocabularySize)
        outputNorm = try vector("output_norm.weight")
        output =
            file.tensor(named: "output.weight") == nil
            ? tokenEmbedding : try matrix("output.weight", columns: embedding, rows: config.vocabularySize)
        var blocks: [LlamaBlockWeights] = []
        for index in 0..<config.blockCount {
            let prefix = "blk.\(index)."
            blocks.append(
                LlamaBlockWeights(
                    attentionNorm: try vector(prefix + "attn_norm.weight"),
                    query: try matrix(prefix + "attn_q.weight", columns: embedding, rows: embedding),
                    key: try matrix(prefix + "attn_k.weight", columns: embedding, rows: kv),
                    value: try matrix(prefix + "attn_v.weight", columns: embedding, rows: kv),
                    attentionOutput: try matrix(prefix + "attn_output.weight", columns: embedding, rows: embedding),
                    feedForwardNorm: try vector(prefix + "ffn_norm.weight"),
                    gate: try matrix(prefix + "ffn_gate.weight", columns: embedding, rows: ff),
                    up: try matrix(prefix + "ffn_up.weight", columns: embedding, rows: ff),
                    down: try matrix(prefix + "ffn_down.weight", columns: ff, rows: embedding)
                ))
        }
        self.blocks = blocks
    }
}
