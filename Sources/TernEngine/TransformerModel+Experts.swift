import TernTensors

extension TransformerModel {
    /// The mixture of experts of one block, for the `tokens` normalized rows in `xb` (prepared for the router), into
    /// `projected`: each token goes through the experts its router ranks highest, and their outputs are added, weighted
    /// by the router's probabilities normalized over the chosen ones.
    ///
    /// The products run batched by expert: the rows routed to one expert are gathered and go through its matrices
    /// together, so that each expert's weights are read once per step however many tokens chose it. The weighted sum
    /// adds the experts in order of rank, as the reference engine does.
    func mixExperts(_ weights: ExpertWeights, tokens n: Int, state: ForwardState) {
        guard let experts = config.experts else { return }
        let dim = config.embeddingLength
        let used = experts.used
        MatMul.compute(
            weights.router, input: state.xb, tokens: n, output: state.routerLogits, workspace: state.workspace, pool: state.pool,
            prepared: weights.router.type)
        state.eachRow(n) { i, _ in route(row: i, experts: experts, state: state) }

        for expert in 0..<experts.count {
            var rows = 0
            for choice in 0..<(n * used) where state.expertChoice[choice] == Int32(expert) {
                state.expertRows[rows] = Int32(choice)
                (state.expertInput + rows * dim).update(from: state.xb + (choice / used) * dim, count: dim)
                rows += 1
            }
            guard rows > 0 else { continue }
            feedForward(
                gate: weights.gate[expert], up: weights.up[expert], down: weights.down[expert], input: state.expertInput, tokens: rows,
                width: experts.feedForwardLength, prepared: false, state: state)
            for row in 0..<rows {
                (state.expertOutput + Int(state.expertRows[row]) * dim).update(from: state.projected + row * dim, count: dim)
            }
        }

        state.eachRow(n) { i, _ in
            let output = state.projected + i * dim
            for rank in 0..<used {
                let weight = state.expertWeight[i * used + rank]
                let result = state.expertOutput + (i * used + rank) * dim
                // Each weighted output is rounded before it is added, as a product and a sum of whole tensors are.
                if rank == 0 {
                    for d in 0..<dim { output[d] = result[d] * weight }
                } else {
                    for d in 0..<dim {
                        let weighted = result[d] * weight
                        output[d] += weighted
                    }
                }
            }
        }
    }

    /// Row `row`'s router logits become probabilities (softmax); the `used` most probable experts are chosen, highest
    /// first, and their probabilities, normalized to sum to 1 (and scaled where the model says so), become their weights.
    private func route(row: Int, experts: ModelConfig.Experts, state: ForwardState) {
        let (count, used) = (experts.count, experts.used)
        let probabilities = state.routerLogits + row * count
        VectorMath.softmax(probabilities, count: count)
        let choice = state.expertChoice + row * used
        let weight = state.expertWeight + row * used
        for rank in 0..<used {
            var best = -1
            for expert in 0..<count where best < 0 || probabilities[expert] > probabilities[best] {
                var taken = false
                for earlier in 0..<rank where choice[earlier] == Int32(expert) { taken = true }
                if !taken { best = expert }
            }
            choice[rank] = Int32(best)
            weight[rank] = probabilities[best]
        }
        var sum: Double = 0
        for rank in 0..<used { sum += Double(weight[rank]) }
        // As the reference engine: the sum in f64, rounded, and kept from zero by f16's smallest normal.
        let total = max(Float(sum), 6.103_515_625e-5)
        for rank in 0..<used {
            weight[rank] /= total
            if let scale = experts.weightsScale { weight[rank] *= scale }
        }
    }
}
