import Foundation

extension Sampler {
    /// What log-probabilities need from the raw logits, taken before they are adjusted.
    struct RawDistribution {
        /// `log Σ exp(logit)` over the raw logits.
        var logSumExp: Double
        /// The requested most likely tokens, best first.
        var top: [TokenLogprob]
        /// Whether ``Sampler/rawLogits`` holds a copy of the raw logits (they are about to be adjusted in place).
        var keptCopy: Bool
    }

    /// Reads the raw logits: their log-sum-exp and the `top` best.
    /// Copies them aside when bias or penalties are about to change them, so the chosen token's raw logit survives.
    func rawDistribution(_ logits: UnsafeMutableBufferPointer<Float>, top: Int) -> RawDistribution {
        let maxLogit = SamplerMath.maximum(logits)
        let sum = SamplerMath.sumOfExponentials(logits, shift: maxLogit)
        let kept = top > 0 ? topRaw.selectBest(top, of: logits) : 0
        let logSumExp = Double(maxLogit) + log(sum)
        var alternatives: [TokenLogprob] = []
        alternatives.reserveCapacity(kept)
        for i in 0..<kept {
            alternatives.append(TokenLogprob(token: topRaw[i].id, logprob: Float(Double(topRaw[i].value) - logSumExp)))
        }

        let keepCopy = hasAdjustments
        if keepCopy {
            if rawLogits.count == 0 { rawLogits = .allocate(capacity: vocabularySize) }
            _ = rawLogits.update(fromContentsOf: logits)
        }
        return RawDistribution(logSumExp: logSumExp, top: alternatives, keptCopy: keepCopy)
    }
}
