import Synchronization

/// A grammar bound to a model's vocabulary: what a constrained request carries to the scheduler.
///
/// Shared by every sequence that uses the same grammar; it holds the masks already computed, keyed by the matcher's
/// state, so that a state seen before (the inside of a string, a repeated array item) costs one lookup.
public final class TokenGrammar: Sendable {
    /// The grammar over bytes.
    public let grammar: Grammar
    /// The vocabulary it is bound to.
    public let vocabulary: TokenVocabulary
    /// Markers that start the grammar: the text is free until it contains each of them in turn (`</think>`, then
    /// `<tool_call>`); the grammar then reads what follows the last. Empty: the grammar applies from the start.
    public let triggers: [[UInt8]]
    /// Openings of the grammar's document: after the triggers the text is free until it contains one of them, and the
    /// grammar reads from that opening on (Llama 3.x's calls start with `{"name"` or `<|python_tag|>`). Empty: the
    /// grammar starts right after the triggers.
    public let openers: [[UInt8]]
    private let cache: Mutex<MaskCache>

    /// The most memory the cached masks of one grammar take.
    public static let maxCacheBytes = 64 << 20

    /// Binds `grammar` to `vocabulary`; with `triggers`, the grammar starts after the text has contained them in turn,
    /// and with `openers`, at the first of them the text then contains.
    public init(grammar: Grammar, vocabulary: TokenVocabulary, triggers: [[UInt8]] = [], openers: [[UInt8]] = []) {
        precondition(triggers.allSatisfy { !$0.isEmpty } && openers.allSatisfy { !$0.isEmpty }, "an empty trigger or opener")
        self.grammar = grammar
        self.vocabulary = vocabulary
        self.triggers = triggers
        self.openers = openers
        let maskBytes = vocabulary.maskWords * 8
        cache = Mutex(MaskCache(capacity: max(16, Self.maxCacheBytes / max(1, maskBytes))))
    }

    /// How many masks are cached (for tests and metrics).
    public var cachedMasks: Int { cache.withLock { $0.masks.count } }

    func cachedMask(for key: [Int32], into mask: inout [UInt64]) -> Bool {
        cache.withLock { cache in
            guard let found = cache.masks[key] else { return false }
            mask.withUnsafeMutableBufferPointer { target in
                found.withUnsafeBufferPointer { source in
                    _ = target.initialize(fromContentsOf: source)
                }
            }
            return true
        }
    }

    func store(_ mask: [UInt64], for key: [Int32]) {
        cache.withLock { cache in
            if cache.masks.count >= cache.capacity { cache.masks.removeAll(keepingCapacity: true) }
            cache.masks[key] = mask
        }
    }
}

/// Masks by matcher state; emptied whole when full (states of one document repeat, so it refills with the useful ones).
struct MaskCache: ~Copyable {
    var masks: [[Int32]: [UInt64]] = [:]
    let capacity: Int
}
