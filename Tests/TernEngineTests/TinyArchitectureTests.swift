import Foundation
import TernEngine
import TernGGUF
import Testing

/// Every family's forward pass against llama.cpp, on tiny random-weight models: the logits after every token of a
/// fixed sequence, computed as one batch and one token at a time.
///
/// The models are made by `scripts/make_arch_fixtures.py models DIR` (deterministic; scripts/test.sh makes them and
/// sets `TERN_TEST_TINY_MODELS=DIR`); llama.cpp's logits for them are in Tests/Fixtures/tiny-architectures.json.
@Suite(.enabled(if: TinyModels.directory != nil, "set TERN_TEST_TINY_MODELS (scripts/test.sh does)"))
struct TinyArchitectureTests {
    /// Largest allowed difference between one of llama.cpp's logits and Tern's for the sequence run as one batch, as the
    /// fixture's llama.cpp ran it (without its repacked and tiled products, `--reference-kernels`): Tern rounds as it
    /// does at every operation, so this is the fixture's rounding (5 decimals) and little more; measured below 1e-4.
    /// Mistakes in a description move logits much more: Llama 3 without its `rope_freqs` by up to 5.3, Qwen 2 with
    /// llama's RoPE pairing 1.6, Gemma 3 without its sliding window 2.8, Gemma 2 without attention soft-capping 0.48.
    static let batchedTolerance: Float = 0.001
    /// The same for the sequence fed one token at a time, each a decode step: its attention sums in the order of one
    /// token, not of a batch, which for these short rows gives the same bits except in Gemma 3 (measured 0.04).
    static let steppedTolerance: Float = 0.05
    /// Largest allowed mean difference over all logits of a model: measured at most 0.006; the mistakes above give
    /// 0.04 to 0.35.
    static let meanTolerance: Float = 0.01

    @Test(arguments: TinyModels.fixture.models.map(\.name))
    func logitsMatchLlamaCpp(_ name: String) throws {
        let reference = try #require(TinyModels.fixture.models.first { $0.name == name })
        let model = try TinyModels.load(name)
        #expect(model.config.architecture == reference.architecture)
        let batched = try TinyModels.logits(model, sequences: [reference.ids])[0]
        let stepped = try TinyModels.logitsOneByOne(model, reference.ids)
        for (label, logits, tolerance) in [("batched", batched, Self.batchedTolerance), ("one by one", stepped, Self.steppedTolerance)] {
            var sum: Float = 0
            for (position, expected) in reference.logits.enumerated() {
                let differences = zip(logits[position], expected).map { abs($0 - $1) }
                sum += differences.reduce(0, +)
                let worst = differences.max()!
                #expect(worst <= tolerance, "\(name), \(label), after token \(position): largest logit difference \(worst)")
            }
            let mean = sum / Float(reference.logits.count * reference.logits[0].count)
            #expect(mean <= Self.meanTolerance, "\(name), \(label): mean logit difference \(mean)")
        }
    }

    @Test(arguments: TinyModels.fixture.models.map(\.name))
    func batchingDoesNotChangeTheLogits(_ name: String) throws {
        let model = try TinyModels.load(name)
        let ids = try #require(TinyModels.fixture.models.first { $0.name == name }).ids
        let alone = try TinyModels.logits(model, sequences: [ids])[0]
        let together = try TinyModels.logits(model, sequences: [Array(ids.reversed()), ids, Array(ids.prefix(5))])[1]
        #expect(alone == together)
    }
}

/// The tiny models and llama.cpp's logits for them.
enum TinyModels {
    struct Fixture: Decodable {
        struct Model: Decodable {
            let name: String
            let architecture: String
            let ids: [Int32]
            let logits: [[Float]]
        }
        let models: [Model]
    }

    static let directory = ProcessInfo.processInfo.environment["TERN_TEST_TINY_MODELS"].flatMap { $0.isEmpty ? nil : $0 }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny-architectures.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func load(_ name: String) throws -> any LanguageModel {
        let path = try #require(directory) + "/\(name).gguf"
        return try ModelArchitectures.load(GGUFFile(path: path))
    }

    /// The logits after every token of each sequence, all sequences in one batch (each in its own cache slot).
    static func logits(_ model: any LanguageModel, sequences: [[Int32]]) throws -> [[[Float]]] {
        let total = sequences.map(\.count).reduce(0, +)
        let cache = KVCache(config: model.config, slotCount: sequences.count, contextLength: 64)
        let state = ForwardState(config: model.config, maxTokens: total, contextLength: 64, threads: 2)
        var batch = ForwardBatch(capacity: total)
        // Interleaved, so that each sequence's rows are not next to each other.
        for position in 0..<sequences.map(\.count).max()! {
            for (slot, ids) in sequences.enumerated() where position < ids.count {
                batch.append(token: ids[position], position: position, slot: slot, wantsLogits: true)
            }
        }
        let rows = try model.forward(batch, cache: cache, state: state)
        var result = sequences.map { _ in [[Float]]() }
        for row in 0..<rows { result[batch.slots[row]].append(Array(state.logits(row: row))) }
        return result
    }

    /// The logits after every token of `ids`, fed one decode step at a time.
    static func logitsOneByOne(_ model: any LanguageModel, _ ids: [Int32]) throws -> [[Float]] {
        let cache = KVCache(config: model.config, slotCount: 1, contextLength: 64)
        let state = ForwardState(config: model.config, maxTokens: 1, contextLength: 64, threads: 2)
        var batch = ForwardBatch(capacity: 1)
        var result: [[Float]] = []
        for (position, id) in ids.enumerated() {
            batch.removeAll()
            batch.append(token: id, position: position, slot: 0, wantsLogits: true, decoding: true)
            _ = try model.forward(batch, cache: cache, state: state)
            result.append(Array(state.logits(row: 0)))
        }
        return result
    }
}
