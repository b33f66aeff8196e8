/// The merge step of BPE: a word starts as one symbol per byte (GPT-2's byte-level alphabet) or per UTF-8 character
/// (SentencePiece-style vocabularies such as Gemma 4's), and the adjacent pair with the best merge rank is merged,
/// leftmost first, until no pair has a rank.
///
/// Symbols are ids: vocabulary ids, plus ids past the vocabulary for merge parts that are not tokens themselves
/// (llama.cpp merges strings and only looks them up at the end, so such parts must still merge).
struct BytePairEncoder: Sendable {
    /// When a whole word becomes one token without merging.
    enum WholeWords: Sendable {
        case never
        /// Whenever the word is a token (llama.cpp's `ignore_merges`).
        case always
        /// When the word is a run of newlines that is a token (Gemma 4).
        case newlineRuns
    }

    /// The symbol of a character that is neither a token nor part of a merge: it never merges.
    private static let unmergeable = Int32.max

    /// Whether words are merged over GPT-2's byte alphabet (else over their own UTF-8 characters).
    let byteLevel: Bool
    /// Symbols by vocabulary-form text: tokens, then merge parts that are not tokens.
    private let symbolTable: TokenTable
    /// The symbol of each byte (byte-level only).
    private let byteSymbols: [Int32]
    private let merges: MergeTable
    /// Number of real tokens; symbols at or past it are not tokens.
    private let vocabularySize: Int
    /// The token each byte of a final symbol that is not a token becomes, if any: in byte-level vocabularies the
    /// token whose text is that one character (printable ASCII only, as in llama.cpp), else the `<0xXX>` token.
    private let fallbackTokens: [Int32?]
    private let wholeWords: WholeWords
    /// Tokens by the raw bytes they stand for, for whole-word lookups in byte-level vocabularies.
    private let rawTokens: TokenTable?

