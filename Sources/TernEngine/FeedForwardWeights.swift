import TernTensors

/// The feed-forward part of a block: one gated network, or a mixture of experts.
enum FeedForwardWeights: @unchecked Sendable {
    /// `down · (act(gate · h) ⊙ (up · h))`: gate and up [embedding] → [feedForward], down back.
    case dense(gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix)
    /// A router and one such network per expert.
    case experts(ExpertWeights)

    /// The type of the first product, for which the normalized input is prepared as it is made.
    var inputType: TensorType {
        switch self {
        case .dense(let gate, _, _): gate.type
        case .experts(let experts): experts.router.type
        }
    }
}
