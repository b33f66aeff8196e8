import Foundation
import TernEngine
import Testing

@Suite struct SamplerLogprobTests {
    private func expectRawLogprobs(_ result: SampledToken, _ logits: [Float], alternatives: Int) throws {
        let normaliser = logSumExp(logits)
        let logprob = try #require(result.logprob)
        #expect(abs(Double(logprob) - (Double(logits[Int(result.token)]) - normaliser)) < 1e-5)

        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        #expect(result.topLogprobs.map(\.token) == order.prefix(alternatives).map { Int32($0) })
        for alternative in result.topLogprobs {
            #expect(abs(Double(alternative.logprob) - (Double(logits[Int(alternative.token)]) - normaliser)) < 1e-5)
        }
        #expect(zip(result.topLogprobs, result.topLogprobs.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
    }

    @Test(arguments: [0, 1, 5, 20])
    func logprobsAreTheLogSoftmaxOfTheRawLogits(alternatives: Int) throws {
        let logits = randomLogits(count: 49152, seed: 12, spread: 14)
        for parameters in [SamplingParameters.greedy, SamplingParameters(temperature: 0.6, topP: 0.9, seed: 3)] {
            let sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
            try expectRawLogprobs(sampleOnce(sampler, logits, topLogprobs: alternatives), logits, alternatives: alternatives)
        }
    }

    @Test func logprobsIgnoreBiasPenaltiesAndTemperature() throws {
        let logits = randomLogits(count: 500, seed: 13, spread: 8)
        let forced: Int32 = 17
        let parameters = SamplingParameters(
            temperature: 0.3, repetitionPenalty: 1.4, presencePenalty: 1, frequencyPenalty: 0.5, logitBias: [forced: 100, 5: -100], seed: 8)
        let sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
        for token: Int32 in [1, 2, 3, 4, 5] { sampler.accept(token, isPrompt: false) }
        let result = sampleOnce(sampler, logits, topLogprobs: 4)
        #expect(result.token == forced)
        try expectRawLogprobs(result, logits, alternatives: 4)
    }

    @Test func alternativesOnTiesAreOrderedById() {
        let sampler = Sampler(parameters: .greedy, vocabularySize: 6)
        let result = sampleOnce(sampler, [1, 3, 3, 0, 3, 2], topLogprobs: 4)
        #expect(result.token == 1)
        #expect(result.topLogprobs.map(\.token) == [1, 2, 4, 5])
    }

    @Test func noLogprobsUnlessAsked() {
        let sampler = Sampler(parameters: SamplingParameters(seed: 1), vocabularySize: 10)
        let result = sampleOnce(sampler, randomLogits(count: 10, seed: 1))
        #expect(result.logprob == nil)
        #expect(result.topLogprobs.isEmpty)
    }

    @Test func askingForLogprobsDoesNotChangeTheTokens() {
        let logits = randomLogits(count: 2000, seed: 14, spread: 5)
        let parameters = SamplingParameters(temperature: 0.9, topK: 100, repetitionPenalty: 1.2, frequencyPenalty: 0.3, seed: 5)
        let plain = Sampler(parameters: parameters, vocabularySize: logits.count)
        let withLogprobs = Sampler(parameters: parameters, vocabularySize: logits.count)
        for _ in 0..<100 {
            let a = sampleOnce(plain, logits)
            let b = sampleOnce(withLogprobs, logits, topLogprobs: 3)
            #expect(a.token == b.token)
            plain.accept(a.token, isPrompt: false)
            withLogprobs.accept(b.token, isPrompt: false)
        }
    }
}
