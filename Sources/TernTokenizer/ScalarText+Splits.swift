extension ScalarText {
    /// GPT-2's split of one piece: contractions, an optional space then a run of letters, of numbers or of other
    /// symbols, whitespace that leaves its last scalar to the next word, and trailing whitespace.
    func splitGPT2(_ piece: Range<Int>, into out: inout [Range<Int>]) {
        let end = piece.upperBound
        var pos = piece.lowerBound
        while pos < end {
            let scalar = values[pos]
            if scalar == 0x27, let length = contractionLength(at: pos, end: end) {
                out.append(pos..<pos + length)
                pos += length
                continue
            }
            // A single leading space joins the run that follows it.
            let isSpace = scalar == 0x20
            let runStart = isSpace ? pos + 1 : pos
            let runClass: Class? = runStart < end ? classes[runStart] : nil
            if let runClass, runClass != .whitespace {
                var stop = runStart + 1
                while stop < end && classes[stop] == runClass { stop += 1 }
                out.append(pos..<stop)
                pos = stop
                continue
            }
            var spaces = 0
            while pos + spaces < end && classes[pos + spaces] == .whitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < end {
                // `\s+(?!\S)`: the last whitespace scalar stays with the following word.
                out.append(pos..<pos + spaces - 1)
                pos += spaces - 1
            } else {
                let stop = pos + max(spaces, 1)
                out.append(pos..<stop)
                pos = stop
            }
        }
    }

    /// The length of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` at `pos` (case-sensitive), if one starts there.
    private func contractionLength(at pos: Int, end: Int) -> Int? {
        guard pos + 1 < end else { return nil }
        let next = values[pos + 1]
        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return 2 }  // s t m d
        guard pos + 2 < end else { return nil }
        let third = values[pos + 2]
        if (next == 0x72 || next == 0x76) && third == 0x65 { return 3 }  // re ve
        if next == 0x6C && third == 0x6C { return 3 }  // ll
        return nil
    }

    /// `\p{N}`: each number scalar alone, the scalars between them as they are.
    func isolateNumbers(_ piece: Range<Int>, into out: inout [Range<Int>]) {
        var start = piece.lowerBound
        for pos in piece where classes[pos] == .number {
            if start < pos { out.append(start..<pos) }
            out.append(pos..<pos + 1)
            start = pos + 1
        }
        if start < piece.upperBound { out.append(start..<piece.upperBound) }
    }
}
