/// One sequence's place in a ``TokenGrammar``: limits each step's logits to the tokens the grammar allows and
/// follows the tokens sampled.
///
/// A token is allowed when all of its bytes can be read from the current state; end-of-generation tokens when the
/// document is complete. With triggers, nothing is constrained until the text has contained them in turn; the bytes
/// after the last are the grammar's first. With openers, the grammar starts at the first of them the text then
/// contains, and reads it. The mask of a state is computed by walking the vocabulary's trie with the parse stacks
/// (a subtree is skipped as soon as its prefix is refused) and cached in the ``TokenGrammar``.
public struct TokenMatcher: Sendable {
    /// The grammar and vocabulary.
    public let tokenGrammar: TokenGrammar
    var matcher: GrammarMatcher
    private var mask: [UInt64]
    private var key: [Int32] = []
    private var frontier: [Int32] = []
    /// Whether the grammar applies: from the start, or once the triggers (and an opener) have been seen.
    public private(set) var isActive: Bool
    /// The last bytes of free text, to find a trigger or an opener that spans tokens.
    private var recent: [UInt8] = []
    /// How many of the triggers have been seen.
    private var triggersSeen = 0

    /// A matcher at the start of a document.
    public init(_ tokenGrammar: TokenGrammar) {
        self.tokenGrammar = tokenGrammar
        matcher = GrammarMatcher(grammar: tokenGrammar.grammar)
        mask = Array(repeating: 0, count: tokenGrammar.vocabulary.maskWords)
        isActive = tokenGrammar.triggers.isEmpty && tokenGrammar.openers.isEmpty
    }

    /// Whether the text so far is a complete document.
    public var isComplete: Bool { isActive && matcher.isAccepting }

    /// Sets every logit the grammar does not allow to `-infinity`. When the grammar allows no token at all (a
    /// vocabulary that cannot spell what must come next), end-of-generation tokens are allowed instead.
    public mutating func constrain(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard isActive else { return }
        computeMask()
        let vocabulary = tokenGrammar.vocabulary
        var allowedAny = false
        for word in 0..<mask.count where mask[word] != 0 {
            allowedAny = true
            break
        }
        if !allowedAny {
            for token in vocabulary.endOfGeneration { mask[Int(token) >> 6] |= 1 << UInt64(token & 63) }
        }
        let count = min(logits.count, vocabulary.logitCount)
        for word in 0..<mask.count {
            let bits = mask[word]
            if bits == ~0 { continue }
            let base = word << 6
            for bit in 0..<min(64, count - base) where bits & (1 << UInt64(bit)) == 0 {
                logits[base + bit] = -.infinity
            }
        }
        for index in count..<logits.count { logits[index] = -.infinity }
    }

    /// Follows a sampled token. Returns `false` when the grammar did not allow it (the matcher is then unchanged, except
    /// that a grammar started by this token's trigger or opener stays started).
    @discardableResult
    public mutating func accept(_ token: Int32) -> Bool {
        let vocabulary = tokenGrammar.vocabulary
        if !isActive {
            recent += vocabulary.tokenBytes(token)
            return startIfTriggered()
        }
        if vocabulary.endOfGeneration.contains(token) { return matcher.isAccepting || !matcher.canContinue }
        let bytes = vocabulary.tokenBytes(token)
        guard !bytes.isEmpty else { return false }
        return matcher.advance(bytes)
    }

    /// Looks for the next trigger (a token may complete one and hold the next) and then an opener in the free text;
    /// starts the grammar on what follows the last trigger, or on the opener and what follows it. Returns `false`
    /// when the grammar refuses the text it starts on.
    private mutating func startIfTriggered() -> Bool {
        let triggers = tokenGrammar.triggers, openers = tokenGrammar.openers
        while triggersSeen < triggers.count {
            guard let start = Self.start(of: triggers[triggersSeen], in: recent) else {
                recent.removeFirst(max(0, recent.count - (triggers[triggersSeen].count - 1)))
                return true
            }
            recent.removeSubrange(..<(start + triggers[triggersSeen].count))
            triggersSeen += 1
        }
        var from = 0
        if !openers.isEmpty {
            let found = openers.compactMap { Self.start(of: $0, in: recent) }.min()
            guard let found else {
                recent.removeFirst(max(0, recent.count - ((openers.map(\.count).max() ?? 1) - 1)))
                return true
            }
            from = found
        }
        isActive = true
        let rest = recent[from...]
        recent = []
        return rest.isEmpty || matcher.advance(Array(rest))
    }

    /// The index of the first occurrence of `pattern` in `bytes`.
    static func start(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start..<start + pattern.count].elementsEqual(pattern) {
            return start
        }
        return nil
    }

    /// Fills `mask` for the current state, from the cache when the state was seen before.
    mutating func computeMask() {
        matcher.stateKey(into: &key)
        if tokenGrammar.cachedMask(for: key, into: &mask) { return }
        for index in mask.indices { mask[index] = 0 }
        if matcher.isAccepting {
            for token in tokenGrammar.vocabulary.endOfGeneration { mask[Int(token) >> 6] |= 1 << UInt64(token & 63) }
        }
        let mark = matcher.arena.count
        // The search borrows the buffers by swapping (a copy would duplicate them on the first write).
        var search = MaskSearch(grammar: matcher.grammar, trie: tokenGrammar.vocabulary.trie)
        swap(&search.arena, &matcher.arena)
        swap(&search.frontier, &frontier)
        swap(&search.mask, &mask)
        search.frontier.removeAll(keepingCapacity: true)
        search.frontier += matcher.live
        search.visit(node: 0, tops: 0..<search.frontier.count)
        search.arena.truncate(to: mark)
        swap(&search.arena, &matcher.arena)
        swap(&search.frontier, &frontier)
        swap(&search.mask, &mask)
        tokenGrammar.store(mask, for: key)
    }
}

