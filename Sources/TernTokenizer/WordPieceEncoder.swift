/// BERT's WordPiece (`tokenizer.ggml.model = "bert"`), as llama.cpp's `llm_tokenizer_wpm_session` does it.
///
/// The text is normalized and cut into words (``WordPieceScalars`` says what each scalar does): whitespace ends a word,
/// controls are dropped, accents too when stripping them, letters are lowercased when asked, and punctuation, ASCII
/// symbols and CJK ideographs are words of their own. Each word, written `▁word`, is then split greedily from the left
/// into the longest vocabulary entries. The converter stored BERT's word-initial pieces as `▁piece` and its `##piece`
/// continuations as `piece`, so the first match includes the `▁` and later ones are bare. A word with any part that
/// matches nothing becomes one unknown token.
struct WordPieceEncoder: Sendable {
    private let tokens: TokenTable
    /// The longest token text in bytes: no match can be longer.
    private let longestToken: Int
    private let unknownTokenID: Int32?
    private let lowercases: Bool
    private let stripsAccents: Bool

    init(tokens: [String], unknownTokenID: Int32?, lowercase: Bool, stripAccents: Bool) {
        var table = TokenTable(capacity: tokens.count)
        for (id, text) in tokens.enumerated() { table.insert(text, Int32(id)) }
        self.tokens = table
        longestToken = tokens.map(\.utf8.count).max() ?? 0
        self.unknownTokenID = unknownTokenID
        lowercases = lowercase
        stripsAccents = stripAccents
    }

    /// Appends the tokens of `text` (UTF-8) to `out`, stopping after the first word that takes it past `limit`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32], limit: Int = .max) {
        // The word being built, after its `▁`.
        var word: [UInt8] = Metaspace.bytes
        word.reserveCapacity(64)
        func endWord() {
            guard word.count > Metaspace.bytes.count else { return }
            word.withUnsafeBufferPointer { encode(word: $0, into: &out) }
            word.removeSubrange(Metaspace.bytes.count...)
        }

        var index = 0
        while index < text.count, out.count <= limit {
            var value = UInt32(text[index])
            if value < 0x80 {
                index += 1
            } else {
                let length = BytePairEncoder.utf8Length(lead: text[index])
                value &= 0xFF >> (length + 1)
                for offset in 1..<length where index + offset < text.count {
                    value = value << 6 | UInt32(text[index + offset] & 0x3F)
                }
                index += length
            }
            if stripsAccents { value = WordPieceScalars.stripAccent(value) }
            switch WordPieceScalars.kind(of: value) {
            case .whitespace:
                endWord()
                continue
            case .ignored:
                continue
            case .mark where stripsAccents:
                continue
            case .isolated:
                endWord()
                append(value, to: &word)
                endWord()
            case .plain, .mark:
                append(value, to: &word)
            }
        }
        endWord()
    }

    /// Appends the UTF-8 of `value` (lowercased when asked).
    @inline(__always)
    private func append(_ value: UInt32, to word: inout [UInt8]) {
        let value = lowercases ? WordPieceScalars.lowercase(value) : value
        switch value {
        case 0..<0x80:
            word.append(UInt8(value))
        case 0x80..<0x800:
            word.append(UInt8(0xC0 | value >> 6))
            word.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0x10000:
            word.append(UInt8(0xE0 | value >> 12))
            word.append(UInt8(0x80 | value >> 6 & 0x3F))
            word.append(UInt8(0x80 | value & 0x3F))
        default:
            word.append(UInt8(0xF0 | value >> 18))
            word.append(UInt8(0x80 | value >> 12 & 0x3F))
            word.append(UInt8(0x80 | value >> 6 & 0x3F))
            word.append(UInt8(0x80 | value & 0x3F))
        }
    }

    /// Appends the tokens of one `▁`-prefixed word: longest match first, from the left.
    private func encode(word: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        let firstToken = out.count
        var start = 0
        while start < word.count {
            var end = min(word.count, start + longestToken)
            var match: Int32?
            while end > start {
                // Token texts are whole characters, so an end inside a character cannot match; skip the lookup.
                if end == word.count || word[end] & 0xC0 != 0x80 {
                    match = tokens.lookup(UnsafeBufferPointer(rebasing: word[start..<end]))
                    if match != nil { break }
                }
                end -= 1
            }
            guard let match else {
                // One part matches nothing: the whole word is unknown.
                out.removeSubrange(firstToken...)
                break
            }
            out.append(match)
            start = end
        }
        if out.count == firstToken, let unknownTokenID { out.append(unknownTokenID) }
    }
}
