import TernEngine
import Testing

@Suite struct SamplerPenaltyTests {
    private let logits: [Float] = [2, -2, 1, 0.5, 3]

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerToken() {
        let sampler = Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2, repetitionWindow: 4), vocabularySize: 5)
        for token: Int32 in [2, 0, 1, 0, 4] { sampler.accept(token, isPrompt: true) }
        // The window holds the last four: 0, 1, 0, 4 — token 2 has left it, token 0 is penalised once.
        #expect(adjustedLogits(sampler, logits) == [1, -4, 1, 0.5, 1.5])
    }

    @Test func repetitionPenaltyCountsGeneratedTokensAndSlidesItsWindow() {
        let sampler = Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 1.25, repetitionWindow: 2), vocabularySize: 5)
        sampler.accept(4, isPrompt: false)
        #expect(adjustedLogits(sampler, logits) == [2, -2, 1, 0.5, 2.4])
        sampler.accept(1, isPrompt: false)
        sampler.accept(3, isPrompt: true)
        #expect(adjustedLogits(sampler, logits) == [2, -2.5, 1, 0.4, 3])
    }

    @Test func presenceAndFrequencyPenaltiesFollowTheOpenAIFormulaOverGeneratedTokensOnly() {
        let parameters = SamplingParameters(temperature: 0, presencePenalty: 0.5, frequencyPenalty: 0.25)
        let sampler = Sampler(parameters: parameters, vocabularySize: 5)
        sampler.accept(3, isPrompt: true)
        sampler.accept(3, isPrompt: true)
        for token: Int32 in [0, 0, 2, 0] { sampler.accept(token, isPrompt: false) }
        // token 0: 2 − (0.5 + 3·0.25); token 2: 1 − (0.5 + 0.25); token 3 was only in the prompt.
        #expect(adjustedLogits(sampler, logits) == [0.75, -2, 0.25, 0.5, 3])
    }

    @Test func negativePenaltiesEncourageRepetition() {
        let sampler = Sampler(parameters: SamplingParameters(temperature: 0, presencePenalty: -1, frequencyPenalty: -0.5), vocabularySize: 5)
        sampler.accept(1, isPrompt: false)
        sampler.accept(1, isPrompt: false)
        #expect(adjustedLogits(sampler, logits) == [2, 0, 1, 0.5, 3])
    }

    @Test func penaltiesStillApplyAtTemperatureZero() {
        let sampler = Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 1.5, presencePenalty: 0.6), vocabularySize: 5)
        #expect(sampleOnce(sampler, logits).token == 4)
        sampler.accept(4, isPrompt: false)
        // 3 / 1.5 − 0.6 = 1.4 < 2: the best token is now 0.
        #expect(sampleOnce(sampler, logits).token == 0)
        sampler.accept(0, isPrompt: false)
        // 2 / 1.5 − 0.6 ≈ 0.73 and 1.4 for token 4, against an untouched 1 for token 2.
        #expect(sampleOnce(sampler, logits).token == 4)
    }

    @Test func logitBiasIsAddedBeforePenalties() {
        let sampler = Sampler(
            parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2, logitBias: [1: 4, 3: -1.5]),
            vocabularySize: 5
        )
        sampler.accept(1, isPrompt: true)
        // Token 1: (−2 + 4) / 2 = 1; token 3: 0.5 − 1.5 = −1.
        #expect(adjustedLogits(sampler, logits) == [2, 1, 1, -1, 3])
    }

    @Test func biasOfMinusOneHundredBansAndPlusOneHundredForces() {
        let logits = randomLogits(count: 1000, seed: 4, spread: 6)
        let best = Int32(logits.firstIndex(of: logits.max()!)!)
        let worst = Int32(logits.firstIndex(of: logits.min()!)!)

        let banned = Sampler(parameters: SamplingParameters(temperature: 1, logitBias: [best: -100], seed: 1), vocabularySize: 1000)
        let forced = Sampler(parameters: SamplingParameters(temperature: 1.5, logitBias: [worst: 100], seed: 1), vocabularySize: 1000)
        let peaked = logits.map { $0 * 3 }  // the best token would win most draws without the bias
        for _ in 0..<2000 {
            #expect(sampleOnce(banned, peaked).token != best)
            #expect(sampleOnce(forced, peaked).token == worst)
        }
        #expect(
            sampleOnce(Sampler(parameters: SamplingParameters(temperature: 0, logitBias: [best: -100]), vocabularySize: 1000), logits).token != best)
        #expect(
            sampleOnce(Sampler(parameters: SamplingParameters(temperature: 0, logitBias: [worst: 100]), vocabularySize: 1000), logits).token == worst)
    }
}