/// The depth-first walk of the token trie: each child's byte advances the parent's stacks, tokens ending where some
/// stack survives (or the document is complete) are allowed, and a subtree with no surviving stack is skipped.
///
/// Inside strings most of the trie is plain text (``TokenTrie/plainBytes``). When every stack either takes all plain
/// bytes or none, the stacks after a plain byte do not depend on which one it was: one step with a stand-in byte
/// serves them all, and a subtree made only of plain bytes is allowed whole when the stacks survive as many plain
/// bytes as it is deep (an unbounded string survives any number: its stacks come back to themselves).
struct MaskSearch {
    let grammar: Grammar
    let trie: TokenTrie
    var arena = StackArena()
    var frontier: [Int32] = []
    var mask: [UInt64] = []

    /// Stacks after a byte beyond which duplicates are removed.
    static let deduplicateAbove = 16

    /// The most plain bytes the chain of ``plainRun(_:limit:)`` follows.
    static let plainRunLimit = 64

    /// Visits the children of `node`, whose prefix left the stacks `tops`; `run` is their ``plainRun(_:limit:)``
    /// when already known.
    mutating func visit(node: Int, tops: Range<Int>, run knownRun: Int? = nil) {
        let first = Int(trie.childStart[node])
        let end = Int(trie.childStart[node + 1])
        var knownRun = knownRun
        for edge in first..<end {
            let child = Int(trie.childNodes[edge])
            let byte = trie.childBytes[edge]
            let height = Int(trie.plainHeight[child])
            if height >= 0 && TokenTrie.plainBytes.contains(byte) {
                let run = knownRun ?? plainRun(tops, limit: Self.plainRunLimit)
                knownRun = run
                if height + 1 <= run {
                    allow(Int(trie.tokenStart[child])..<Int(trie.tokenStart[Int(trie.subtreeEnd[child])]))
                    continue
                }
            }
            let mark = arena.count
            let start = frontier.count
            var accepting = false
            GrammarMatcher.step(&frontier, tops: tops, byte: byte, grammar: grammar, arena: &arena, accepting: &accepting)
            // Duplicates do not change what is allowed, only the cost: removed once they could multiply (the
            // distinct stacks keep their order, so the cap keeps the ones the matcher keeps).
            if frontier.count - start > Self.deduplicateAbove { GrammarMatcher.deduplicate(&frontier, from: start, arena: arena) }
            let survivors = start..<frontier.count
            if !survivors.isEmpty || accepting {
                allow(Int(trie.tokenStart[child])..<Int(trie.tokenStart[child + 1]))
                if !survivors.isEmpty && trie.childStart[child] < trie.childStart[child + 1] {
                    // After a plain byte from stacks with a known run, the run is one shorter (or still unbounded).
                    let childRun = knownRun.flatMap { run in
                        TokenTrie.plainBytes.contains(byte) && run > 0 ? (run == .max ? run : run - 1) : nil
                    }
                    visit(node: child, tops: survivors, run: childRun)
                }
            }
            frontier.removeSubrange(start...)
            arena.truncate(to: mark)
        }
    }

    @inline(__always)
    mutating func allow(_ tokens: Range<Int>) {
        for index in tokens {
            let token = trie.tokenIDs[index]
            mask[Int(token) >> 6] |= 1 << UInt64(token & 63)
        }
    }

    /// How many plain bytes, whichever they are, the stacks `tops` can read with a token allowed to end after each
    /// (at most `limit`); `Int.max` when they come back to themselves.
    mutating func plainRun(_ tops: Range<Int>, limit: Int) -> Int {
        let arenaMark = arena.count
        let frontierMark = frontier.count
        defer {
            frontier.removeSubrange(frontierMark...)
            arena.truncate(to: arenaMark)
        }
        var current = tops
        var run = 0
        while run < limit {
            for index in current {
                let set = grammar.byteSets[Int(grammar.elements[Int(arena.positions[Int(frontier[index])])])]
                let plain = set.intersecting(TokenTrie.plainBytes)
                guard plain.isEmpty || plain == TokenTrie.plainBytes else { return run }
            }
            let start = frontier.count
            var accepting = false
            GrammarMatcher.step(&frontier, tops: current, byte: UInt8(ascii: "a"), grammar: grammar, arena: &arena, accepting: &accepting)
            if frontier.count - start > Self.deduplicateAbove { GrammarMatcher.deduplicate(&frontier, from: start, arena: arena) }
            let next = start..<frontier.count
            if next.isEmpty { return accepting ? run + 1 : run }
            run += 1
            if sameStacks(current, next) { return .max }
            current = next
        }
        return run
    }

    /// Whether two ranges of the frontier hold the same stacks.
    func sameStacks(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for i in b where !a.contains(where: { arena.sameStack(frontier[$0], frontier[i]) }) { return false }
        return true
    }
}
