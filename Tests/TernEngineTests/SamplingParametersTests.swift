import TernEngine
import Testing

@Suite struct SamplingParametersTests {
    @Test func defaultsAndGreedyAreValid() throws {
        try SamplingParameters().validate(vocabularySize: 10)
        try SamplingParameters.greedy.validate(vocabularySize: 10)
        #expect(SamplingParameters.greedy.isGreedy)
        #expect(!SamplingParameters().isGreedy)
        #expect(SamplingParameters(topK: 1).isGreedy)
    }

    @Test(arguments: [
        (SamplingParameters(temperature: -0.1), SamplingParameters.ValidationError.Parameter.temperature),
        (SamplingParameters(temperature: .nan), .temperature),
        (SamplingParameters(temperature: .infinity), .temperature),
        (SamplingParameters(topK: -1), .topK),
        (SamplingParameters(topP: 1.5), .topP),
        (SamplingParameters(topP: -0.1), .topP),
        (SamplingParameters(topP: .nan), .topP),
        (SamplingParameters(minP: 1.01), .minP),
        (SamplingParameters(minP: -1), .minP),
        (SamplingParameters(repetitionPenalty: 0), .repetitionPenalty),
        (SamplingParameters(repetitionPenalty: -1.1), .repetitionPenalty),
        (SamplingParameters(repetitionWindow: -1), .repetitionWindow),
        (SamplingParameters(repetitionWindow: SamplingParameters.maximumRepetitionWindow + 1), .repetitionWindow),
        (SamplingParameters(presencePenalty: .nan), .presencePenalty),
        (SamplingParameters(frequencyPenalty: -.infinity), .frequencyPenalty),
        (SamplingParameters(logitBias: [3: .nan]), .logitBias),
        (SamplingParameters(logitBias: [10: 1]), .logitBias),
        (SamplingParameters(logitBias: [-1: 1]), .logitBias),
    ])
    func invalidParameterIsNamed(parameters: SamplingParameters, parameter: SamplingParameters.ValidationError.Parameter) {
        #expect {
            try parameters.validate(vocabularySize: 10)
        } throws: { error in
            (error as? SamplingParameters.ValidationError)?.parameter == parameter
        }
    }

    @Test func errorDescriptionNamesTheParameter() {
        do {
            try SamplingParameters(topP: 2).validate()
            Issue.record("top-p 2 was accepted")
        } catch {
            #expect(error.parameter == .topP)
            #expect(error.description.hasPrefix("topP: "))
        }
    }

    @Test func biasTokensAreOnlyCheckedAgainstAKnownVocabulary() throws {
        try SamplingParameters(logitBias: [70_000: 5]).validate()
        #expect(throws: SamplingParameters.ValidationError.self) {
            try SamplingParameters(logitBias: [70_000: 5]).validate(vocabularySize: 49152)
        }
    }

    @Test func edgeValuesAreAccepted() throws {
        try SamplingParameters(temperature: 0, topK: 0, topP: 0, minP: 1, repetitionPenalty: 0.5, repetitionWindow: 0).validate()
        try SamplingParameters(presencePenalty: -2, frequencyPenalty: 2, logitBias: [0: -100, 9: 100]).validate(vocabularySize: 10)
    }
}
