/// Text to token ids and back, matching llama.cpp token for token.
///
/// Built from a ``TokenizerVocabulary`` (or straight from a GGUF file with ``init(gguf:)``). Encoding finds special
/// tokens first (when asked), splits the rest with the model's pre-tokenizer and merges each word with byte-level BPE.
/// Decoding maps ids back to raw bytes; ``StreamingDetokenizer`` does it one token at a time.
///
/// ```swift
/// let tokenizer = try Tokenizer(gguf: GGUFFile(path: path))
/// let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>", parseSpecial: true)
/// let text = tokenizer.decode(ids, renderSpecial: true)
/// ```
public final class Tokenizer: Sendable {
    /// The vocabulary strings, by id.
    private let tokens: [String]
    /// The type of each token, after llama.cpp's promotion of end-of-generation tokens to control.
    private let types: [TokenType]
    private let preTokenizer: PreTokenizer
    private let encoder: BytePairEncoder
    private let specialTokens: SpecialTokenMatcher
    /// Decoded bytes of every token, concatenated; token `i` is `pieceBytes[pieceOffsets[i]..<pieceOffsets[i + 1]]`.
    private let pieceBytes: [UInt8]
    private let pieceOffsets: [Int]
    /// Tokens whose bytes are produced only when special tokens are rendered (control, unknown).
    private let pieceIsSpecial: [Bool]
    private let endOfGeneration: Set<Int32>
    /// The most bytes of text any one token stands for: a text of more than `n` times this many bytes has more than
    /// `n` tokens.
    private let longestTokenBytes: Int

    /// The beginning-of-sequence token, if the model has one.
    public let bosTokenID: Int32?
    /// The end-of-sequence token, if the model has one.
    public let eosTokenID: Int32?
    /// Whether prompts should start with ``bosTokenID``; ``encode(_:parseSpecial:)`` never adds it itself.
    public let addBOS: Bool
    /// Whether prompts should end with ``eosTokenID``.
    public let addEOS: Bool

    /// Token texts that end generation when present, as in llama.cpp.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
        "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// Builds a tokenizer from plain values.
    ///
    /// - Throws: ``TokenizerError`` for an unsupported model or pre-tokenizer, or inconsistent vocabulary data.
    public init(vocabulary: TokenizerVocabulary) throws(TokenizerError) {
        guard vocabulary.model == "gpt2" else {
            throw TokenizerError(.unsupportedModel, "unsupported tokenizer model '\(vocabulary.model)' (supported: gpt2)")
        }
        let count = vocabulary.tokens.count
        guard count > 0, count < Int(Int32.max) / 2 else {
            throw TokenizerError(.invalidVocabulary, "vocabulary has \(count) tokens")
        }
        guard vocabulary.tokenTypes.count == count else {
            throw TokenizerError(.invalidVocabulary, "\(vocabulary.tokenTypes.count) token types for \(count) tokens")
        }
        var idForText: [String: Int32] = [:]
        idForText.reserveCapacity(count)
        for (id, text) in vocabulary.tokens.enumerated() { idForText[text] = Int32(id) }  // Later duplicates win.

        func validID(_ id: Int32?) -> Int32? { id.flatMap { $0 >= 0 && Int($0) < count ? $0 : nil } }
        let eos = validID(vocabulary.eosTokenID)
        let eom = validID(vocabulary.eomTokenID)
        var eot = validID(vocabulary.eotTokenID)
        var types = vocabulary.tokenTypes
        var endOfGeneration = Set([eos, eot, eom].compactMap { $0 })
        for (id, text) in vocabulary.tokens.enumerated() where Self.endOfGenerationTexts.contains(text) {
            endOfGeneration.insert(Int32(id))
            types[id] = .control
        }
        if eot == nil {
            eot = vocabulary.tokens.firstIndex { Self.endOfTurnTexts.contains($0) }.map { Int32($0) }
            if let eot { endOfGeneration.insert(eot) }
        }

        tokens = vocabulary.tokens
        self.types = types
        preTokenizer = try PreTokenizer(name: vocabulary.preTokenizer ?? "default")
        encoder = try BytePairEncoder(tokens: vocabulary.tokens, idForText: idForText, merges: vocabulary.merges)
        specialTokens = SpecialTokenMatcher(tokens: vocabulary.tokens, types: types)
        self.endOfGeneration = endOfGeneration
        bosTokenID = validID(vocabulary.bosTokenID)
        eosTokenID = eos
        addBOS = vocabulary.addBOS ?? false
        addEOS = vocabulary.addEOS ?? false

        var bytes: [UInt8] = []
        var offsets = [0]
        var special: [Bool] = []
        offsets.reserveCapacity(count + 1)
        special.reserveCapacity(count)
        for (text, type) in zip(vocabulary.tokens, types) {
            switch type {
            case .normal: bytes.append(contentsOf: ByteLevelMapping.decode(text))
            case .control, .unknown, .userDefined: bytes.append(contentsOf: text.utf8)
            case .byte, .unused, .undefined: break  // llama.cpp renders nothing for these in byte-level BPE.
            }
            offsets.append(bytes.count)
            special.append(type == .control || type == .unknown)
        }
        pieceBytes = bytes
        pieceOffsets = offsets
        pieceIsSpecial = special
        longestTokenBytes = max(1, zip(offsets.dropFirst(), offsets).map { $0 - $1 }.max() ?? 1)
    }

