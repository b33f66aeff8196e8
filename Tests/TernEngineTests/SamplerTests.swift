import Foundation
import TernEngine
import Testing

@Suite struct SamplerTests {
    @Test func greedyPicksTheArgmaxAndTheLowestIdOnTies() {
        let sampler = Sampler(parameters: .greedy, vocabularySize: 6)
        #expect(sampleOnce(sampler, [0.5, 1, 3, -2, 3, 2.9]).token == 2)
        #expect(sampleOnce(sampler, [-1, -1, -1, -1, -1, -1]).token == 0)
        #expect(sampleOnce(sampler, [-.infinity, -5, -.infinity, -4, -4.5, -9]).token == 3)
    }

    @Test func greedyOnALargeVocabularyMatchesTheMaximum() {
        let logits = randomLogits(count: 49152, seed: 3)
        let sampler = Sampler(parameters: .greedy, vocabularySize: logits.count)
        let token = sampleOnce(sampler, logits).token
        #expect(logits[Int(token)] == logits.max())
    }

    @Test func topKOfOneEqualsGreedy() {
        let greedy = Sampler(parameters: .greedy, vocabularySize: 1000)
        let topOne = Sampler(parameters: SamplingParameters(temperature: 1.5, topK: 1, seed: 9), vocabularySize: 1000)
        for seed in 0..<20 {
            let logits = randomLogits(count: 1000, seed: UInt64(seed), spread: 4)
            #expect(sampleOnce(topOne, logits).token == sampleOnce(greedy, logits).token)
        }
    }

    @Test func randomGeneratorMatchesPublishedConstruction() {
        // Known answers from an independent implementation of SplitMix64 seeding and xoshiro256**.
        var zero = Xoshiro256StarStar(seed: 0)
        #expect(
            [zero.next(), zero.next(), zero.next(), zero.next()] == [
                0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0, 0x6aa5_94f1_262d_2d2c,
            ])
        var answer = Xoshiro256StarStar(seed: 42)
        #expect([answer.next(), answer.next()] == [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e])
        for _ in 0..<1000 {
            let unit = answer.nextUnitInterval()
            #expect(unit >= 0 && unit < 1)
        }
    }

    private func draws(seed: UInt64?, count: Int, parameters: SamplingParameters = SamplingParameters()) -> [Int32] {
        var parameters = parameters
        parameters.seed = seed
        let logits = randomLogits(count: 5000, seed: 11, spread: 3)
        let sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
        return (0..<count).map { _ in sampleOnce(sampler, logits).token }
    }

    @Test func sameSeedGivesTheSameTokens() {
        let truncating = SamplingParameters(temperature: 0.8, topK: 400, topP: 0.9, minP: 0.01)
        #expect(draws(seed: 1234, count: 500) == draws(seed: 1234, count: 500))
        #expect(draws(seed: 1234, count: 500, parameters: truncating) == draws(seed: 1234, count: 500, parameters: truncating))
    }

    @Test func differentSeedsGiveDifferentTokens() {
        #expect(draws(seed: 1, count: 100) != draws(seed: 2, count: 100))
        #expect(draws(seed: nil, count: 100) != draws(seed: nil, count: 100))
    }

    @Test func effectiveSeedReplaysAnUnseededSampler() {
        let logits = randomLogits(count: 300, seed: 5, spread: 2)
        let unseeded = Sampler(parameters: SamplingParameters(), vocabularySize: logits.count)
        let replay = Sampler(parameters: SamplingParameters(seed: unseeded.seed), vocabularySize: logits.count)
        let first = (0..<200).map { _ in sampleOnce(unseeded, logits).token }
        let second = (0..<200).map { _ in sampleOnce(replay, logits).token }
        #expect(first == second)
    }

    @Test func resetBehavesLikeANewSampler() {
        let parameters = SamplingParameters(temperature: 0.9, repetitionPenalty: 1.3, presencePenalty: 0.4, frequencyPenalty: 0.2, seed: 77)
        let logits = randomLogits(count: 200, seed: 8, spread: 3)
        let sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
        func run() -> [Int32] {
            for token: Int32 in [1, 2, 3] { sampler.accept(token, isPrompt: true) }
            return (0..<100).map { _ in
                let token = sampleOnce(sampler, logits).token
                sampler.accept(token, isPrompt: false)
                return token
            }
        }
        let first = run()
        sampler.reset()
        #expect(run() == first)
        #expect(Set(first).count > 10)
    }

    @Test func temperatureSamplingFollowsTheSoftmax() {
        let logits: [Float] = [2, 1, 0.5, 0, -0.5, -1, 0.3, 1.5]
        let temperature: Float = 0.7
        let sampler = Sampler(parameters: SamplingParameters(temperature: temperature, seed: 2024), vocabularySize: logits.count)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<100_000 { counts[Int(sampleOnce(sampler, logits).token)] += 1 }
        let weights = logits.map { exp(Double($0 / temperature)) }
        let expected = weights.map { $0 / weights.reduce(0, +) }
        // 7 degrees of freedom: 24.3 is the 99.9% quantile. Deterministic given the seed.
        #expect(chiSquare(observed: counts, expected: expected) < 24.3)
    }

    @Test func untruncatedSamplingOverManyChunksFollowsTheSoftmax() {
        // 100 tokens: six 16-wide chunks and a tail of four, drawn without any candidate list.
        let logits = randomLogits(count: 100, seed: 31, spread: 3)
        let sampler = Sampler(parameters: SamplingParameters(temperature: 1, seed: 4242), vocabularySize: logits.count)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<30_000 { counts[Int(sampleOnce(sampler, logits).token)] += 1 }
        let weights = logits.map { exp(Double($0)) }
        let expected = weights.map { $0 / weights.reduce(0, +) }
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(chiSquare(observed: counts, expected: expected) < 99 + 6 * (2 * 99.0).squareRoot())
    }

    @Test func truncatedSamplingFollowsTheReferenceDistribution() {
        let logits = randomLogits(count: 1000, seed: 21, spread: 12)
        let parameters = SamplingParameters(temperature: 1.3, topK: 500, topP: 0.7, minP: 0.02, seed: 99)
        let reference = referenceDistribution(logits, parameters)
        #expect(reference.count > 5 && reference.count < 200, "kept \(reference.count) tokens")
        let sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
        var counts: [Int32: Int] = [:]
        for _ in 0..<30_000 { counts[sampleOnce(sampler, logits).token, default: 0] += 1 }
        #expect(Set(counts.keys).isSubset(of: Set(reference.map(\.token))))
        let observed = reference.map { counts[$0.token, default: 0] }
        // Quantile 99.9% of chi-square with k-1 dof, bounded generously by k-1 + 6·sqrt(2(k-1)).
        let dof = Double(reference.count - 1)
        #expect(chiSquare(observed: observed, expected: reference.map(\.probability)) < dof + 6 * (2 * dof).squareRoot())
    }
}
