import Foundation
import TernEngine
import Testing

@Suite struct SamplerTruncationTests {
    /// Probabilities ½, ¼, ⅛, … assigned to a scrambled set of ids, as logits.
    private func halvingLogits(count: Int) -> (logits: [Float], rank: [Int32]) {
        let rank = (0..<Int32(count)).map { ($0 * 7 + 3) % Int32(count) }  // rank i → token id; 7 is coprime with count
        var logits = [Float](repeating: 0, count: count)
        for (i, token) in rank.enumerated() { logits[Int(token)] = -Float(i + 1) * Float(M_LN2) }
        return (logits, rank)
    }

    private func keptTokens(_ parameters: SamplingParameters, _ logits: [Float]) -> [Int32] {
        distribution(Sampler(parameters: parameters, vocabularySize: logits.count), logits).map(\.token)
    }

    @Test(arguments: [10, 100])
    func topPKeepsTheSmallestSetReachingTheMass(count: Int) {
        let (logits, rank) = halvingLogits(count: count)
        // Cumulative mass: 0.5, 0.75, 0.875, 0.9375, …
        #expect(keptTokens(SamplingParameters(topP: 0.8), logits) == Array(rank.prefix(3)))
        #expect(keptTokens(SamplingParameters(topP: 0.74), logits) == Array(rank.prefix(2)))
        #expect(keptTokens(SamplingParameters(topP: 0.3), logits) == Array(rank.prefix(1)))
        #expect(keptTokens(SamplingParameters(topP: 0), logits) == Array(rank.prefix(1)))
        #expect(keptTokens(SamplingParameters(topP: 0.998), logits) == Array(rank.prefix(9)))
    }

    @Test(arguments: [10, 100])
    func minPDropsTokensBelowTheFractionOfTheBest(count: Int) {
        let (logits, rank) = halvingLogits(count: count)
        // Ratios to the best token: 1, ½, ¼, ⅛ …
        #expect(keptTokens(SamplingParameters(minP: 0.2), logits) == Array(rank.prefix(3)))
        #expect(keptTokens(SamplingParameters(minP: 0.24), logits) == Array(rank.prefix(3)))
        #expect(keptTokens(SamplingParameters(minP: 0.26), logits) == Array(rank.prefix(2)))
        #expect(keptTokens(SamplingParameters(minP: 1), logits) == Array(rank.prefix(1)))
    }

    @Test func temperatureAppliesBeforeTopPAndMinP() {
        let (logits, rank) = halvingLogits(count: 50)
        // At temperature 2 the ratios become 1, 0.707, 0.5, 0.354, 0.25, …: min-p 0.3 keeps four tokens, not two.
        #expect(keptTokens(SamplingParameters(temperature: 2, minP: 0.3), logits) == Array(rank.prefix(4)))
        // At temperature 0.5 the probabilities are ¾, 3/16, …: top-p 0.7 keeps the first token only.
        #expect(keptTokens(SamplingParameters(temperature: 0.5, topP: 0.7), logits) == Array(rank.prefix(1)))
    }

    @Test func topKKeepsTheBestAndPrefersLowerIdsOnTies() {
        let logits: [Float] = [1, 2, 2, 2, 0, 3]
        #expect(keptTokens(SamplingParameters(topK: 3), logits) == [5, 1, 2])
        #expect(keptTokens(SamplingParameters(topK: 6), logits).count == 6)
        #expect(keptTokens(SamplingParameters(topK: 60), logits).count == 6)
    }

    @Test(arguments: [
        SamplingParameters(temperature: 1, topK: 40),
        SamplingParameters(temperature: 0.7, topP: 0.9),
        SamplingParameters(temperature: 1.1, minP: 0.05),
        SamplingParameters(temperature: 0.8, topK: 2000, topP: 0.95, minP: 0.01),
        SamplingParameters(temperature: 3, topP: 0.5),
        SamplingParameters(temperature: 1, topP: 0.99),
    ])
    func chainMatchesAFullSortReference(parameters: SamplingParameters) {
        for seed: UInt64 in 1...2 {
            let logits = randomLogits(count: 49152, seed: seed, spread: 16)
            let reference = referenceDistribution(logits, parameters)
            let actual = distribution(Sampler(parameters: parameters, vocabularySize: logits.count), logits)
            let actualTokens = Set(actual.map(\.token))
            let referenceTokens = Set(reference.map(\.token))
            let extra = actualTokens.subtracting(referenceTokens)
            let missing = referenceTokens.subtracting(actualTokens)
            #expect(extra.isEmpty && missing.isEmpty)
            #expect(actual.count == actualTokens.count)
            let logprobs = Dictionary(uniqueKeysWithValues: actual.map { ($0.token, Double($0.logprob)) })
            let worst = reference.map { abs((logprobs[$0.token] ?? 0) - log($0.probability)) }.max() ?? 0
            #expect(worst < 1e-4)
            #expect(zip(actual, actual.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        }
    }

    @Test func topPIsNotFooledByTiesAtTheBoundary() {
        let logits = [Float](repeating: 0, count: 64)  // uniform: 0.8 of the mass is 51.2 tokens
        #expect(keptTokens(SamplingParameters(topP: 0.8), logits) == Array(0..<52))
    }
}
