/// Where a document stands in a ``Grammar``: the set of parse stacks still alive after the bytes read so far.
///
/// A stack's top is always a byte set (references are expanded and finished alternatives popped as soon as a byte
/// is read), so reading one byte is: keep the stacks whose top admits it, step past that element and expand again.
/// A stack that empties completes the document (``isAccepting``). Rules are expanded with tail references dropped,
/// so repetitions (`R ::= x R | ε`) do not grow the stacks.
public struct GrammarMatcher: Sendable {
    /// The grammar being matched.
    public let grammar: Grammar
    var arena = StackArena()
    /// The tops of the live stacks.
    var live: [Int32] = []
    /// Whether the bytes read so far form a complete document.
    public private(set) var isAccepting = false
    private var scratch: [Int32] = []
    private var saved: [Int32] = []

    /// The most stacks kept alive; an ambiguous grammar beyond it keeps its first ones (what is allowed stays valid).
    static let maxStacks = 128
    /// Expansion deeper than this (only a grammar with empty recursion gets there) abandons the stack.
    static let maxDepth = 512

    /// A matcher at the start of a document.
    public init(grammar: Grammar) {
        self.grammar = grammar
        var accepting = false
        Self.expandRule(grammar.root, parent: -1, grammar: grammar, arena: &arena, into: &live, accepting: &accepting, depth: 0)
        isAccepting = accepting
        Self.deduplicate(&live, arena: arena)
    }

    /// Whether some byte can still follow.
    public var canContinue: Bool { !live.isEmpty }

    /// Reads one byte; returns `false` (and changes nothing) when the grammar does not allow it here.
    public mutating func advance(_ byte: UInt8) -> Bool {
        guard read(byte) else { return false }
        compactIfNeeded()
        return true
    }

    private mutating func read(_ byte: UInt8) -> Bool {
        // Buffers are swapped, never copied: no allocation once they have grown.
        var next: [Int32] = []
        swap(&next, &scratch)
        next.removeAll(keepingCapacity: true)
        next += live
        var accepting = false
        Self.step(&next, tops: 0..<live.count, byte: byte, grammar: grammar, arena: &arena, accepting: &accepting)
        next.removeSubrange(0..<live.count)
        guard !next.isEmpty || accepting else {
            swap(&next, &scratch)
            return false
        }
        Self.deduplicate(&next, arena: arena)
        swap(&live, &next)
        swap(&scratch, &next)
        isAccepting = accepting
        return true
    }

    /// Reads `bytes`, all or none: on `false` the matcher is as it was.
    public mutating func advance(_ bytes: some Collection<UInt8>) -> Bool {
        let mark = arena.count
        saved.removeAll(keepingCapacity: true)
        saved += live
        let wasAccepting = isAccepting
        for byte in bytes where !read(byte) {
            live.removeAll(keepingCapacity: true)
            live += saved
            isAccepting = wasAccepting
            arena.truncate(to: mark)
            return false
        }
        compactIfNeeded()
        return true
    }

    /// Nodes of finished stacks pile up in the arena; copies out the live ones now and then.
    private mutating func compactIfNeeded() {
        if arena.count > 4096 && arena.count > 16 * live.count { arena = arena.compacted(keeping: &live) }
    }

    /// The state as a key for caching its token mask: each live stack's positions, top first, and the accept flag.
    func stateKey(into key: inout [Int32]) {
        key.removeAll(keepingCapacity: true)
        key.append(isAccepting ? 1 : 0)
        for top in live {
            var node = top
            while node >= 0 {
                key.append(arena.positions[Int(node)])
                node = arena.parents[Int(node)]
            }
            key.append(-1)
        }
    }

    // MARK: - Stepping (static, so that the mask search can run it on its own buffers)

    /// Appends to `buffer` the advance of every stack of `buffer[tops]` that admits `byte`.
    @inline(__always)
    static func step(
        _ buffer: inout [Int32], tops: Range<Int>, byte: UInt8, grammar: Grammar, arena: inout StackArena, accepting: inout Bool
    ) {
        for index in tops {
            let top = buffer[index]
            let position = arena.positions[Int(top)]
            guard grammar.byteSets[Int(grammar.elements[Int(position)])].contains(byte) else { continue }
            expand(position + 1, parent: arena.parents[Int(top)], grammar: grammar, arena: &arena, into: &buffer, accepting: &accepting, depth: 0)
        }
    }

    /// Expands a stack whose top is at `position` until every resulting top is a byte set.
    static func expand(
        _ position: Int32, parent: Int32, grammar: Grammar, arena: inout StackArena, into out: inout [Int32], accepting: inout Bool,
        depth: Int
    ) {
        guard depth < maxDepth else { return }
        let element = grammar.elements[Int(position)]
        if element >= 0 {
            out.append(arena.allocate(position: position, parent: parent))
        } else if element == Grammar.end {
            if parent < 0 {
                accepting = true
            } else if grammar.elements[Int(arena.positions[Int(parent)])] >= 0 {
                out.append(parent)  // the continuation is a byte set: its node is the new top as it is
            } else {
                expand(
                    arena.positions[Int(parent)], parent: arena.parents[Int(parent)], grammar: grammar, arena: &arena, into: &out,
                    accepting: &accepting, depth: depth + 1)
            }
        } else {
            let next = position + 1
            let continuation = grammar.elements[Int(next)] == Grammar.end ? parent : arena.allocate(position: next, parent: parent)
            expandRule(
                Grammar.referencedRule(element), parent: continuation, grammar: grammar, arena: &arena, into: &out, accepting: &accepting,
                depth: depth + 1)
        }
    }

    static func expandRule(
        _ rule: Int32, parent: Int32, grammar: Grammar, arena: inout StackArena, into out: inout [Int32], accepting: inout Bool, depth: Int
    ) {
        let first = Int(grammar.ruleAlternatives[2 * Int(rule)])
        let end = Int(grammar.ruleAlternatives[2 * Int(rule) + 1])
        for alternative in first..<end {
            expand(
                grammar.alternativeStarts[alternative], parent: parent, grammar: grammar, arena: &arena, into: &out, accepting: &accepting,
                depth: depth)
        }
    }

    /// Removes the stacks of `buffer[start...]` equal to an earlier one of them, and keeps at most ``maxStacks``.
    /// The mask search does the same after every byte, so that an ambiguous grammar cannot multiply its stacks with
    /// each byte of a token, and so that the mask and the matcher keep the same stacks.
    static func deduplicate(_ buffer: inout [Int32], from start: Int = 0, arena: StackArena) {
        guard buffer.count - start > 1 else { return }
        var kept = start
        for index in start..<buffer.count {
            let top = buffer[index]
            var seen = false
            for earlier in start..<kept where arena.sameStack(buffer[earlier], top) {
                seen = true
                break
            }
            if !seen {
                buffer[kept] = top
                kept += 1
            }
        }
        buffer.removeSubrange(min(kept, start + maxStacks)...)
    }
}
