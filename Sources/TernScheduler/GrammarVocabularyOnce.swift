import Foundation
import Synchronization
import TernEngine
import TernGrammar

/// A model's vocabulary indexed for grammars, built the first time a request needs it, on a thread of its own.
///
/// Indexing sorts every token's bytes: for a vocabulary of 262,144 tokens that is a quarter of the model's load, which
/// a model that never sees a schema need not wait for.
final class GrammarVocabularyOnce: Sendable {
    private enum State {
        case none
        case building([CheckedContinuation<TokenVocabulary, Never>])
        case built(TokenVocabulary)
    }

    private let model: LoadedModel
    private let state = Mutex(State.none)

    init(model: LoadedModel) {
        self.model = model
    }

    /// The vocabulary; the first caller starts building it, and every caller waits until it is built.
    func value() async -> TokenVocabulary {
        await withCheckedContinuation { continuation in
            let (ready, start) = state.withLock { state -> (TokenVocabulary?, Bool) in
                switch state {
                case .built(let vocabulary): return (vocabulary, false)
                case .building(let waiting):
                    state = .building(waiting + [continuation])
                    return (nil, false)
                case .none:
                    state = .building([continuation])
                    return (nil, true)
                }
            }
            if let ready { continuation.resume(returning: ready) }
            guard start else { return }
            let model = model
            let thread = Thread { [self] in
                let vocabulary = TokenVocabulary(tokenizer: model.tokenizer, logitCount: model.config.vocabularySize)
                let waiting = state.withLock { state -> [CheckedContinuation<TokenVocabulary, Never>] in
                    defer { state = .built(vocabulary) }
                    if case .building(let waiting) = state { return waiting }
                    return []
                }
                for waiter in waiting { waiter.resume(returning: vocabulary) }
            }
            thread.name = "tern-vocabulary"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
