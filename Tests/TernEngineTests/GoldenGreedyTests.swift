import TernEngine
import Testing

/// The forward pass against llama.cpp: same greedy tokens and nearly the same logits on the default model.
@Suite(.serialized)
struct GoldenGreedyTests {
    /// Steps are compared until the first one where llama.cpp's own top-2 margin is below this.
    static let marginFloor = 0.3
    /// Largest allowed difference between a top-5 logit of ours and llama.cpp's.
    static let logitTolerance: Float = 0.35

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let ids: [Int32]
        let steps: [Golden.Step]
        var testDescription: String { name }
    }

    static var cases: [Case] {
        TestModel.golden.greedy.map { Case(name: $0.prompt, ids: $0.ids, steps: $0.steps) }
            + TestModel.golden.chat_template.enumerated().map { Case(name: "chat template \($0.offset)", ids: $0.element.ids, steps: $0.element.greedy) }
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
            let best = logits.indices.max { logits[$0] < logits[$1] }!
            #expect(Int32(best) == step.token, "step \(compared): argmax \(best), llama.cpp \(step.token)")
            for entry in step.top {
                let id = Int(entry[0])
                let expected = Float(entry[1])
                #expect(abs(logits[id] - expected) <= Self.logitTolerance, "step \(compared): logit of \(id) is \(logits[id]), llama.cpp \(expected)")
            }
            guard Int32(best) == step.token else { break }
            compared += 1
            logits = try generator.prefill([step.token], start: position)
            position += 1
        }
        #expect(compared > 0 || reference.steps.first.map { $0.margin < Self.marginFloor } == true)
    }
}
