import TernTensors

/// The weights of a mixture of experts: the router and every expert's gated network, each expert's matrices one slice
/// of the family's 3-D tensors.
struct ExpertWeights: @unchecked Sendable {
    /// [embedding] → [experts]
    let router: WeightMatrix
    /// Per expert, [embedding] → [expert feedForward].
    let gate: [WeightMatrix]
    /// Per expert, [embedding] → [expert feedForward].
    let up: [WeightMatrix]
    /// Per expert, [expert feedForward] → [embedding].
    let down: [WeightMatrix]

    init(_ loader: WeightLoader, prefix: String, experts: ModelConfig.Experts, embedding: Int, names: TensorNames) throws(EngineError) {
        let (count, width) = (experts.count, experts.feedForwardLength)
        router = try loader.matrix(prefix + names.expertRouter + ".weight", columns: embedding, rows: count)
        gate = try loader.experts(prefix + names.expertGate + ".weight", columns: embedding, rows: width, count: count)
        up = try loader.experts(prefix + names.expertUp + ".weight", columns: embedding, rows: width, count: count)
        down = try loader.experts(prefix + names.expertDown + ".weight", columns: width, rows: embedding, count: count)
    }
}
