import TernEngine
import TernOpenAI
import Testing

@testable import TernServer

/// What a request that leaves fields out runs with: the defaults for what it omits, its own values for the rest.
@Suite struct GenerationPlanTests {
    static let defaults = SamplingDefaults(temperature: 0.5).filling(from: .llamaCpp)

    static func plan(
        _ sampling: TernOpenAI.SamplingParameters, maxTokens: Int? = nil, defaultMaxTokens: Int = 4096, prompt: Int = 10, context: Int = 100
    ) throws -> GenerationPlan {
        try GenerationPlan.make(
            prompts: [Array(repeating: 1, count: prompt)], n: 1, maxTokens: maxTokens, defaultMaxTokens: defaultMaxTokens, sampling: sampling,
            defaults: defaults, topLogprobs: nil, contextLength: context, capacity: 4, vocabularySize: 50, contextParam: "messages")
    }

    @Test func fieldsLeftOutTakeTheDefaults() throws {
        let sampling = try #require(try Self.plan(TernOpenAI.SamplingParameters()).sequences.first).request.sampling
        #expect(sampling.temperature == 0.5 && sampling.topK == 40 && sampling.topP == 0.95 && sampling.minP == 0.05)
        #expect(sampling.repetitionPenalty == 1 && sampling.presencePenalty == 0)
    }

    @Test func fieldsTheRequestSetsWin() throws {
        let asked = TernOpenAI.SamplingParameters(temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1.2)
        let sampling = try #require(try Self.plan(asked).sequences.first).request.sampling
        #expect(sampling.temperature == 1 && sampling.topK == 0 && sampling.topP == 1 && sampling.minP == 0)
        #expect(sampling.repetitionPenalty == 1.2)
    }

    @Test func withoutMaxTokensTheDefaultCapAppliesButNeverPastTheContext() throws {
        let none = TernOpenAI.SamplingParameters()
        #expect(try Self.plan(none, defaultMaxTokens: 30).sequences[0].request.maxTokens == 30)
        #expect(try Self.plan(none, defaultMaxTokens: 4096).sequences[0].request.maxTokens == 90)
        #expect(try Self.plan(none, maxTokens: 60, defaultMaxTokens: 30).sequences[0].request.maxTokens == 60, "the client's limit wins")
        #expect(throws: OpenAIError.self) { try Self.plan(none, maxTokens: 95, defaultMaxTokens: 30) }
    }
}