    init(tokens: [String], merges mergeStrings: [String], byteLevel: Bool, wholeWords: WholeWords) throws(TokenizerError) {
        self.byteLevel = byteLevel
        self.wholeWords = wholeWords
        vocabularySize = tokens.count
        var table = TokenTable(capacity: tokens.count + mergeStrings.count / 8)
        for (id, text) in tokens.enumerated() { table.insert(text, Int32(id)) }
        var nextSymbol = Int32(tokens.count)
        func symbol(_ text: UnsafeBufferPointer<UInt8>) -> Int32 {
            if let id = table.lookup(text) { return id }
            table.insert(text, nextSymbol)
            nextSymbol += 1
            return nextSymbol - 1
        }
        func symbol(_ text: String) -> Int32 {
            var text = text
            return text.withUTF8 { symbol($0) }
        }

        byteSymbols = byteLevel ? ByteLevelMapping.scalarForByte.map { symbol(String($0)) } : []
        var mergeTable = MergeTable(capacity: mergeStrings.count)
        var joined: [UInt8] = []
        for (rank, line) in mergeStrings.enumerated() {
            var line = line
            let merge: (left: Int32, right: Int32, result: Int32)? = line.withUTF8 { utf8 in
                // The separator is the first space after the first byte, as in llama.cpp.
                guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20) else { return nil }
                let left = symbol(UnsafeBufferPointer(rebasing: utf8[..<space]))
                let right = symbol(UnsafeBufferPointer(rebasing: utf8[(space + 1)...]))
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: utf8[..<space])
                joined.append(contentsOf: utf8[(space + 1)...])
                let result = joined.withUnsafeBufferPointer { symbol($0) }
                return (left, right, result)
            }
            guard let merge else { throw TokenizerError(.invalidVocabulary, "merge \(rank) '\(line)' is not 'left right'") }
            mergeTable.insertIfAbsent(merge.left, merge.right, MergeTable.Merge(rank: Int32(rank), result: merge.result))
        }
        merges = mergeTable
        symbolTable = table

        func token(_ text: String) -> Int32? { table.lookup(text).flatMap { Int($0) < tokens.count ? $0 : nil } }
        fallbackTokens = (0..<256).map { byte in
            if !byteLevel { return token(ByteToken.text(UInt8(byte))) }
            return (0x21...0x7E).contains(byte) ? token(String(UnicodeScalar(UInt8(byte)))) : nil
        }
        if byteLevel && wholeWords != .never {
            // A word equals a token's text in byte-level form exactly when its bytes are what the token decodes to.
            var raw = TokenTable(capacity: tokens.count)
            for (id, text) in tokens.enumerated() {
                guard let bytes = ByteLevelMapping.decodeExactly(text) else { continue }
                bytes.withUnsafeBufferPointer { raw.insert($0, Int32(id)) }
            }
            rawTokens = raw
        } else {
            rawTokens = nil
        }
    }

    /// Buffers that one encoding reuses from word to word.
    struct Workspace {
        /// The symbol at each position; -1 once merged into the symbol on its left.
        fileprivate var symbols: [Int32] = []
        /// Where each position's bytes start in the word, plus the word's length (UTF-8 alphabet only).
        fileprivate var starts: [Int] = []
        /// Doubly linked list over the live positions; `next` of the last is the symbol count.
        fileprivate var next: [Int] = []
        fileprivate var previous: [Int] = []
        fileprivate var queue = MergeQueue<Pair>()

        init() {}
    }

    /// Appends the tokens of one pre-tokenized word (raw bytes).
    func encode(_ word: UnsafeBufferPointer<UInt8>, into out: inout [Int32], workspace: inout Workspace) {
        if let token = wholeWordToken(word) {
            out.append(token)
            return
        }
        if byteLevel && word.count == 1 {
            emit(byteSymbols[Int(word[0])], word, into: &out)
            return
        }
        workspace.symbols.removeAll(keepingCapacity: true)
        workspace.starts.removeAll(keepingCapacity: true)
        if byteLevel {
            for byte in word { workspace.symbols.append(byteSymbols[Int(byte)]) }
        } else {
            var offset = 0
            while offset < word.count {
                let length = min(Self.utf8Length(lead: word[offset]), word.count - offset)
                let character = UnsafeBufferPointer(rebasing: word[offset..<offset + length])
                workspace.symbols.append(symbolTable.lookup(character) ?? Self.unmergeable)
                workspace.starts.append(offset)
                offset += length
            }
            workspace.starts.append(word.count)
        }
        let count = workspace.symbols.count
        guard count > 0 else { return }
        merge(count, &workspace)
        var position = 0
        while position < count {
            let end = workspace.next[position]
            let bytes = byteLevel ? word[position..<end] : word[workspace.starts[position]..<workspace.starts[end]]
            emit(workspace.symbols[position], UnsafeBufferPointer(rebasing: bytes), into: &out)
            position = end
        }
    }

    /// Merges the workspace's `count` symbols until no adjacent pair has a merge.
    private func merge(_ count: Int, _ workspace: inout Workspace) {
        workspace.next.removeAll(keepingCapacity: true)
        workspace.previous.removeAll(keepingCapacity: true)
        workspace.next.append(contentsOf: 1...count)
        workspace.previous.append(contentsOf: -1..<(count - 1))
        for position in 0..<(count - 1) {
            let (left, right) = (workspace.symbols[position], workspace.symbols[position + 1])
            if let merge = merges.merge(left, right) {
                workspace.queue.push(Pair(rank: merge.rank, position: Int32(position), left: left, right: right))
            }
        }
        while let candidate = workspace.queue.pop() {
            let position = Int(candidate.position)
            let right = workspace.next[position]
            // Skip candidates made stale by an earlier merge on either side.
            guard right < count, workspace.symbols[position] == candidate.left, workspace.symbols[right] == candidate.right,
                let merge = merges.merge(candidate.left, candidate.right)
            else { continue }
            workspace.symbols[position] = merge.result
            workspace.symbols[right] = -1
            let after = workspace.next[right]
            workspace.next[position] = after
            if after < count { workspace.previous[after] = position }
            let before = workspace.previous[position]
            if before >= 0, let merged = merges.merge(workspace.symbols[before], merge.result) {
                workspace.queue.push(
                    Pair(rank: merged.rank, position: Int32(before), left: workspace.symbols[before], right: merge.result))
            }
            if after < count, let merged = merges.merge(merge.result, workspace.symbols[after]) {
                workspace.queue.push(Pair(rank: merged.rank, position: Int32(position), left: merge.result, right: workspace.symbols[after]))
            }
        }
    }

    /// The token a whole word becomes without merging, when the vocabulary's rule says so.
    private func wholeWordToken(_ word: UnsafeBufferPointer<UInt8>) -> Int32? {
        switch wholeWords {
        case .never: return nil
        case .newlineRuns: guard word.allSatisfy({ $0 == 0x0A }) else { return nil }
        case .always: break
        }
        let id = byteLevel ? rawTokens?.lookup(word) : symbolTable.lookup(word)
        return id.flatMap { Int($0) < vocabularySize ? $0 : nil }
    }

    /// A final symbol: its token, or (as llama.cpp does) the fallback tokens of the bytes it covers.
    private func emit(_ symbol: Int32, _ bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if Int(symbol) < vocabularySize {
            out.append(symbol)
            return
        }
        for byte in bytes {
            if let token = fallbackTokens[Int(byte)] { out.append(token) }
        }
    }

    /// The length of the UTF-8 sequence a lead byte starts, as llama.cpp reckons it (a stray continuation byte is 1).
    static func utf8Length(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }
}

extension BytePairEncoder {
    /// A pair of adjacent symbols that a merge applies to: lowest rank first, then leftmost.
    struct Pair: MergeCandidate {
        var rank: Int32
        var position: Int32
        var left: Int32
        var right: Int32

        func precedes(_ other: Pair) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }
}