    /// Token texts llama.cpp takes as the end-of-turn token when `tokenizer.ggml.eot_token_id` is absent.
    static let endOfTurnTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>",
        "<end_of_utterance>",
    ]

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// The `tokenizer.ggml.pre` name in use.
    public var preTokenizerName: String { preTokenizer.name }

    /// Token ids for `text`, without BOS or EOS.
    ///
    /// - Parameters:
    ///   - parseSpecial: when `true`, control-token text such as `<|im_start|>` becomes that token; when `false` it is
    ///     tokenized as plain text. User-defined tokens are matched either way, as in llama.cpp.
    ///   - limit: stop once more than this many tokens are found (the result then holds the first ones, more than
    ///     `limit`), so that a text far longer than a context costs no more than a context's worth of work.
    public func encode(_ text: String, parseSpecial: Bool, limit: Int = .max) -> [Int32] {
        var text = text
        return text.withUTF8 { whole in
            // Every token covers at most `longestTokenBytes` bytes, so this prefix alone has more than `limit` tokens.
            let enough = limit < Int.max / longestTokenBytes - 1 ? (limit + 1) * longestTokenBytes : Int.max
            if whole.count > enough {
                let found = encode(UnsafeBufferPointer(rebasing: whole[..<enough]), parseSpecial: parseSpecial, limit: limit)
                // A vocabulary without some byte's token drops that byte; then the bound does not hold, and all is read.
                if found.count > limit { return found }
            }
            return encode(whole, parseSpecial: parseSpecial, limit: limit)
        }
    }

    /// Token ids for `bytes`, stopping once there are more than `limit`.
    private func encode(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool, limit: Int) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(min(bytes.count / 3, limit) + 1)
        fragments: for fragment in specialTokens.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
            case .text(let range):
                let fragmentBytes = UnsafeBufferPointer(rebasing: bytes[range])
                for word in preTokenizer.split(fragmentBytes) {
                    encoder.encode(UnsafeBufferPointer(rebasing: fragmentBytes[word]), into: &out)
                    if out.count > limit { break fragments }
                }
            }
            if out.count > limit { break }
        }
        return out
    }

    /// The text of `ids`; invalid UTF-8 (a character cut off at the end) becomes U+FFFD.
    ///
    /// - Parameter renderSpecial: when `true`, control tokens produce their text; otherwise they produce nothing.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, renderSpecial: renderSpecial, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes one token stands for (possibly part of a UTF-8 character).
    public func tokenBytes(_ id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBytes(of: id, renderSpecial: renderSpecial, to: &bytes)
        return bytes
    }

    /// Appends the raw bytes of token `id` to `bytes`. `id` must be in the vocabulary.
    public func appendBytes(of id: Int32, renderSpecial: Bool, to bytes: inout [UInt8]) {
        precondition(id >= 0 && Int(id) < tokens.count, "token id \(id) outside the vocabulary of \(tokens.count)")
        if pieceIsSpecial[Int(id)] && !renderSpecial { return }
        bytes.append(contentsOf: pieceBytes[pieceOffsets[Int(id)]..<pieceOffsets[Int(id) + 1]])
    }

    /// The vocabulary string of token `id` as stored in the model (byte-level form, e.g. `Ġhello`), for debugging.
    public func tokenText(_ id: Int32) -> String {
        precondition(id >= 0 && Int(id) < tokens.count, "token id \(id) outside the vocabulary of \(tokens.count)")
        return tokens[Int(id)]
    }

    /// The type of token `id`, after end-of-generation tokens have been made control tokens.
    public func tokenType(_ id: Int32) -> TokenType {
        precondition(id >= 0 && Int(id) < tokens.count, "token id \(id) outside the vocabulary of \(tokens.count)")
        return types[Int(id)]
    }

    /// Whether generation stops at `id`: EOS, end-of-turn, end-of-message and tokens llama.cpp recognises by text.
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGeneration.contains(id) }

    /// All end-of-generation token ids, ascending.
    public var endOfGenerationTokenIDs: [Int32] { endOfGeneration.sorted() }
}
