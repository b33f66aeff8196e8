/// One of llama.cpp's pre-tokenizer regexes, compiled once, splitting text the way llama.cpp does with it.
///
/// A small backtracking engine for exactly the constructs those regexes use: classes with `\p{L}`-style categories,
/// `\s`, ranges and negation; alternation; greedy `?` `*` `+` `{m,n}`; groups `(?:…)`, `(?i:…)` (ASCII case folding);
/// lookahead `(?=…)` `(?!…)`; and `$`. Matching follows ECMAScript (`std::regex`, which llama.cpp uses where it has no
/// hand-written pass): alternatives in order, quantifiers greedy with backtracking, lookahead atomic.
///
/// ```swift
/// let pattern = try SplitPattern(#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#)
/// ```
struct SplitPattern: Sendable {
    /// One step of the compiled program.
    enum Instruction: Sendable {
        /// Consume one scalar of the set.
        case scalar(set: Int)
        /// Consume between `min` and `max` scalars of the set, as many as possible first.
        case run(set: Int, min: Int, max: Int)
        /// Go on with the next instruction; on failure, resume at `alternative`. When the scalar here is not among
        /// guard number `guard`'s codes (in ``SplitPattern/guardBits``; -1 for none), the next instructions cannot
        /// match and the fork goes to `alternative` at once.
        case fork(alternative: Int, guard: Int)
        case jump(Int)
        /// Match the body (the next instructions, up to its `accept`) here without consuming, then go on at `resume`.
        case lookahead(negated: Bool, resume: Int)
        /// Succeed only at the end of the text being split.
        case end
        case accept

        var isEnd: Bool {
            if case .end = self { return true }
            return false
        }
    }

    /// A saved choice: resume at `pc` and `position`; for a run, `runLength` is the length to try next.
    struct Backtrack {
        var pc: Int32
        var position: Int32
        var runLength: Int32
    }

    /// The regex as written.
    let source: String
    let program: [Instruction]
    let sets: [ScalarSet]
    /// The non-ASCII ranges of all sets, for patterns that match by value.
    let ranges: [ClosedRange<UInt32>]
    /// For each guarded fork, the codes the branch it tries first can start with: 256 bits, four words per guard.
    let guardBits: [UInt64]

    /// Appends the pieces of `piece` to `out`: each match, and each stretch between matches, in order.
    ///
    /// This is how llama.cpp splits: a match ends one piece, and scalars no alternative matches stay together.
    func split(_ text: ScalarText, _ piece: Range<Int>, into out: inout [Range<Int>], stack: inout [Backtrack]) {
        program.withUnsafeBufferPointer { program in
            sets.withUnsafeBufferPointer { sets in
                ranges.withUnsafeBufferPointer { ranges in
                    guardBits.withUnsafeBufferPointer { guardBits in
                        text.codes.withUnsafeBufferPointer { codes in
                            text.values.withUnsafeBufferPointer { values in
                                let matcher = Matcher(
                                    program: program, sets: sets, ranges: ranges, guardBits: guardBits, codes: codes, values: values)
                                matcher.split(piece, into: &out, stack: &stack)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A pattern applied to one text: everything the backtracking loop reads, without bounds checks or reference counts.
private struct Matcher {
    let program: UnsafeBufferPointer<SplitPattern.Instruction>
    let sets: UnsafeBufferPointer<ScalarSet>
    let ranges: UnsafeBufferPointer<ClosedRange<UInt32>>
    /// Guard `g` is bits `256 * g ..< 256 * (g + 1)`, four words each.
    let guardBits: UnsafeBufferPointer<UInt64>
    let codes: UnsafeBufferPointer<UInt8>
    let values: UnsafeBufferPointer<UInt32>

    func split(_ piece: Range<Int>, into out: inout [Range<Int>], stack: inout [SplitPattern.Backtrack]) {
        var unmatched = piece.lowerBound
        var position = piece.lowerBound
        while position < piece.upperBound {
            guard let stop = run(from: 0, at: position, end: piece.upperBound, stack: &stack) else {
                position += 1
                continue
            }
            if unmatched < position { out.append(unmatched..<position) }
            out.append(position..<stop)
            position = stop
            unmatched = stop
        }
        if unmatched < piece.upperBound { out.append(unmatched..<piece.upperBound) }
    }

    @inline(__always)
    private func test(_ set: Int, _ position: Int) -> Bool {
        sets[set].contains(code: codes[position], value: values[position], rangeList: ranges)
    }

    /// The end of the match of the program from `startPC` at `start` (never empty: the parser rejects such patterns).
    private func run(from startPC: Int, at start: Int, end: Int, stack: inout [SplitPattern.Backtrack]) -> Int? {
        let base = stack.count
        var pc = startPC
        var position = start
        while true {
            var matched = true
            switch program[pc] {
            case .scalar(let set):
                if position < end && test(set, position) {
                    position += 1
                    pc += 1
                } else {
                    matched = false
                }
            case .run(let set, let min, let max):
                var length = 0
                while length < max && position + length < end && test(set, position + length) { length += 1 }
                if length < min {
                    matched = false
                } else {
                    // Giving back cannot help a `$` that follows (`\s+$` would otherwise be quadratic in a long run).
                    if length > min, !program[pc + 1].isEnd {
                        stack.append(SplitPattern.Backtrack(pc: Int32(pc), position: Int32(position), runLength: Int32(length - 1)))
                    }
                    position += length
                    pc += 1
                }
            case .fork(let alternative, let guardIndex):
                if guardIndex >= 0 {
                    let code = position < end ? Int(codes[position]) : -1
                    guard code >= 0, guardBits[guardIndex * 4 + code >> 6] >> UInt64(code & 63) & 1 != 0 else {
                        pc = alternative
                        continue
                    }
                }
                stack.append(SplitPattern.Backtrack(pc: Int32(alternative), position: Int32(position), runLength: -1))
                pc += 1
            case .jump(let target):
                pc = target
            case .lookahead(let negated, let resume):
                // Atomic, as in ECMAScript: the body's own choices are dropped either way.
                let found = run(from: pc + 1, at: position, end: end, stack: &stack) != nil
                if found != negated { pc = resume } else { matched = false }
            case .end:
                if position == end { pc += 1 } else { matched = false }
            case .accept:
                stack.removeSubrange(base...)
                return position
            }
            if matched { continue }
            guard stack.count > base else { return nil }
            let choice = stack[stack.count - 1]
            if choice.runLength < 0 {
                stack.removeLast()
                pc = Int(choice.pc)
                position = Int(choice.position)
            } else {
                // Give back one more scalar of the run and go on after it.
                guard case .run(_, let min, _) = program[Int(choice.pc)] else { preconditionFailure("run choice without a run") }
                if Int(choice.runLength) > min { stack[stack.count - 1].runLength -= 1 } else { stack.removeLast() }
                pc = Int(choice.pc) + 1
                position = Int(choice.position + choice.runLength)
            }
        }
    }
}
