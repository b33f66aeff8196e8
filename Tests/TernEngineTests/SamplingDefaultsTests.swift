import TernEngine
import TernGGUF
import Testing

@Suite struct SamplingDefaultsTests {
    @Test func aFileRecommendationsAreReadWithTheirTypes() {
        let defaults = SamplingDefaults(metadata: [
            "general.sampling.temp": .float32(0.6), "general.sampling.top_k": .int32(20), "general.sampling.top_p": .float32(0.9),
            "general.sampling.min_p": .float64(0.1), "general.sampling.penalty_repeat": .float32(1.1),
            "general.sampling.penalty_last_n": .int32(128),
        ])
        #expect(defaults == SamplingDefaults(temperature: 0.6, topK: 20, topP: 0.9, minP: 0.1, repetitionPenalty: 1.1, repetitionWindow: 128))
    }

    @Test func valuesTheSamplerWouldRefuseAreLeftOut() {
        let defaults = SamplingDefaults(metadata: [
            "general.sampling.temp": .float32(-1), "general.sampling.top_k": .int32(-5), "general.sampling.top_p": .float32(1.5),
            "general.sampling.min_p": .float32(.nan), "general.sampling.penalty_repeat": .float32(0),
            "general.sampling.penalty_last_n": .int32(-1), "general.sampling.top_k_typo": .int32(3),
        ])
        #expect(defaults == SamplingDefaults())
        var parameters = SamplingParameters()
        defaults.filling(from: .llamaCpp).apply(to: &parameters)
        #expect(throws: Never.self) { try parameters.validate() }
    }

    @Test func theFirstSourceThatSaysSomethingWins() {
        let operatorOptions = SamplingDefaults(temperature: 0)
        let model = SamplingDefaults(temperature: 0.6, topK: 20)
        let resolved = operatorOptions.filling(from: model).filling(from: .llamaCpp)
        #expect(resolved == SamplingDefaults(temperature: 0, topK: 20, topP: 0.95, minP: 0.05, repetitionPenalty: 1, repetitionWindow: 64))
        var parameters = SamplingParameters(topK: 7, presencePenalty: 0.5)
        resolved.apply(to: &parameters)
        #expect(parameters.temperature == 0 && parameters.topK == 20 && parameters.topP == 0.95 && parameters.minP == 0.05)
        #expect(parameters.presencePenalty == 0.5, "fields the defaults do not cover are kept")
    }
}
