import TernEngine
import Testing

/// The forward pass against llama.cpp on the default model: the same greedy tokens, and logits that stay close.
///
/// Steps are compared until the first one where llama.cpp's own top-1/top-2 margin is below ``marginFloor``: past
/// such a step two correct implementations may legitimately continue differently.
@Suite(.serialized)
struct GoldenGreedyTests {
    static let marginFloor = 0.3
    /// Largest allowed difference between one of llama.cpp's top-5 logits and ours.
    ///
    /// Tern reproduces the reference's arithmetic bit for bit at every kernel level (see docs/correctness.md), so the
    /// only difference left is the reference file's rounding of the logits (≈5·10⁻⁵). Anything larger means an
    /// operation no longer rounds as llama.cpp does: this model turns such one-ulp differences into logit changes of
    /// 0.3–0.7 within a few steps.
    static let logitTolerance: Float = 0.01

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let ids: [Int32]
        let steps: [Golden.Step]
        var testDescription: String { name }
    }

    static var cases: [Case] {
        TestModel.golden.greedy.map { Case(name: $0.prompt, ids: $0.ids, steps: $0.steps) }
            + TestModel.golden.chat_template.enumerated().map {
                Case(name: "chat template \($0.offset)", ids: $0.element.ids, steps: $0.element.greedy)
            }
    }

    @Test(arguments: cases)
    func greedyMatchesLlamaCpp(_ reference: Case) throws {
        let model = try TestModel.load()
        let generator = Generator(model: model, contextLength: 512, threads: 2, batchSize: 64)
        var logits = try generator.prefill(reference.ids)
        var position = reference.ids.count
        var compared = 0
        for step in reference.steps {
            if step.margin < Self.marginFloor { break }
            let best = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            try #require(Int32(best) == step.token, "step \(compared): argmax \(best), llama.cpp \(step.token)")
            for entry in step.top {
                let id = Int(entry[0])
                let expected = Float(entry[1])
                #expect(
                    abs(logits[id] - expected) <= Self.logitTolerance,
                    "step \(compared): logit of \(id) is \(logits[id]), llama.cpp \(expected)")
            }
            compared += 1
            logits = try generator.prefill([step.token], start: position)
            position += 1
        }
        #expect(compared > 0 || reference.steps.first.map { $0.margin < Self.marginFloor } == true)
    }
}
