import Foundation

extension Sampler {
    /// Steps 4 to 8 of the chain on the adjusted `logits`: fills ``candidates`` and returns how many lead the buffer,
    /// each holding its unnormalised probability (the best one is exactly 1).
    func prepareDistribution(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        let n = vocabularySize
        for i in 0..<n {
            candidates[i] = SamplerCandidate(id: Int32(truncatingIfNeeded: i), value: logits[i])
        }
        var count = n
        let topK = parameters.topK
        if topK > 0 && topK < n {
            candidates.selectFirst(topK, count: n)
            count = topK
        }

        var maxLogit = -Float.infinity
        for i in 0..<count where candidates[i].value > maxLogit {
            maxLogit = candidates[i].value
        }
        precondition(maxLogit > -.infinity, "every logit is -infinity (or NaN): nothing to sample")
        let inverseTemperature = 1 / parameters.temperature
        var total = 0.0
        for i in 0..<count {
            let probability = exp((candidates[i].value - maxLogit) * inverseTemperature)
            candidates[i].value = probability
            total += Double(probability)
        }

        // min-p before top-p keeps the same set as the documented top-p → min-p (see the type's documentation),
        // provided top-p measures against the mass of the full distribution, `total`.
        let minP = parameters.minP
        if minP > 0 {
            var kept = 0
            for i in 0..<count where candidates[i].value >= minP {
                candidates[kept] = candidates[i]
                kept += 1
            }
            count = kept
        }
        let topP = parameters.topP
        if topP < 1 {
            count = candidates.nucleusCount(count: count, mass: Double(topP) * total)
        }
        return count
    }

    /// Step 9: draws one of the first `count` candidates in proportion to its probability.
    func draw(count: Int) -> Int32 {
        var mass = 0.0
        for i in 0..<count { mass += Double(candidates[i].value) }
        let target = random.nextUnitInterval() * mass
        var sum = 0.0
        for i in 0..<count {
            sum += Double(candidates[i].value)
            if target < sum { return candidates[i].id }
        }
        // Only reachable when rounding made `target` equal `mass`: take the last candidate with any probability.
        var last = 0
        for i in 0..<count where candidates[i].value > 0 { last = i }
        return candidates[last].id
    }
}
