/// SentencePiece's BPE as llama.cpp runs it for `tokenizer.ggml.model = "llama"` vocabularies (Llama 2, Mistral,
/// Phi-3): a text starts as one symbol per UTF-8 character, and the adjacent pair whose concatenation is the token with
/// the highest score (`tokenizer.ggml.scores`) is merged, leftmost first among equal scores, until no pair forms a
/// token. A character that is no token becomes the `<0xXX>` tokens of its bytes (byte fallback).
///
/// The text must already have its spaces escaped as `▁` and its space prefix, if any; ``Tokenizer`` does that.
struct SentencePieceEncoder: Sendable {
    private let tokens: TokenTable
    /// Whether no token has `▁` after another character, so that no merge crosses the start of a word. The text can
    /// then be merged word by word, which gives the same tokens as merging it whole (merges in one word never change the
    /// pairs of another) and keeps the queue small.
    private let mergesStayInWords: Bool
    private let scores: [Float]
    /// The token each byte falls back to: `<0xXX>`, else the byte as a one-byte text.
    private let byteTokens: [Int32?]
    /// What a character becomes when some byte of it has no token (llama.cpp fails there; SentencePiece gives `<unk>`).
    private let unknownTokenID: Int32?

    init(tokens: [String], scores: [Float], unknownTokenID: Int32?) {
        var table = TokenTable(capacity: tokens.count)
        for (id, text) in tokens.enumerated() { table.insert(text, Int32(id)) }
        self.tokens = table
        self.scores = scores
        mergesStayInWords = !tokens.contains { text in
            var text = text
            return text.withUTF8 { utf8 in (1..<max(1, utf8.count)).contains { Self.startsWord(utf8, at: $0) } }
        }
        byteTokens = (0..<256).map { byte in
            table.lookup(ByteToken.text(UInt8(byte))) ?? (byte < 0x80 ? table.lookup(String(UnicodeScalar(UInt8(byte)))) : nil)
        }
        self.unknownTokenID = unknownTokenID
    }

    /// Whether a `▁` that follows another character starts at `index`.
    private static func startsWord(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        func isMetaspace(_ at: Int) -> Bool {
            at >= 0 && at + 3 <= bytes.count && bytes[at] == 0xE2 && bytes[at + 1] == 0x96 && bytes[at + 2] == 0x81
        }
        return index > 0 && isMetaspace(index) && !isMetaspace(index - 3)
    }

    /// Appends the tokens of `text` to `out`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        var workspace = Workspace()
        guard mergesStayInWords else {
            encode(word: text, into: &out, workspace: &workspace)
            return
        }
        var wordStart = 0
        for index in 1..<max(1, text.count) where Self.startsWord(text, at: index) {
            encode(word: UnsafeBufferPointer(rebasing: text[wordStart..<index]), into: &out, workspace: &workspace)
            wordStart = index
        }
        encode(word: UnsafeBufferPointer(rebasing: text[wordStart...]), into: &out, workspace: &workspace)
    }

    /// Buffers reused from word to word.
    private struct Workspace {
        /// Symbol i covers text[start[i]..<start[i] + length[i]]; a merged symbol keeps the left one's index.
        var start: [Int32] = []
        var length: [Int32] = []
        var next: [Int] = []
        var previous: [Int] = []
        /// The token a merged symbol is (a merge only ever makes a token), or -1.
        var merged: [Int32] = []
        var queue = MergeQueue<Bigram>()
    }

    private func encode(word text: UnsafeBufferPointer<UInt8>, into out: inout [Int32], workspace: inout Workspace) {
        workspace.start.removeAll(keepingCapacity: true)
        workspace.length.removeAll(keepingCapacity: true)
        var offset = 0
        while offset < text.count {
            let count = min(BytePairEncoder.utf8Length(lead: text[offset]), text.count - offset)
            workspace.start.append(Int32(offset))
            workspace.length.append(Int32(count))
            offset += count
        }
        let symbolCount = workspace.start.count
        guard symbolCount > 0 else { return }
        workspace.next.removeAll(keepingCapacity: true)
        workspace.previous.removeAll(keepingCapacity: true)
        workspace.merged.removeAll(keepingCapacity: true)
        workspace.next.append(contentsOf: 1...symbolCount)
        workspace.previous.append(contentsOf: -1..<(symbolCount - 1))
        workspace.merged.append(contentsOf: repeatElement(-1, count: symbolCount))

        func addBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right < symbolCount else { return }
            let from = Int(workspace.start[left])
            let size = workspace.length[left] + workspace.length[right]
            guard let token = tokens.lookup(UnsafeBufferPointer(rebasing: text[from..<from + Int(size)])) else { return }
            workspace.queue.push(Bigram(score: scores[Int(token)], left: Int32(left), right: Int32(right), size: size, token: token))
        }

        for index in 1..<symbolCount { addBigram(index - 1, index) }
        while let bigram = workspace.queue.pop() {
            let left = Int(bigram.left)
            let right = Int(bigram.right)
            // Skip a bigram one of whose symbols has merged since it was queued.
            guard workspace.length[left] > 0, workspace.length[right] > 0, workspace.length[left] + workspace.length[right] == bigram.size
            else { continue }
            workspace.length[left] = bigram.size
            workspace.length[right] = 0
            workspace.merged[left] = bigram.token
            let after = workspace.next[right]
            workspace.next[left] = after
            if after < symbolCount { workspace.previous[after] = left }
            addBigram(workspace.previous[left], left)
            addBigram(left, after)
        }

        var index = 0
        while index < symbolCount {
            if workspace.merged[index] >= 0 {
                out.append(workspace.merged[index])
            } else {
                let from = Int(workspace.start[index])
                let bytes = UnsafeBufferPointer(rebasing: text[from..<from + Int(workspace.length[index])])
                if let token = tokens.lookup(bytes) {
                    out.append(token)
                } else if bytes.allSatisfy({ byteTokens[Int($0)] != nil }) {
                    for byte in bytes { out.append(byteTokens[Int(byte)]!) }
                } else if let unknownTokenID {
                    out.append(unknownTokenID)
                }
            }
            index = workspace.next[index]
        }
    }
}

extension SentencePieceEncoder {
    /// Two adjacent symbols whose concatenation is a token: highest score first, then leftmost.
    struct Bigram: MergeCandidate {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        var token: Int32

        func precedes(_ other: Bigram) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }
}
