import TernEngine

/// Decodes the same token stream in several sequences at once: one forward pass per position, one row per sequence.
final class ParallelDecoder {
    private let model: LoadedModel
    private let sequences: Int
    private let cache: KVCache
    private let state: ForwardState
    private var batch: ForwardBatch

    init(model: LoadedModel, sequences: Int, contextLength: Int, threads: Int) {
        self.model = model
        self.sequences = sequences
        cache = KVCache(config: model.config, slotCount: sequences, contextLength: contextLength)
        state = ForwardState(config: model.config, maxTokens: sequences, contextLength: contextLength, threads: threads)
        batch = ForwardBatch(capacity: sequences)
    }

    /// One decode step of every sequence, each wanting logits as a server's would.
    func step(token: Int32, position: Int) throws {
        batch.removeAll()
        for slot in 0..<sequences {
            batch.append(token: token, position: position, slot: slot, wantsLogits: true, decoding: true)
        }
        _ = try model.model.forward(batch, cache: cache, state: state)
    }
}
