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

    /// Reads the raw logits: their log-sum-exp and the `top` best, by keeping a small sorted buffer while scanning.
    /// Copies them aside when bias or penalties are about to change them, so the chosen token's raw logit survives.
    func rawDistribution(_ logits: UnsafeMutableBufferPointer<Float>, top: Int) -> RawDistribution {
        var maxLogit = -Float.infinity
        for value in logits where value > maxLogit { maxLogit = value }
        var sum = 0.0
        var kept = 0
        for i in 0..<logits.count {
            let value = logits[i]
            sum += Double(exp(value - maxLogit))
            guard top > 0 else { continue }
            let item = SamplerCandidate(id: Int32(truncatingIfNeeded: i), value: value)
            if kept == top {
                guard item.precedes(topRaw[top - 1]) else { continue }
            } else {
                kept += 1
            }
            var j = kept - 1  // insert `item`, dropping the last one when the buffer was full
            while j > 0 && item.precedes(topRaw[j - 1]) {
                topRaw[j] = topRaw[j - 1]
                j -= 1
            }
            topRaw[j] = item
        }
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
