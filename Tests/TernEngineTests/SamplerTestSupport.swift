import Foundation
import TernEngine

/// Samples once from a copy of `logits`.
func sampleOnce(_ sampler: Sampler, _ logits: [Float], topLogprobs: Int? = nil) -> SampledToken {
    var copy = logits
    return copy.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, topLogprobs: topLogprobs) }
}

/// Runs `sample` on a copy of `logits` and returns the copy as the sampler left it (bias and penalties applied).
func adjustedLogits(_ sampler: Sampler, _ logits: [Float]) -> [Float] {
    var copy = logits
    _ = copy.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, topLogprobs: nil) }
    return copy
}

/// The distribution the sampler would draw from, for a copy of `logits`.
func distribution(_ sampler: Sampler, _ logits: [Float]) -> [TokenLogprob] {
    var copy = logits
    return copy.withUnsafeMutableBufferPointer { sampler.samplingDistribution(logits: $0) }
}

/// `count` logits drawn from a seeded generator, in `-spread/2..<spread/2`.
func randomLogits(count: Int, seed: UInt64, spread: Float = 10) -> [Float] {
    var random = Xoshiro256StarStar(seed: seed)
    return (0..<count).map { _ in Float(random.nextUnitInterval() - 0.5) * spread }
}

/// log Σ exp over `logits`, in Double.
func logSumExp(_ logits: [Float]) -> Double {
    let top = Double(logits.max()!)
    return top + log(logits.reduce(0.0) { $0 + exp(Double($1) - top) })
}

/// Textbook reference for the chain after the adjustments: full sort, top-k, tempered softmax, top-p prefix, min-p.
/// Returns (token, probability) of the kept tokens, most likely first, renormalised.
func referenceDistribution(_ logits: [Float], _ parameters: SamplingParameters) -> [(token: Int32, probability: Double)] {
    var order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
    if parameters.topK > 0 { order = Array(order.prefix(parameters.topK)) }
    let top = Double(logits[order[0]])
    let weights = order.map { exp((Double(logits[$0]) - top) / Double(parameters.temperature)) }
    let total = weights.reduce(0, +)
    var kept = order.count
    if parameters.topP < 1 {
        var sum = 0.0
        for (i, weight) in weights.enumerated() {
            sum += weight / total
            if sum >= Double(parameters.topP) {
                kept = i + 1
                break
            }
        }
    }
    var result: [(token: Int32, probability: Double)] = []
    for i in 0..<kept where weights[i] >= Double(parameters.minP) * weights[0] {
        result.append((Int32(order[i]), weights[i]))
    }
    let keptTotal = result.reduce(0) { $0 + $1.probability }
    return result.map { ($0.token, $0.probability / keptTotal) }
}

/// Pearson's chi-square statistic of `observed` counts against `expected` probabilities.
func chiSquare(observed: [Int], expected: [Double]) -> Double {
    let draws = Double(observed.reduce(0, +))
    return zip(observed, expected).reduce(0.0) { sum, pair in
        let want = pair.1 * draws
        return sum + (Double(pair.0) - want) * (Double(pair.0) - want) / want
    }
}
