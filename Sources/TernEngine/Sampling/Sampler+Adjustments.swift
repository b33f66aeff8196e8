extension Sampler {
    /// Whether ``applyAdjustments(to:)`` would change any logit now.
    var hasAdjustments: Bool {
        !biasTokens.isEmpty || recentCount > 0 || generatedDistinct > 0
    }

    /// Steps 1 and 2 of the chain, in place: logit bias, then the repetition penalty, then presence and frequency.
    func applyAdjustments(to logits: UnsafeMutableBufferPointer<Float>) {
        for i in biasTokens.indices {
            logits[Int(biasTokens[i])] += biasValues[i]
        }
        if recentCount > 0 {
            applyRepetitionPenalty(to: logits)
        }
        if generatedDistinct > 0 {
            let presence = parameters.presencePenalty
            let frequency = parameters.frequencyPenalty
            for i in 0..<generatedDistinct {
                let token = Int(generatedTokens[i])
                logits[token] -= presence + frequency * Float(generatedCounts[token])
            }
        }
    }

    /// llama.cpp semantics: each distinct token among the last `repetitionWindow` accepted ones is penalised once;
    /// a logit ≤ 0 is multiplied by the penalty, a positive one divided, so a penalty > 1 always makes the token less likely.
    private func applyRepetitionPenalty(to logits: UnsafeMutableBufferPointer<Float>) {
        currentStamp &+= 1
        if currentStamp == 0 {  // wrapped after 2³² steps: old stamps could collide
            penaltyStamps.update(repeating: 0)
            currentStamp = 1
        }
        let penalty = parameters.repetitionPenalty
        for i in 0..<recentCount {
            let token = Int(recentTokens[i])
            guard penaltyStamps[token] != currentStamp else { continue }
            penaltyStamps[token] = currentStamp
            let logit = logits[token]
            logits[token] = logit <= 0 ? logit * penalty : logit / penalty
        }
    }
}
