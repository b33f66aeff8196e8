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
    /// When set, the text is free until it contains these bytes; the grammar then reads what follows them.
    public let trigger: [UInt8]?
    private let cache: Mutex<MaskCache>

    /// The most memory the cached masks of one grammar take.
    public static let maxCacheBytes = 64 << 20

    /// Binds `grammar` to `vocabulary`; with a `trigger`, the grammar starts after the text first contains it.
    public init(grammar: Grammar, vocabulary: TokenVocabulary, trigger: [UInt8]? = nil) {
        precondition(trigger.map { !$0.isEmpty } ?? true, "an empty trigger")
        self.grammar = grammar
        self.vocabulary = vocabulary
        self.trigger = trigger
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
