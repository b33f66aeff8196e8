extension Sampler {
    /// Up to this top-k, a sorted insertion scan beats copying the vocabulary for a quickselect.
    static let smallTopK = 128

    /// Where the distribution to draw from lives after ``prepareDistribution(_:)``.
    enum Distribution {
        /// ``Sampler/probabilities`` holds an unnormalised probability for every token, in id order (no truncation),
        /// summing to `total`.
        case dense(total: Double)
        /// The first `count` ``Sampler/candidates`` hold the kept tokens with their unnormalised probabilities.
        case candidates(count: Int)
    }

    /// Steps 4 to 8 of the chain on the adjusted `logits`. Probabilities are unnormalised: the best token's is exactly 1.
    func prepareDistribution(_ logits: UnsafeMutableBufferPointer<Float>) -> Distribution {
        let n = vocabularySize
        let inverseTemperature = 1 / parameters.temperature
        let topK = parameters.topK
        let minP = parameters.minP
        let topP = parameters.topP
        var count = 0
        var total = 0.0
        if topK > 0 && topK < n {
            if topK <= Self.smallTopK {
                count = candidates.selectBest(topK, of: logits)  // one scan, mostly skipping whole chunks
            } else {
                for i in 0..<n {
                    candidates[i] = SamplerCandidate(id: Int32(truncatingIfNeeded: i), value: logits[i])
                }
                candidates.selectFirst(topK, count: n)  // quickselect
                count = topK
            }
            var maxLogit = -Float.infinity
            for i in 0..<count where candidates[i].value > maxLogit {
                maxLogit = candidates[i].value
            }
            precondition(maxLogit > -.infinity, "every logit is -infinity (or NaN): nothing to sample")
            for i in 0..<count {
                let probability = SamplerMath.expNonPositive((candidates[i].value - maxLogit) * inverseTemperature)
                candidates[i].value = probability
                total += Double(probability)
            }
            if minP > 0 {
                var kept = 0
                for i in 0..<count where candidates[i].value >= minP {
                    candidates[kept] = candidates[i]
                    kept += 1
                }
                count = kept
            }
        } else {
            let maxLogit = SamplerMath.maximum(logits)
            precondition(maxLogit > -.infinity, "every logit is -infinity (or NaN): nothing to sample")
            total = SamplerMath.exponentiate(logits, into: probabilities, shift: maxLogit, scale: inverseTemperature)
            if minP == 0 && topP >= 1 { return .dense(total: total) }
            // Only tokens that can survive become candidates. With min-p that is p ≥ minP. With top-p, tokens below
            // (1 - topP)·total / n can never be needed: all of them together weigh less than the (1 - topP) share
            // that the nucleus may leave out, so the other tokens alone reach the nucleus mass.
            let floor = max(minP, Float((1 - Double(topP)) * total / Double(n)))
            for i in 0..<n where probabilities[i] >= floor {
                candidates[count] = SamplerCandidate(id: Int32(truncatingIfNeeded: i), value: probabilities[i])
                count += 1
            }
        }
        // min-p before top-p keeps the same set as the documented top-p → min-p (see the type's documentation),
        // provided top-p measures against the mass of the whole distribution, `total`.
        if topP < 1 {
            count = candidates.nucleusCount(count: count, mass: Double(topP) * total)
        }
        return .candidates(count: count)
    }

    /// Step 9: draws a token in proportion to its probability.
    func draw(from distribution: Distribution) -> Int32 {
        switch distribution {
        case .dense(let total):
            // Skip whole chunks by their sums (added exactly as `total` was), then walk the chunk that holds the target.
            let target = random.nextUnitInterval() * total
            let (start, before) = SamplerMath.chunkContaining(target, in: probabilities)
            guard start < vocabularySize else {  // rounding made `target` reach `total`
                return Int32(truncatingIfNeeded: probabilities.lastIndex { $0 > 0 } ?? 0)
            }
            var sum = before
            var last = Int32(truncatingIfNeeded: start)
            for i in start..<min(start + 16, vocabularySize) where probabilities[i] > 0 {
                sum += Double(probabilities[i])
                last = Int32(truncatingIfNeeded: i)
                if target < sum { break }
            }
            return last
        case .candidates(let count):
            return Self.draw(count: count, random: &random) { (candidates[$0].id, candidates[$0].value) }
        }
    }

    @inline(__always)
    private static func draw(count: Int, random: inout Xoshiro256StarStar, _ item: (Int) -> (Int32, Float)) -> Int32 {
        var mass = 0.0
        for i in 0..<count { mass += Double(item(i).1) }
        let target = random.nextUnitInterval() * mass
        var sum = 0.0
        var last: Int32 = 0
        for i in 0..<count {
            let (token, probability) = item(i)
            guard probability > 0 else { continue }
            sum += Double(probability)
            if target < sum { return token }
            last = token
        }
        return last  // only when rounding made `target` reach `mass`
    }

    /// The kept tokens and their unnormalised probabilities, for ``samplingDistribution(logits:)``.
    func kept(_ distribution: Distribution) -> [SamplerCandidate] {
        switch distribution {
        case .dense:
            return (0..<vocabularySize).map { SamplerCandidate(id: Int32(truncatingIfNeeded: $0), value: probabilities[$0]) }
        case .candidates(let count):
            return Array(candidates[0..<count])
        }
    }
}
