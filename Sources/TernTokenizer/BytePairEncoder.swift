/// The merge step of byte-level BPE: a word's bytes start as one symbol each and the adjacent pair with the best
/// merge rank is merged, leftmost first, until no pair has a rank.
///
/// Symbols are ids: vocabulary ids, plus ids past the vocabulary for merge parts that are not tokens themselves
/// (llama.cpp merges strings and only looks them up at the end, so such parts must still merge).
struct BytePairEncoder: Sendable {
    /// The result of merging one pair.
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// The symbol of each byte.
    let byteSymbols: [Int32]
    /// Merges keyed by `left << 32 | right`.
    let merges: [UInt64: Merge]
    /// Number of real tokens; symbols at or past it are not tokens.
    let vocabularySize: Int
    /// Vocabulary-form text of the symbols past the vocabulary.
    let extraSymbols: [String]
    /// The token whose text is exactly this one-byte string (ASCII only), for llama.cpp's fallback.
    let singleByteTokens: [Int32?]

    init(tokens: [String], idForText: [String: Int32], merges mergeStrings: [String]) throws(TokenizerError) {
        vocabularySize = tokens.count
        var extra: [String] = []
        var extraIDs: [String: Int32] = [:]
        func symbol(_ text: String) -> Int32 {
            if let id = idForText[text] ?? extraIDs[text] { return id }
            let id = Int32(tokens.count + extra.count)
            extra.append(text)
            extraIDs[text] = id
            return id
        }
        byteSymbols = ByteLevelMapping.scalarForByte.map { symbol(String($0)) }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeStrings.count)
        for (rank, line) in mergeStrings.enumerated() {
            // The separator is the first space after the first character, as in llama.cpp.
            let utf8 = Array(line.utf8)
            guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20) else {
                throw TokenizerError(.invalidVocabulary, "merge \(rank) '\(line)' is not 'left right'")
            }
            let left = String(decoding: utf8[..<space], as: UTF8.self)
            let right = String(decoding: utf8[(space + 1)...], as: UTF8.self)
            let key = UInt64(UInt32(bitPattern: symbol(left))) << 32 | UInt64(UInt32(bitPattern: symbol(right)))
            if table[key] == nil {
                table[key] = Merge(rank: Int32(rank), result: symbol(left + right))
            }
        }
        merges = table
        extraSymbols = extra
        singleByteTokens = (0..<256).map { $0 < 128 ? idForText[String(UnicodeScalar(UInt8($0)))] : nil }
    }

    /// Appends the tokens of one pre-tokenized word.
    func encode(_ word: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if word.count == 1 {
            emit(byteSymbols[Int(word[0])], into: &out)
            return
        }
        var symbols = word.map { byteSymbols[Int($0)] }
        // Doubly linked list over positions; a merged symbol keeps its left position.
        var next = Array(1...symbols.count)
        var previous = Array(-1..<(symbols.count - 1))
        var queue = MergeQueue()
        for position in 0..<(symbols.count - 1) {
            if let merge = mergeOf(symbols[position], symbols[position + 1]) {
                queue.push(.init(rank: merge.rank, position: Int32(position), left: symbols[position], right: symbols[position + 1]))
            }
        }
        while let candidate = queue.pop() {
            let position = Int(candidate.position)
            let right = next[position]
            // Skip candidates made stale by an earlier merge on either side.
            guard right < symbols.count, symbols[position] == candidate.left, symbols[right] == candidate.right,
                let merge = mergeOf(candidate.left, candidate.right)
            else { continue }
            symbols[position] = merge.result
            symbols[right] = -1
            let after = next[right]
            next[position] = after
            if after < symbols.count { previous[after] = position }
            let before = previous[position]
            if before >= 0, let merged = mergeOf(symbols[before], symbols[position]) {
                queue.push(.init(rank: merged.rank, position: Int32(before), left: symbols[before], right: symbols[position]))
            }
            if after < symbols.count, let merged = mergeOf(symbols[position], symbols[after]) {
                queue.push(.init(rank: merged.rank, position: Int32(position), left: symbols[position], right: symbols[after]))
            }
        }
        var position = 0
        while position < symbols.count {
            emit(symbols[position], into: &out)
            position = next[position]
        }
    }

    private func mergeOf(_ left: Int32, _ right: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))]
    }

    /// A final symbol: its token, or (as llama.cpp does) the one-byte tokens of its text's bytes.
    private func emit(_ symbol: Int32, into out: inout [Int32]) {
        if Int(symbol) < vocabularySize {
            out.append(symbol)
            return
        }
        for byte in extraSymbols[Int(symbol) - vocabularySize].utf8 {
            if let token = singleByteTokens[Int(byte)] { out.append(token) }
        }
    }
}
